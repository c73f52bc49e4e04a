"""When something happened, with the precision it is known to, in the page's language: one
wording for an event record, a submission and a case's timeline ("2019년 12월 3일",
"2019년 12월경", "2019년경", the words given for a rough time, or that it is not known).

Reads the clear codes every one of them carries (`when_precision`, `when_date`, `when_year`,
`when_month`). A submission reported before precision was asked has none: its date or year
is shown as given, without "around".
"""
from __future__ import annotations

from datetime import date
from typing import Any

from babel.dates import format_skeleton as babel_skeleton
from flask import g
from flask_babel import get_locale
from flask_babel import gettext as _

from app.i18n import format_date


def format_skeleton(skeleton: str, value: date) -> str:
    """A date in the page's language by a CLDR skeleton ("yMMMM": 2019년 12월, December 2019)."""
    return babel_skeleton(skeleton, value, locale=get_locale() or "ko")


def when_label(thing: Any, rough: str | None = None) -> str:
    """`thing` is a Record, a Submission or a timeline Entry. `rough`: the words given for a
    rough time, opened ("" when there are none); None where they are sealed and not opened
    here (a case page does not open its submissions), which then points to the item.

    A case page asks this hundreds of times for a few dozen different dates: each wording is
    made once per request (Babel's formatting is what costs)."""
    key = (thing.when_precision, thing.when_date, thing.when_year, thing.when_month, rough)
    # Kept per language: an app context (and its g) can outlive one request in tests.
    made = g.setdefault("when_labels", {}).setdefault(str(get_locale()), {})
    if key not in made:
        made[key] = _wording(*key)
    return made[key]


def _wording(precision: str | None, day: date | None, year: int | None, month: int | None,
             rough: str | None) -> str:
    if day is not None and precision in (None, "day"):
        return format_date(day)
    if year and month and precision in (None, "month"):
        shown = format_skeleton("yMMMM", date(year, month, 1))
        return shown if precision is None else _("around %(when)s", when=shown)
    if year and precision in (None, "year", "month"):
        shown = format_skeleton("y", date(year, 1, 1))
        return shown if precision is None else _("around %(when)s", when=shown)
    if precision == "approximate":
        if rough is None:
            return _("Roughly (see the item)")
        if rough and year:
            return f"{rough} ({format_skeleton('y', date(year, 1, 1))})"
        if year:
            return _("around %(when)s", when=format_skeleton("y", date(year, 1, 1)))
        return rough or _("Time not known")
    return _("Time not known")
