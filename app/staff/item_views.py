"""One item: everything an officer needs to work it to a decision.

Every action is its own POST (CSRF-checked, audited); a refused or stale change shows the
page again with the reason next to the form and what was typed kept. The item is opened with
the officer's keys (sealed/vault.py) for the page being drawn, never stored opened.
"""
from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.auth import current_keyring
from app.downloads import attachment_response
from app.extensions import db
from app.sealed import vault
from app.services.files import metadata
from app.services.files.attachments import read_chunks
from app.services.intake import reports
from app.services.triage import actions
from app.staff import bp
from app.staff.item_actions import ACTIONS, build_forms, refusal_message
from app.staff.record_link_panel import build as records_panel


def item_or_404(public_id: str):
    item = reports.find_by_public_id(db.session(), public_id)
    if item is None:
        abort(404)
    return item


def keys_or_403():
    """The session's keys; an account no key was granted to sees why instead of the item."""
    keyring = current_keyring()
    if not keyring:
        abort(403, description="no_keys")
    return keyring


def item_page(item, forms: dict, status: int = 200, **extra):
    key = vault.open_for_staff(keys_or_403(), item)
    vault.open_thread(item, key, current_keyring())
    extra["records_panel"] = records_panel(db.session(), current_keyring(), item, extra)
    return render_template("staff/submission.html", item=item, forms=forms,
                           can_reveal=bool(current_keyring().identity), metadata_state=metadata.metadata_state,
                           extension_of=metadata.extension_of, **extra), status


@bp.route("/submissions/<public_id>")
def submission(public_id):
    item = item_or_404(public_id)
    keys_or_403()
    actions.record_view(db.session(), current_user, item)
    db.session.commit()
    return item_page(item, build_forms(db.session, item))


@bp.route("/submissions/<public_id>/<action>", methods=["POST"])
def submission_action(public_id, action):
    item = item_or_404(public_id)
    if action not in ACTIONS:
        abort(404)
    keyring = keys_or_403()
    forms = build_forms(db.session, item, posted=action)
    form = forms[action]
    if form.validate_on_submit():
        try:
            result = ACTIONS[action](db.session, current_user, item, form, keyring)
            db.session.commit()
        except actions.TriageError as refused:
            db.session.rollback()
            item = item_or_404(public_id)
            form.form_errors.append(refusal_message(refused.reason, refused.status))
        else:
            if action == "reveal":
                return item_page(item, forms, contact=result)  # reveal changes no field
            flash(_("Saved."), "success")
            return redirect(url_for("staff.submission", public_id=public_id) + f"#{action}")
    return item_page(item, forms, 422, failed=action)


@bp.route("/submissions/<public_id>/files/<int:attachment_id>")
def download(public_id, attachment_id):
    item = item_or_404(public_id)
    attachment = next((a for a in item.attachments if a.id == attachment_id), None)
    if attachment is None:
        abort(404)
    key = vault.staff_key(keys_or_403(), item)
    vault.open_attachment(attachment, key)
    actions.record_download(db.session(), current_user, item, attachment.id)
    db.session.commit()
    # octet-stream and a download: a hostile file must never run in the staff origin.
    chunks = read_chunks(attachment.stored_name, current_app.config["UPLOAD_DIR"], key)
    return attachment_response(chunks, attachment.name, "application/octet-stream", size=attachment.size,
                               fallback=f"attachment-{attachment.id}")
