"""Officers' pages of partner groups (issue 23): the groups, and for one group its
submissions, counts by status and category, and messages to the group as a whole."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.auth import current_keyring
from app.extensions import db
from app.i18n import current_lang
from app.sealed import groups as sealed_groups
from app.services.groups import accounts, space
from app.staff import bp
from app.staff.group_forms import GroupMessageForm


@bp.route("/groups")
def groups():
    session, keyring = db.session(), current_keyring()
    rows = [g for g in accounts.all_groups(session) if g.status != "invited"]
    return render_template("staff/groups.html", rows=rows, counts=space.counts_by_group(session),
                           profiles={g.id: sealed_groups.open_profile(keyring, g) for g in rows})


@bp.route("/groups/<public_id>", methods=["GET", "POST"])
def group(public_id):
    session, keyring = db.session(), current_keyring()
    found = accounts.find(session, public_id)
    if found is None:
        abort(404)
    form = GroupMessageForm()
    if found.public_key is not None and form.validate_on_submit():
        space.send_message(session, found, form.body.data or "", current_user.id)
        session.commit()
        flash(_("The message was sent to the group."), "success")
        return redirect(url_for("staff.group", public_id=public_id))
    return render_template(
        "staff/group.html", group=found, form=form, items=space.submissions(session, found),
        counts=space.counts(session, found), profile=sealed_groups.open_profile(keyring, found),
        source_name=sealed_groups.open_source_name(keyring, found),
        messages=space.messages_for_staff(found, keyring), lang=current_lang()), 422 if form.errors else 200
