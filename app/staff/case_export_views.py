"""Exports of a case (issue 22): its case file, Uwazi's CSV import and HURIDOCS ESF JSON.

Each is a POST (the global CSRF check) by a staff member whose session holds the keys, like
today's case-file export, and is audited before the first byte leaves (case.exported with
the format). Responses are never cached (security.set_security_headers: no-store) and are
named after the case's public id and the time, never after anything in it.
"""
from __future__ import annotations

from flask import abort, current_app
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy.orm import Session
from wtforms import BooleanField

from app.auth import current_keyring
from app.downloads import attachment_response
from app.extensions import db
from app.services.evidence import casefile
from app.services.evidence.case_exports import case_file, formats, gather
from app.staff import bp
from app.staff.item_views import keys_or_403


class CaseFileExportForm(FlaskForm):
    class Meta:
        csrf = False  # CSRFProtect has checked this POST already (it is global); one token field serves all three

    include_contact = BooleanField(_l("Include contact details — needed for this hand-over"))


def case_exports_panel(case) -> dict:
    """What staff/_case_exports.html needs beside the case."""
    return {"form": CaseFileExportForm(formdata=None), "can_include_contact": bool(current_keyring().identity)}


@bp.context_processor
def _case_export_helpers():
    return {"case_exports_panel": case_exports_panel}


def _case_or_404(public_id: str):
    case = gather.find_case(db.session(), public_id)
    if case is None:
        abort(404)
    return case


@bp.route("/cases/<public_id>/export/case-file.zip", methods=["POST"])
def case_export_file(public_id):
    case = _case_or_404(public_id)
    keyring = keys_or_403()
    form = CaseFileExportForm()
    if not form.validate_on_submit():
        abort(400)
    if form.include_contact.data and not keyring.identity:  # contact details need the identity key
        abort(403)
    job = case_file.start(db.session(), current_user, case, form.include_contact.data)
    db.session.close()  # the stream reads in its own short sessions; hold no transaction open
    body = casefile.stream(lambda: Session(db.engine), job, current_app.config["UPLOAD_DIR"], keyring,
                           casefile.Trust.from_config(current_app.config), case_file.parts(public_id, keyring))
    return attachment_response(body, job.filename, "application/zip")


def _download(public_id: str, fmt: str):
    case = _case_or_404(public_id)
    download = formats.export(db.session(), current_user, keys_or_403(), case, fmt)
    return attachment_response(download.body, download.filename, download.mimetype, size=len(download.body))


@bp.route("/cases/<public_id>/export/uwazi.zip", methods=["POST"])
def case_export_uwazi(public_id):
    return _download(public_id, "uwazi")


@bp.route("/cases/<public_id>/export/esf.json", methods=["POST"])
def case_export_esf(public_id):
    return _download(public_id, "esf")
