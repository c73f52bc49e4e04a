"""Coming back with a receipt code: the status, the thread with officers, adding information
and files.

The code unwraps the submission's content key (sealed/sealing.py); for the next
RECEIPT_IDLE the key is kept in a key session (sealed/key_sessions.py) — on the server,
encrypted under a token that only this browser's cookie holds, and gone when the person
closes the page or stops using it. Neither the code nor the key is ever stored in the clear.
"""
from __future__ import annotations

import base64
import json
from datetime import timedelta

from flask import current_app, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from app.extensions import db, limiter
from app.forms import add_error
from app.public import LANG, bp, signed_form
from app.public.page_cache import kept_page
from app.public.receipt_forms import FollowUpForm, LeaveForm, ReceiptForm
from app.public.report_views import fault_notice, resubmit_notice
from app.sealed import key_sessions, vault
from app.sealed.sealing import ItemKey
from app.security import normalize_receipt_code
from app.services import faults
from app.services.intake import reports
from app.vocabularies import SUBMITTER_STATUS

RECEIPT_IDLE = timedelta(minutes=30)
RECEIPT_LIFETIME = timedelta(hours=4)


def _remember(submission, key: ItemKey | None) -> None:
    """A key session for the opened submission (without a key while an officer session has
    still to wrap it for a code from before sealing)."""
    payload = json.dumps({"id": submission.public_id,
                          "key": base64.b64encode(key.key).decode() if key else None}).encode()
    session["receipt"] = key_sessions.create(db.session(), "receipt", payload, RECEIPT_IDLE)
    db.session.commit()


@bp.route(f"{LANG}/receipt", methods=["GET", "POST"])
@limiter.limit("10 per 15 minutes; 50 per day", methods=["POST"])
@signed_form
@kept_page()
def receipt(lang):
    form = ReceiptForm()
    if form.validate_on_submit():
        code = normalize_receipt_code(form.code.data)
        found = (faults.at_most_twice(db.session(), lambda: reports.find_by_receipt(db.session(), code))
                 if code else None)
        if found:
            _remember(*found)
            return redirect(url_for("public.receipt_status"))
        # One message for every failure: a wrong code must not reveal which codes exist.
        add_error(form.code, _("This receipt code could not be found. Please check the 16 digits and try again."))
    status = 422 if request.method == "POST" else 200
    return render_template("public/receipt.html", form=form), status


def _receipt_submission():
    """The submission opened with a receipt code in this session (and its key), if still fresh."""
    opened = key_sessions.read(db.session(), session.get("receipt"), "receipt", RECEIPT_IDLE, RECEIPT_LIFETIME)
    if opened is None:
        session.pop("receipt", None)
        return None, None
    values = json.loads(opened.secrets)
    submission = reports.find_by_public_id(db.session(), values["id"])
    if submission is None:
        return None, None
    key = None
    if values["key"]:
        key = vault.open_item(submission, ItemKey(submission.public_id, base64.b64decode(values["key"])))
        vault.open_thread(submission, key)
    if db.session.dirty:  # the session's idle deadline moved
        db.session.commit()
    return submission, key


def _status_page(submission, form: FollowUpForm, status: int, **extra):
    return render_template(
        "public/receipt_status.html", submission=submission, form=form, leave_form=LeaveForm(),
        status_text=SUBMITTER_STATUS.get(submission.status, ""), opened=submission.is_opened, **extra,
    ), status


@bp.route(f"{LANG}/receipt/status", methods=["GET", "POST"])
@limiter.limit("20 per hour", methods=["POST"])
def receipt_status(lang):
    submission, key = _receipt_submission()
    if submission is None:
        return redirect(url_for("public.receipt"))
    form = FollowUpForm()
    form.keep_metadata_choice = submission.keep_image_metadata
    if key is not None and form.validate_on_submit():
        faults.at_most_twice(db.session(), lambda: reports.add_followup(
            db.session(), submission, form.body.data or "", form.prepared_files, current_app.config["UPLOAD_DIR"], key))
        session["followup_sent"] = True
        return redirect(url_for("public.receipt_status"))
    # What the person sent is shown only when they ask for it (issue 19): a screen that someone
    # else may see should not show the account by default.
    return _status_page(submission, form, 422 if request.method == "POST" else 200,
                        sent=session.pop("followup_sent", False),
                        show_sent=key is not None and request.args.get("show") == "sent")


@bp.route(f"{LANG}/receipt/leave", methods=["POST"])
def receipt_leave(lang):
    if LeaveForm().validate_on_submit():
        key_sessions.destroy(db.session(), session.pop("receipt", None))
        db.session.commit()
    return redirect(url_for("public.home"))


def receipt_after_fault():
    return render_template("public/receipt.html", form=ReceiptForm(), notice=fault_notice(files=False)), 503


def followup_after_fault():
    """The addition could not be stored: the status page with the text kept, or, while the
    database cannot show the page, the addition form alone (it posts to the same page)."""
    try:
        submission, _key = _receipt_submission()
        if submission is not None:
            return _status_page(submission, FollowUpForm(), 503, sent=False, notice=fault_notice(files=True))
    except Exception as error:
        if not faults.is_fault(error):
            raise
        db.session.rollback()
    return render_template("public/followup_retry.html", form=FollowUpForm(), notice=fault_notice(files=True)), 503


def resubmit_followup():
    """The follow-up form's security token expired: show the page again, keeping the text."""
    submission, _key = _receipt_submission()
    if submission is None:
        return redirect(url_for("public.receipt"))
    return _status_page(submission, FollowUpForm(), 400, sent=False, notice=resubmit_notice())
