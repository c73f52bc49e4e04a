"""Forms of the item page's linked-records panel (staff/_item_records.html).

Several link forms share the page (one per search result and per suggestion), so each has a
prefix of its own, "<origin>-<record public id>", and says its origin in a hidden field that is
not prefixed: the view reads it to build the same form from the POST.
"""
from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, SubmitField, TextAreaField

from app import vocabularies as v
from app.forms import InVocabulary, MaxChars, Required, clean_text
from app.services.records.links import MAX_PASSAGE
from app.services.records.records import MAX_NAME

ORIGINS = ("found", "suggested")
PUBLIC_ID = re.compile(r"^[PLE][2-9A-HJKMNP-Z]{10}$")


def passage_field() -> TextAreaField:
    return TextAreaField(_l("Passage it rests on (optional)"), filters=[clean_text],
                         validators=[MaxChars(MAX_PASSAGE)], render_kw={"rows": 2})


class LinkForm(FlaskForm):
    """Link one existing record; the role's choices are the record's kind's (set by the view)."""

    role = SelectField(_l("Role"), choices=[], validate_choice=False)
    passage = passage_field()
    submit = SubmitField(_l("Link"))


class NewRecordForm(FlaskForm):
    """Create a record and link it in one step."""

    kind = SelectField(_l("Kind of record"), choices=v.RECORD_KINDS, validate_choice=False,
                       validators=[InVocabulary(v.RECORD_KINDS)])
    name = StringField(_l("Name or title"), filters=[clean_text],
                       validators=[Required(_l("Please write the name or title.")), MaxChars(MAX_NAME)],
                       render_kw={"autocomplete": "off"})
    role = SelectField(_l("Role of a person"), choices=[("", _l("Not selected")), *v.INVOLVEMENT_ROLES],
                       validate_choice=False, validators=[InVocabulary(v.INVOLVEMENT_ROLES)])
    passage = passage_field()
    submit = SubmitField(_l("Create and link"))


class UnlinkForm(FlaskForm):
    submit = SubmitField(_l("Remove link"))


def link_prefix(origin: str, record_public_id: str) -> str:
    return f"{origin}-{record_public_id}"
