"""The queue's forms: filters (a GET form, so a filtered view is a link that works without
JavaScript) and bulk actions (a POST form around the rows' checkboxes).

A filter value that is not one of the offered choices is reported next to its field and then
ignored, never passed on: the query string is typed, bookmarked and edited by hand.
"""
from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, SelectField, SelectMultipleField, StringField, SubmitField
from wtforms.validators import ValidationError

from app import vocabularies as v
from app.forms import MaxChars, clean_text
from app.i18n import LANGUAGE_NAMES
from app.models import PartnerGroup, User
from app.sealed import search
from app.sealed.keys import Keyring
from app.services.intake.reports import find_by_public_id
from app.services.taxonomy import category_choices
from app.services.triage import actions
from app.services.triage import queue as queue_service

ALL = ("", lazy_pgettext("filter", "All"))
SORT_CHOICES = [
    ("newest", _l("Newest first")),
    ("oldest", _l("Oldest first")),
    ("updated", _l("Recently changed first")),
    ("priority", _l("Priority first")),
]
ITEM_VALUE = re.compile(r"^([A-Z0-9]{4,16}):(\d{1,9})$")


class OneOfChoices:
    """The value must be one of the field's offered choices."""

    def __call__(self, form, field):
        if field.data not in {str(value) for value, _ in field.choices}:
            raise ValidationError(_l("Please choose one of the options."))


class IsoDate:
    def __call__(self, form, field):
        if field.data:
            try:
                if not 1900 <= date.fromisoformat(field.data).year <= 2100:  # far dates overflow in time zones
                    raise ValueError(field.data)
            except ValueError:
                raise ValidationError(_l("Please enter a date like 2026-11-22.")) from None


def _select(label, choices, default=""):
    return SelectField(label, choices=choices, default=default, validate_choice=False, validators=[OneOfChoices()])


def row_labels() -> dict:
    """Every label a queue row shows, translated once per page instead of once per cell."""
    return {
        "status": {code: str(label) for code, label in v.STATUSES},
        "kind": {code: str(label) for code, label in v.KINDS},
        "priority": {code: str(label) for code, label in v.PRIORITIES},
        "province": {code: str(label) for code, label in v.PROVINCES},
        "language": LANGUAGE_NAMES,
    }


class FilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET form that changes nothing

    left_out = ""  # one-syllable Korean words the search could not use

    q = StringField(_l("Search"), filters=[clean_text], validators=[MaxChars(search.MAX_QUERY_CHARS)],
                    render_kw={"type": "search", "spellcheck": "false"})
    status = _select(lazy_pgettext("case", "Status"), [ALL, *v.STATUSES])
    kind = _select(_l("Kind"), [ALL, *v.KINDS])
    category = _select(_l("Category"), [ALL])
    priority = _select(_l("Priority"), [ALL, *v.PRIORITIES, ("none", _l("Not set"))])
    assignee = _select(_l("Assignee"), [], default="any")
    language = _select(_l("Language"), [ALL, *LANGUAGE_NAMES.items()])
    province = _select(_l("Region"), [ALL, *v.PROVINCES])
    group = _select(_l("Partner group"), [ALL])
    received_from = StringField(_l("Received from"), validators=[IsoDate()], render_kw={"type": "date"})
    received_to = StringField(_l("Received until"), validators=[IsoDate()], render_kw={"type": "date"})
    files = _select(_l("Files"), [("", _l("With or without files")), ("with", _l("With files")),
                                  ("without", _l("Without files"))])
    unread = BooleanField(_l("Only items with new activity"))
    sort = _select(_l("Sort"), SORT_CHOICES, default="newest")

    def set_choices(self, session, lang: str, users: list[User]) -> None:
        self.category.choices = [ALL, *category_choices(session, lang)]
        self.assignee.choices = [("any", _l("Anyone")), ("mine", _l("Assigned to me")),
                                 ("unassigned", _l("Unassigned")),
                                 *((str(user.id), user.name or user.email) for user in users)]
        # Partner groups by their number: their names are sealed to the identity key.
        numbers = session.scalars(sa.select(PartnerGroup.public_id).where(PartnerGroup.status != "invited")
                                  .order_by(PartnerGroup.public_id))
        self.group.choices = [ALL, *((number, number) for number in numbers)]

    def validate_received_to(self, field):
        if (field.data and self.received_from.data and not (field.errors or self.received_from.errors)
                and date.fromisoformat(field.data) < date.fromisoformat(self.received_from.data)):
            raise ValidationError(_l("The end date is before the start date."))

    def value(self, name: str):
        """The field's value, or its default when it was invalid (reported, then ignored)."""
        field = self[name]
        return field.default if field.errors else field.data

    def to_filters(self, session, viewer: User, timezone: str, after: str | None, before: str | None,
                   keyring: Keyring | None = None):
        self.validate()
        query = search.parse(self.value("q"))
        if query.problem:
            self.q.errors = [*self.q.errors,
                             _l("Korean search words need at least two syllables (for example 고문, not 고).")]
        elif query.left_out:
            self.left_out = ", ".join(query.left_out)
        zone = ZoneInfo(timezone)

        def moment(name: str, days: int = 0) -> datetime | None:
            raw = self.value(name)
            return datetime.combine(date.fromisoformat(raw) + timedelta(days=days), time(), zone) if raw else None

        category = self.value("category")
        group = self.value("group")
        return queue_service.QueueFilters(
            viewer_id=viewer.id, status=self.value("status") or None, kind=self.value("kind") or None,
            category_ids=queue_service.category_ids(session, category) if category else None,
            priority=self.value("priority") or None, assignee=self.value("assignee") or "any",
            locale=self.value("language") or None, province=self.value("province") or None,
            group_id=(session.scalar(sa.select(PartnerGroup.id).where(PartnerGroup.public_id == group))
                      if group else None),
            received_from=moment("received_from"), received_until=moment("received_to", days=1),
            files=self.value("files") or None, unread=bool(self.unread.data), query=query,
            sort=self.value("sort") or "newest", after=after, before=before, keyring=keyring or Keyring(),
        )

    @property
    def problems(self) -> list:
        return [field for field in self if field.errors]


class BulkForm(FlaskForm):
    items = SelectMultipleField(_l("Select"), choices=[], validate_choice=False)
    next = HiddenField()
    assignee = _select(_l("Assign to"), [])
    assign = SubmitField(_l("Assign selected"))
    status = _select(_l("New status"), v.STATUSES)
    reason = StringField(_l("Reason (required for rejected, duplicate and closed)"), filters=[clean_text],
                         validators=[MaxChars(1000)])
    duplicate_of = StringField(_l("Original item (for duplicates)"), filters=[clean_text],
                               render_kw={"autocomplete": "off", "spellcheck": "false"})
    change_status = SubmitField(_l("Change status of selected"))
    priority = _select(_l("Priority"), [("", _l("Not set")), *v.PRIORITIES])
    set_priority = SubmitField(_l("Set priority of selected"))

    def set_choices(self, users: list[User]) -> None:
        self.assignee.choices = [("", _l("Unassigned"))] + [(str(user.id), user.name or user.email) for user in users]

    def selected(self) -> list[tuple[str, int]]:
        """(public id, version seen) of each ticked row; anything malformed is dropped."""
        found = [ITEM_VALUE.match(value or "") for value in self.items.data or []]
        return [(m.group(1), int(m.group(2))) for m in found if m]

    def change(self, session, actor: User, keyring: Keyring):
        """The triage call to make for each item, or None when the form is not usable."""
        if self.assign.data and not self.assignee.errors:
            assignee = session.get(User, int(self.assignee.data)) if self.assignee.data else None
            return lambda item: actions.assign(session, actor, item, assignee)
        if self.change_status.data and not (self.status.errors or self.reason.errors):
            original = None
            if self.duplicate_of.data:
                original = find_by_public_id(session, self.duplicate_of.data.upper())
            return lambda item: actions.change_status(session, actor, item, self.status.data, keyring,
                                                      self.reason.data, original)
        if self.set_priority.data and not self.priority.errors:
            return lambda item: actions.set_priority(session, actor, item, self.priority.data or None)
        return None
