"""Admins create partner groups (issue 23) and hand them a one-time invitation code, suspend
or reactivate them and end their sessions. Every action is in the audit log; the group's name
is shown only to an admin whose session holds the identity key (the contact right)."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.admin import bp
from app.admin.group_forms import NewGroupForm
from app.auth import current_keyring
from app.extensions import db
from app.forms import ConfirmForm
from app.models import PartnerGroup
from app.sealed import groups as sealed_groups
from app.sealed import key_sessions
from app.services.groups import accounts, space


def _actor() -> str:
    return f"user:{current_user.id}"


def _list_page(form: NewGroupForm, status: int = 200):
    session, keyring = db.session(), current_keyring()
    rows = accounts.all_groups(session)
    return render_template(
        "admin/groups.html", rows=rows, form=form, action_form=ConfirmForm(),
        profiles={g.id: sealed_groups.open_profile(keyring, g) for g in rows},
        counts=space.counts_by_group(session),
        sessions={g.id: key_sessions.active_group_count(session, g.id) for g in rows}), status


@bp.route("/groups")
def groups():
    return _list_page(NewGroupForm())


@bp.route("/groups/new", methods=["POST"])
def group_new():
    form = NewGroupForm()
    if not form.validate_on_submit():
        return _list_page(form, 422)
    group, code = accounts.create(db.session(), form.name.data or "", form.contacts.data or "", _actor())
    db.session.commit()
    return _code_page(group, code)


def _code_page(group: PartnerGroup, code: str):
    """The invitation code, shown this once (it is stored nowhere)."""
    return render_template("admin/group_invitation.html", group=group, code=code,
                           days=accounts.INVITE_DAYS)


@bp.route("/groups/<public_id>/reinvite", methods=["POST"])
def group_reinvite(public_id):
    group = _group(public_id)
    if ConfirmForm().validate_on_submit() and group.status == "invited":
        code = accounts.reinvite(db.session(), group, _actor())
        db.session.commit()
        return _code_page(group, code)
    return redirect(url_for("admin.groups"))


@bp.route("/groups/<public_id>/suspend", methods=["POST"])
def group_suspend(public_id):
    group = _group(public_id)
    if ConfirmForm().validate_on_submit() and group.status != "invited":
        accounts.set_suspended(db.session(), group, group.status == "active", _actor())
        db.session.commit()
        flash(_("The group was suspended: its sessions have ended and it cannot log in.")
              if group.status == "suspended" else _("The group can log in again."), "success")
    return redirect(url_for("admin.groups"))


@bp.route("/groups/<public_id>/end-sessions", methods=["POST"])
def group_end_sessions(public_id):
    group = _group(public_id)
    if ConfirmForm().validate_on_submit():
        ended = accounts.end_sessions(db.session(), group, _actor())
        db.session.commit()
        flash(_("Sessions ended: %(count)s. Copies of their cookies no longer work.", count=ended), "success")
    return redirect(url_for("admin.groups"))


def _group(public_id: str) -> PartnerGroup:
    group = accounts.find(db.session(), public_id)
    if group is None:
        abort(404)
    return group
