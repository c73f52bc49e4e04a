"""Case-file exports (one item, a selection), bulk queue exports, and the evidence hold.

Every export is a POST with CSRF (it may carry contact details and is audited); the bulk
CSV/JSON is a GET with the queue's own query string, so a filtered queue's link can offer it.
"""
from __future__ import annotations

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import Session

from app.auth import current_keyring
from app.downloads import attachment_response
from app.extensions import db
from app.models.base import utcnow
from app.services import audit
from app.services.evidence import bulk, casefile
from app.services.ops import retention
from app.services.settings import retention_policy
from app.staff import bp
from app.staff.dashboard_views import queue_filters
from app.staff.export_forms import ExportForm, HoldForm, SelectionExportForm
from app.staff.item_actions import build_forms, refusal_message
from app.staff.item_views import item_or_404, item_page, keys_or_403


def _policy():
    return retention_policy(db.session(), current_app.config["RETENTION_DAYS"])


def case_file_panel(item) -> dict:
    """What staff/_export_form.html shows on the item page."""
    policy = _policy()
    return {
        "export_form": ExportForm(prefix="export", formdata=None),
        "hold_form": HoldForm(prefix="hold", formdata=None, reason=item.evidence_hold_reason or ""),
        "days_left": retention.days_left(item, policy),
        "retention_days": policy.days_for(item.status),
    }


@bp.context_processor
def _case_file_helpers():
    return {"case_file_panel": case_file_panel}


def _zip_response(job: casefile.ExportJob) -> Response:
    keyring = current_keyring()
    db.session.close()  # the stream reads in its own short sessions; hold no transaction open
    body = casefile.stream(lambda: Session(db.engine), job, current_app.config["UPLOAD_DIR"], keyring,
                           casefile.Trust.from_config(current_app.config))
    return attachment_response(body, job.filename, "application/zip")


def _contact_allowed(form) -> bool:
    """Contact details go into a case file only for an account that holds the identity key."""
    if form.include_contact.data and not keys_or_403().identity:
        form.include_contact.errors = [refusal_message("no_contact_access")]
        return False
    return True


@bp.route("/submissions/<public_id>/export", methods=["POST"])
def export_item(public_id):
    item = item_or_404(public_id)
    keys_or_403()
    form = ExportForm(prefix="export")
    if not form.validate_on_submit():
        abort(400)
    if not _contact_allowed(form):
        abort(403)
    return _zip_response(casefile.start(db.session(), current_user, [item], form.include_contact.data))


def _selection_error(error: casefile.SelectionError) -> str:
    if error.reason == "too_many":
        return _("Please choose at most %(max)s items for one export.", max=casefile.MAX_ITEMS)
    if error.reason == "unknown":
        return _("These item numbers were not found: %(ids)s", ids=", ".join(error.ids))
    return _("Please enter at least one item number.")


@bp.route("/export", methods=["GET", "POST"])
def export_selection():
    form = SelectionExportForm()
    keys_or_403()
    if form.validate_on_submit() and _contact_allowed(form):
        try:
            ids = casefile.parse_ids([form.ids.data, *request.form.getlist("bulk-items")])
            items = casefile.resolve(db.session(), ids)
        except casefile.SelectionError as error:
            form.ids.errors = [_selection_error(error)]
        else:
            return _zip_response(casefile.start(db.session(), current_user, items, form.include_contact.data))
    return render_template("staff/export.html", form=form), 422 if form.errors else 200


@bp.route("/export/queue.<fmt>")
def export_queue(fmt):
    if fmt not in ("csv", "json"):
        abort(404)
    keys_or_403()
    filters = queue_filters()
    # The filters are codes; search words may be words of testimony and the log is not sealed:
    # it records that a search narrowed the export, not what was searched for.
    audited = {name: values for name, values in request.args.to_dict(flat=False).items() if name != "q"}
    audit.record(db.session(), f"user:{current_user.id}", "queue.exported", "queue", None,
                 {"format": fmt, "items": bulk.count(db.session(), filters), "filters": audited,
                  "searched": bool(request.args.get("q"))})
    db.session.commit()
    db.session.close()
    now, tz = utcnow(), current_app.config["TIMEZONE"]
    factory = lambda: Session(db.engine)  # noqa: E731  handed to the stream, which opens its own sessions
    body = bulk.stream_csv(factory, filters, tz) if fmt == "csv" else bulk.stream_json(factory, filters, tz, now)
    return attachment_response(body, f"queue-{now:%Y%m%d-%H%M%S}.{fmt}",
                               "text/csv" if fmt == "csv" else "application/json")


@bp.route("/submissions/<public_id>/hold", methods=["POST"])
def evidence_hold(public_id):
    item = item_or_404(public_id)
    keyring = keys_or_403()
    form = HoldForm(prefix="hold")
    if form.validate_on_submit():
        try:
            retention.set_hold(db.session(), current_user, item, not form.release.data, form.reason.data, keyring)
            db.session.commit()
            flash(_("Saved."), "success")
            return redirect(url_for("staff.submission", public_id=public_id) + "#case-file")
        except retention.HoldError as refused:
            db.session.rollback()
            item = item_or_404(public_id)
            form.reason.errors = [_("Please give a reason for the evidence hold.")
                                  if refused.reason == "reason_required" else _("The text is too long.")]
    return item_page(item, build_forms(db.session, item), 422, hold_form=form)
