"""A partner group's spreadsheet import: the upload form, then the status page of the job.

Works without JavaScript: the status page is refreshed by a link. It sends no
<meta http-equiv="refresh">: the CSP would allow one (no directive governs it), but a page
that reloads itself on a timer fails WCAG 2.2.1 (axe's meta-refresh rule), and a screen
reader would start the page over at every reload."""
from __future__ import annotations

from flask import abort, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _

from app.extensions import db, limiter
from app.public import LANG, bp, intake_ready, signed_form
from app.public import group_session as gs
from app.public.attachment_forms import upload_problem
from app.public.group_import_forms import GroupImportForm, sheet_problem, zip_problem
from app.services.groups import import_adapter, import_jobs, importer, sheet_template
from app.services.groups.sheet_files import SheetRefused, ZipRefused
from app.services.groups.sheet_import import Invalid, Limits, RowError

MAX_ERRORS_SHOWN = 200


def _limits() -> Limits:
    config = current_app.config
    return Limits(max_file_bytes=config["MAX_UPLOAD_MB"] * 1024 * 1024,
                  max_total_bytes=2 * config["MAX_TOTAL_UPLOAD_MB"] * 1024 * 1024,
                  max_files_per_row=config["MAX_FILES_PER_SUBMISSION"])


def _receive(form: GroupImportForm, lang: str) -> list[RowError] | str:
    """Start the import; or the rows' problems; or a token of the started job."""
    access = gs.logged_in()
    upload_dir, limits = current_app.config["UPLOAD_DIR"], _limits()
    sheet = form.sheet.data
    if not getattr(sheet, "filename", None):
        form.sheet.errors = [sheet_problem("missing", sheet_template.MAX_ROWS)]
        return []
    archive = form.archive.data if getattr(form.archive.data, "filename", None) else None
    try:
        job = importer.receive(
            current_app._get_current_object(), db.session, access.group.id, lang, sheet.filename,  # type: ignore[attr-defined]
            sheet.stream.read(limits.max_file_bytes + 1), archive.stream if archive else None, limits,
            lambda reason, name: upload_problem(reason, name, limits.max_file_bytes),
            import_adapter.row_creator(access.group.id, lang, upload_dir, group_public_key=access.public_key),
            upload_dir)
    except Invalid as invalid:
        return invalid.errors
    except SheetRefused as refused:
        form.sheet.errors = [sheet_problem(refused.reason, sheet_template.MAX_ROWS)]
    except ZipRefused as refused:
        form.archive.errors = [zip_problem(refused.reason, refused.name)]
    except importer.ImportBusy:
        form.sheet.errors = [_("An import is already under way. Please wait until it has finished.")]
    else:
        return job.token
    return []


@bp.route(f"{LANG}/group/import", methods=["GET", "POST"])
@gs.group_required
@limiter.limit("30 per hour", methods=["POST"])
@signed_form
def group_import(lang: str):
    if not intake_ready():  # nothing can be sealed before the organization's keys exist
        return render_template("public/intake_closed.html"), 503
    form = GroupImportForm()
    errors: list[RowError] = []
    if request.method == "POST" and form.validate_on_submit():
        outcome = _receive(form, lang)
        if isinstance(outcome, str):
            return redirect(url_for("public.group_import_status", token=outcome), 303)
        errors = outcome
    status = 200 if request.method == "GET" else 422
    return render_template("public/group_import.html", form=form, errors=errors[:MAX_ERRORS_SHOWN],
                           more_errors=max(0, len(errors) - MAX_ERRORS_SHOWN), error_count=len(errors),
                           max_rows=sheet_template.MAX_ROWS, max_mb=current_app.config["MAX_TOTAL_UPLOAD_MB"]), status


@bp.route(f"{LANG}/group/import/<token>")
@gs.group_required
def group_import_status(lang: str, token: str):
    status = import_jobs.status(db.session(), token, gs.logged_in().group.id)
    if status is None:
        abort(404)
    return render_template("public/group_import_status.html", status=status)
