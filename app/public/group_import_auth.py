"""Which partner group is logged in, for the spreadsheet import's pages: the only place those
pages learn it (issue 23).

The group core (app/public/group_session.py, another part of issue 23) is not merged yet, so
this is a stand-in that lets nobody in: every import page sends the visitor to the group's
login page, /<lang>/group. When merging, this module's body becomes

    from app.public.group_session import current_group, group_required

The pages need of a group only `id` (its partner_group.id). Views call current_group() and
group_required through this module (group_import_auth.current_group()), so that tests can
stand in a group of their own (tests/public/test_group_import.py's fixture, test-only).
"""
from __future__ import annotations

import functools
from typing import Protocol

from flask import redirect
from flask_babel import get_locale


class Group(Protocol):
    id: int


def current_group() -> Group | None:
    return None  # stand-in: no group can log in before the group core is merged


def group_required(view):
    @functools.wraps(view)
    def checked(*args, **kwargs):
        if current_group() is None:
            return redirect(f"/{get_locale() or 'ko'}/group")
        return view(*args, **kwargs)

    return checked
