"""Linking the item to records from the item page: link a record found or suggested, create one
and link it, remove a link. Each is a POST with CSRF; a refusal shows the item page again with
the message by the form and what was typed kept; success goes back to the panel (#records).
"""
from __future__ import annotations

from urllib.parse import urlencode

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.extensions import db
from app.forms import add_error
from app.models import RecordLink
from app.sealed import records as sealed
from app.services.records import links, records
from app.services.records.links import LinkError
from app.services.records.records import RecordError, RecordInput
from app.staff import bp
from app.staff.item_actions import build_forms
from app.staff.item_views import item_or_404, item_page, keys_or_403
from app.staff.record_link_forms import ORIGINS, PUBLIC_ID, LinkForm, NewRecordForm, UnlinkForm, link_prefix


def refusal_text(reason: str) -> str:
    messages = {
        "role": _("Please choose the role this record has in the item."),
        "too_long": _("You can enter up to %(max)s characters.", max=f"{links.MAX_PASSAGE:,}"),
        "duplicate": _("This record is already linked to this item in this role."),
        "name_required": _("Please write the name or title."),
        "kind": _("Please choose one of the options."),
        "choice": _("Please choose one of the options."),
    }
    return messages.get(reason, messages["choice"])


def _back_to_panel(public_id: str, query: str = ""):
    search = f"?{urlencode({'records': query})}" if query else ""
    return redirect(url_for("staff.submission", public_id=public_id) + search + "#records")


def _record_or_404(record_id: str):
    record = records.find(db.session(), record_id) if PUBLIC_ID.match(record_id) else None
    if record is None:
        abort(404)
    return record


def _refused(form, refused: LinkError | RecordError) -> None:
    field = getattr(form, refused.field or "", None)
    if refused.field in ("role", "passage", "name", "kind") and field is not None:
        add_error(field, refusal_text(refused.reason))
    else:
        form.form_errors.append(refusal_text(refused.reason))


@bp.route("/submissions/<public_id>/records/link/<record_id>", methods=["POST"])
def link_record(public_id, record_id):
    item = item_or_404(public_id)
    keyring = keys_or_403()
    record = _record_or_404(record_id)
    origin = request.form.get("origin") or ""
    origin = origin if origin in ORIGINS else "found"
    form = LinkForm(prefix=link_prefix(origin, record.public_id))
    form.role.choices = [(code, str(label)) for code, label in links.roles_for(record.kind)]
    if form.validate_on_submit():
        try:
            links.link(db.session(), current_user, keyring, item, record, form.role.data, form.passage.data)
            db.session.commit()
        except LinkError as refused:
            db.session.rollback()
            item, record = item_or_404(public_id), _record_or_404(record_id)
            _refused(form, refused)
        else:
            flash(_("Linked."), "success")
            return _back_to_panel(public_id, request.form.get("records", "") if origin == "found" else "")
    sealed.open_content(keyring, record)
    return item_page(item, build_forms(db.session, item), 422, record_link_failed=(origin, record, form))


@bp.route("/submissions/<public_id>/records/new", methods=["POST"])
def create_and_link(public_id):
    item = item_or_404(public_id)
    keyring = keys_or_403()
    form = NewRecordForm(prefix="newrecord")
    if form.validate_on_submit():
        kind = form.kind.data
        role = form.role.data if kind == "person" else kind
        try:
            links.check(kind, role, form.passage.data)  # checked before anything is made
            record = records.create(db.session(), current_user, RecordInput(
                kind=kind, name=form.name.data or "", person_role=role if kind == "person" else None))
            links.link(db.session(), current_user, keyring, item, record, role, form.passage.data)
            db.session.commit()
        except (LinkError, RecordError) as refused:
            db.session.rollback()
            item = item_or_404(public_id)
            _refused(form, refused)
        else:
            flash(_("Record created and linked."), "success")
            return _back_to_panel(public_id)
    return item_page(item, build_forms(db.session, item), 422, new_record_form=form)


@bp.route("/submissions/<public_id>/records/unlink/<int:link_id>", methods=["POST"])
def unlink_record(public_id, link_id):
    item = item_or_404(public_id)
    keys_or_403()
    record_link = db.session.get(RecordLink, link_id)
    if record_link is None or record_link.submission_id != item.id:
        abort(404)
    if not UnlinkForm(prefix=f"unlink-{link_id}").validate_on_submit():
        abort(400)
    links.unlink(db.session(), current_user, item, record_link)
    db.session.commit()
    flash(_("Link removed."), "success")
    return _back_to_panel(public_id)
