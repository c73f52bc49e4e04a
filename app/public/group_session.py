"""A partner group's logged-in session (issue 23): a key session (sealed/key_sessions.py) that
holds the group's private key, encrypted under a token only the group's cookie carries. No
cookie exists before the group logs in; the session ends at logout, after GROUP_IDLE without
use, at GROUP_LIFETIME, and at once when an admin suspends the group or ends its sessions
(the rows go, and the group's session_version no longer matches any payload made before)."""
from __future__ import annotations

import base64
import functools
import json
from dataclasses import dataclass
from datetime import timedelta

from flask import g, redirect, session, url_for

from app.extensions import db
from app.models import PartnerGroup
from app.sealed import key_sessions

GROUP_IDLE = timedelta(minutes=30)
GROUP_LIFETIME = timedelta(hours=8)
COOKIE_ENTRY = "group"


@dataclass
class GroupAccess:
    group: PartnerGroup
    private_key: bytes

    @property
    def public_key(self) -> bytes:
        if self.group.public_key is None:  # a logged-in group has joined: its key exists
            raise RuntimeError("a group session without the group's key")
        return self.group.public_key


def start(group: PartnerGroup, private_key: bytes) -> None:
    """Log the group in: its key session, and the cookie entry with the token. The caller commits."""
    payload = json.dumps({"g": group.id, "v": group.session_version,
                          "k": base64.b64encode(private_key).decode()}).encode()
    session.pop("receipt", None)
    session[COOKIE_ENTRY] = key_sessions.create(db.session(), "group", payload, GROUP_IDLE, group_id=group.id)


def end() -> None:
    key_sessions.destroy(db.session(), session.pop(COOKIE_ENTRY, None))
    db.session.commit()


def current_group() -> GroupAccess | None:
    """The logged-in group of this request and its private key, or None."""
    if "group_access" in g:
        return g.group_access
    access = None
    token = session.get(COOKIE_ENTRY)
    opened = key_sessions.read(db.session(), token, "group", GROUP_IDLE, GROUP_LIFETIME) if token else None
    if opened is not None:
        values = json.loads(opened.secrets)
        group = db.session.get(PartnerGroup, values["g"])
        if group is not None and group.status == "active" and group.session_version == values["v"]:
            access = GroupAccess(group, base64.b64decode(values["k"]))
        else:
            key_sessions.destroy(db.session(), token)
    if token:
        if access is None:
            session.pop(COOKIE_ENTRY, None)
        # The idle deadline moved, or a dead row went; and on SQLite every open transaction
        # holds the write lock (app/database.py), so the read ends here either way.
        db.session.commit()
    g.group_access = access
    return access


def logged_in() -> GroupAccess:
    """The group of a view behind group_required."""
    access = current_group()
    if access is None:
        raise RuntimeError("a group page without group_required")
    return access


def group_required(view):
    """For the group's own pages: without a live group session, the login page."""

    @functools.wraps(view)
    def checked(*args, **kwargs):
        if current_group() is None:
            return redirect(url_for("public.group"))
        return view(*args, **kwargs)

    return checked
