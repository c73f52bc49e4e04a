"""Public views: short, and calling services for everything that is not HTTP."""
from __future__ import annotations

import secrets
import time

from flask import current_app, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from app.extensions import db, limiter
from app.i18n import best_accept_language, current_lang
from app.public import bp
from app.public.report_forms import FollowUpForm, LeaveForm, ReceiptForm, ReportForm
from app.security import normalize_receipt_code
from app.services.intake import reports as submission_service
from app.services.files.attachments import original_name
from app.services.taxonomy import category_tree
from app.vocabularies import SUBMITTER_STATUS

LANG = "/<any(ko,en):lang>"
RECEIPT_SESSION_SECONDS = 30 * 60


@bp.url_defaults
def add_current_lang(endpoint, values):
    if "lang" not in values and current_app.url_map.is_endpoint_expecting(endpoint, "lang"):
        values["lang"] = current_lang()


@bp.route("/")
def root():
    return redirect(url_for("public.home", lang=best_accept_language()))


@bp.route("/healthz")
def healthz():
    db.session.execute(db.text("SELECT 1"))
    return {"status": "ok"}


@bp.route(f"{LANG}/")
def home(lang):
    return render_template("public/home.html")


def _report_form() -> ReportForm:
    tree = category_tree(db.session, current_lang())
    codes = [group.code for group in tree] + [code for group in tree for code, _ in group.children]
    form = ReportForm(category_codes=codes)
    form.categories.choices = [(code, code) for code in codes]
    g.category_tree = tree
    return form


@bp.route(f"{LANG}/report", methods=["GET", "POST"])
@limiter.limit("10 per hour; 30 per day", methods=["POST"])
def report(lang):
    form = _report_form()
    if request.method == "GET":
        form.form_token.data = secrets.token_urlsafe(24)
    elif form.website.data:  # honeypot filled: a bot, or an autofill gone wrong
        form.website.errors = [_("Please leave the last field empty and send again.")]
    elif form.validate_on_submit():
        try:
            submission, code = submission_service.create_report(
                db.session, form.to_report_data(lang), form.prepared_files,
                current_app.config["UPLOAD_DIR"], form.form_token.data or secrets.token_urlsafe(24),
            )
        except submission_service.AlreadySubmitted:
            return render_template("public/report_duplicate.html"), 409
        return render_template("public/report_done.html", code=code, files=len(form.prepared_files))
    return render_template("public/report.html", form=form, tree=g.category_tree), 200 if request.method == "GET" else 422


@bp.route(f"{LANG}/receipt", methods=["GET", "POST"])
@limiter.limit("10 per 15 minutes; 50 per day", methods=["POST"])
def receipt(lang):
    form = ReceiptForm()
    if form.validate_on_submit():
        code = normalize_receipt_code(form.code.data)
        submission = submission_service.find_by_receipt(db.session, code) if code else None
        if submission:
            session["receipt"] = {"id": submission.public_id, "seen": int(time.time())}
            return redirect(url_for("public.receipt_status"))
        # One message for every failure: a wrong code must not reveal which codes exist.
        form.code.errors.append(_("This receipt code could not be found. Please check the 16 digits and try again."))
    status = 422 if request.method == "POST" else 200
    return render_template("public/receipt.html", form=form), status


def _receipt_submission():
    """The submission opened with a receipt code in this session, if still fresh."""
    opened = session.get("receipt")
    if not opened or time.time() - opened.get("seen", 0) > RECEIPT_SESSION_SECONDS:
        session.pop("receipt", None)
        return None
    submission = submission_service.find_by_public_id(db.session, opened["id"])
    if submission:
        session["receipt"] = {"id": submission.public_id, "seen": int(time.time())}
    return submission


@bp.route(f"{LANG}/receipt/status", methods=["GET", "POST"])
@limiter.limit("20 per hour", methods=["POST"])
def receipt_status(lang):
    submission = _receipt_submission()
    if submission is None:
        return redirect(url_for("public.receipt"))
    form = FollowUpForm()
    form.keep_metadata_choice = submission.keep_image_metadata
    if form.validate_on_submit():
        submission_service.add_followup(
            db.session, submission, form.body.data, form.prepared_files, current_app.config["UPLOAD_DIR"]
        )
        session["followup_sent"] = True
        return redirect(url_for("public.receipt_status"))
    return render_template(
        "public/receipt_status.html", submission=submission, form=form, leave_form=LeaveForm(),
        status_text=SUBMITTER_STATUS.get(submission.status, ""), original_name=original_name,
        sent=session.pop("followup_sent", False),
    ), (422 if request.method == "POST" else 200)


@bp.route(f"{LANG}/receipt/leave", methods=["POST"])
def receipt_leave(lang):
    if LeaveForm().validate_on_submit():
        session.pop("receipt", None)
    return redirect(url_for("public.home"))


def resubmit_after_csrf_failure(endpoint: str):
    """The form's security token expired or is missing: show the form again, keeping the text."""
    notice = _("For your security, please check the form and send it again. What you typed is kept; files must be chosen again.")
    if endpoint == "public.report":
        form = _report_form()
        return render_template("public/report.html", form=form, tree=g.category_tree, notice=notice), 400
    submission = _receipt_submission()
    if submission is None:
        return redirect(url_for("public.receipt"))
    return render_template(
        "public/receipt_status.html", submission=submission, form=FollowUpForm(), leave_form=LeaveForm(),
        status_text=SUBMITTER_STATUS.get(submission.status, ""), original_name=original_name,
        sent=False, notice=notice,
    ), 400
