"""One item: everything an officer needs to work it to a decision.

Every action is its own POST (CSRF-checked, audited); a refused or stale change shows the
page again with the reason next to the form and what was typed kept.
"""
from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.downloads import attachment_response
from app.extensions import db
from app.services.files.attachments import original_name, read_chunks
from app.services.intake import reports as submission_service
from app.services.triage import actions
from app.staff import bp
from app.staff.item_actions import ACTIONS, build_forms, refusal_message


def item_or_404(public_id: str):
    item = submission_service.find_by_public_id(db.session, public_id)
    if item is None:
        abort(404)
    return item


@bp.route("/submissions/<public_id>")
def submission(public_id):
    item = item_or_404(public_id)
    actions.record_view(db.session, current_user, item)
    db.session.commit()
    return render_template("staff/submission.html", item=item, forms=build_forms(db.session, item),
                           original_name=original_name)


@bp.route("/submissions/<public_id>/<action>", methods=["POST"])
def submission_action(public_id, action):
    item = item_or_404(public_id)
    if action not in ACTIONS:
        abort(404)
    forms = build_forms(db.session, item, posted=action)
    form = forms[action]
    if form.validate_on_submit():
        try:
            result = ACTIONS[action](db.session, current_user, item, form)
            db.session.commit()
        except actions.TriageError as refused:
            db.session.rollback()
            item = item_or_404(public_id)
            form.form_errors.append(refusal_message(refused.reason))
        else:
            if action == "reveal":
                return render_template("staff/submission.html", item=item, forms=forms,  # reveal changes no field
                                       original_name=original_name, contact=result)
            flash(_("Saved."), "success")
            return redirect(url_for("staff.submission", public_id=public_id) + f"#{action}")
    return render_template("staff/submission.html", item=item, forms=forms, original_name=original_name,
                           failed=action), 422


@bp.route("/submissions/<public_id>/files/<int:attachment_id>")
def download(public_id, attachment_id):
    item = item_or_404(public_id)
    attachment = next((a for a in item.attachments if a.id == attachment_id), None)
    if attachment is None:
        abort(404)
    actions.record_download(db.session, current_user, item, attachment.id)
    db.session.commit()
    # octet-stream and a download: a hostile file must never run in the staff origin.
    return attachment_response(read_chunks(attachment, current_app.config["UPLOAD_DIR"]), original_name(attachment),
                               "application/octet-stream", size=attachment.size, fallback=f"attachment-{attachment.id}")
