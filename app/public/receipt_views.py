"""Coming back with a receipt code: the status, the thread with officers, adding information
and files. The opened submission is remembered in the session for RECEIPT_SESSION_SECONDS."""
from __future__ import annotations

import time

from flask import current_app, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from app.extensions import db, limiter
from app.public import LANG, bp
from app.public.receipt_forms import FollowUpForm, LeaveForm, ReceiptForm
from app.public.report_views import resubmit_notice
from app.security import normalize_receipt_code
from app.services.files.attachments import original_name
from app.services.intake import reports
from app.vocabularies import SUBMITTER_STATUS

RECEIPT_SESSION_SECONDS = 30 * 60


@bp.route(f"{LANG}/receipt", methods=["GET", "POST"])
@limiter.limit("10 per 15 minutes; 50 per day", methods=["POST"])
def receipt(lang):
    form = ReceiptForm()
    if form.validate_on_submit():
        code = normalize_receipt_code(form.code.data)
        submission = reports.find_by_receipt(db.session, code) if code else None
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
    submission = reports.find_by_public_id(db.session, opened["id"])
    if submission:
        session["receipt"] = {"id": submission.public_id, "seen": int(time.time())}
    return submission


def _status_page(submission, form: FollowUpForm, status: int, **extra):
    return render_template(
        "public/receipt_status.html", submission=submission, form=form, leave_form=LeaveForm(),
        status_text=SUBMITTER_STATUS.get(submission.status, ""), original_name=original_name, **extra,
    ), status


@bp.route(f"{LANG}/receipt/status", methods=["GET", "POST"])
@limiter.limit("20 per hour", methods=["POST"])
def receipt_status(lang):
    submission = _receipt_submission()
    if submission is None:
        return redirect(url_for("public.receipt"))
    form = FollowUpForm()
    form.keep_metadata_choice = submission.keep_image_metadata
    if form.validate_on_submit():
        reports.add_followup(db.session, submission, form.body.data, form.prepared_files,
                             current_app.config["UPLOAD_DIR"])
        session["followup_sent"] = True
        return redirect(url_for("public.receipt_status"))
    return _status_page(submission, form, 422 if request.method == "POST" else 200,
                        sent=session.pop("followup_sent", False))


@bp.route(f"{LANG}/receipt/leave", methods=["POST"])
def receipt_leave(lang):
    if LeaveForm().validate_on_submit():
        session.pop("receipt", None)
    return redirect(url_for("public.home"))


def resubmit_followup():
    """The follow-up form's security token expired: show the page again, keeping the text."""
    submission = _receipt_submission()
    if submission is None:
        return redirect(url_for("public.receipt"))
    return _status_page(submission, FollowUpForm(), 400, sent=False, notice=resubmit_notice())
