"""The report form: one page, works without JavaScript, keeps what was typed on any error."""
from __future__ import annotations

from flask import current_app, g, render_template, request
from flask_babel import gettext as _
from markupsafe import Markup

from app import facets, form_tokens
from app.extensions import db, limiter
from app.i18n import current_lang
from app.public import LANG, bp, intake_ready, signed_form
from app.public.page_cache import kept_page
from app.public.report_forms import ReportForm
from app.services import faults
from app.services.intake import reports
from app.services.taxonomy import category_tree


def _report_form() -> ReportForm:
    tree = _submitter_tree()
    codes = [group.code for group in tree] + [code for group in tree for code, _ in group.children]
    form = ReportForm()
    form.categories.choices = [(code, code) for code in codes]
    g.category_tree = tree
    return form


def _fields(form: ReportForm) -> Markup:
    """The form's questions, a template of their own so that report_page.html stays short."""
    return Markup(render_template("public/report.html", form=form, tree=g.category_tree,  # nosec B704
                                  sections=facets.SECTIONS, facets_in=facets.in_section))  # a rendered template


def _submitter_tree():
    """What the empty form shows that can change while the application runs: the categories."""
    return category_tree(db.session(), current_lang(), for_submitters=True)


def _form_page(form: ReportForm, status: int, **extra):
    return render_template("public/report_page.html", form=form, fields=_fields(form), **extra), status


@bp.route(f"{LANG}/report", methods=["GET", "POST"])
@limiter.limit("10 per hour; 30 per day", methods=["POST"])
@signed_form
@kept_page(version=_submitter_tree, when=intake_ready)
def report(lang):
    if not intake_ready():
        return render_template("public/intake_closed.html"), 503
    form = _report_form()
    if request.method == "GET":
        form.form_token.data = form_tokens.one_time_token()
    elif form.website.data:  # honeypot filled: a bot, or an autofill gone wrong
        form.website.errors = [_("Please leave the last field empty and send again.")]
    elif form.validate_on_submit():
        try:
            # A lost database connection is tried once more: nothing of the first attempt is kept
            # (services/intake/reports.py all_or_nothing), and the one-time form token refuses a double.
            _submission, code = faults.at_most_twice(db.session(), lambda: reports.create_report(
                db.session(), form.to_report_data(lang), form.prepared_files,
                current_app.config["UPLOAD_DIR"], form.form_token.data or form_tokens.new_one_time_token(),
            ))
        except reports.AlreadySubmitted:
            return render_template("public/report_duplicate.html"), 409
        return render_template("public/report_done.html", code=code, files=len(form.prepared_files),
                               notes=form.normalized_notes())
    return _form_page(form, 200 if request.method == "GET" else 422)


def resubmit_notice() -> str:
    return _("For your security, please check the form and send it again. "
             "What you typed is kept; files must be chosen again.")


def fault_notice(files: bool) -> str:
    """A database or disk fault kept a form from being stored (app/public/__init__.py)."""
    if files:
        return _("Because of a temporary problem on our side, what you sent could not be saved. "
                 "What you typed is kept below: please send it again. Files are not kept, so please choose "
                 "them again.")
    return _("Because of a temporary problem on our side, what you sent could not be saved. "
             "What you typed is kept below: please send it again.")


def resubmit_report():
    """The form's security token expired or is missing: show the form again, keeping the text."""
    if not intake_ready():
        return render_template("public/intake_closed.html"), 503
    form = _report_form()
    return _form_page(form, 400, notice=resubmit_notice())


def report_after_fault():
    """The report could not be stored: the same form, everything typed kept (the one-time
    form token too, so a report that was stored after all is not stored twice). Nothing here
    needs the database: the categories come from the taxonomy cache."""
    return _form_page(_report_form(), 503, notice=fault_notice(files=True))
