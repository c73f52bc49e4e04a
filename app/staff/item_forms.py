"""Forms of the item page. Each carries the item's version: a change made from a page that
is older than the item is refused with a message instead of overwriting someone's work."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, StringField, SubmitField, TextAreaField

from app import vocabularies as v
from app.forms import InVocabulary, MaxChars, MultiCheckboxField, Required, clean_text


class VersionedForm(FlaskForm):
    version = HiddenField()

    def expected_version(self) -> int | None:
        version = self.version.data or ""
        return int(version) if version.isdigit() else None


class StatusForm(VersionedForm):
    status = SelectField(_l("New status"), choices=v.STATUSES, validate_choice=False,
                         validators=[InVocabulary(v.STATUSES)])
    reason = TextAreaField(_l("Reason (required for rejected, duplicate and closed)"), filters=[clean_text],
                           validators=[MaxChars(1000)], render_kw={"rows": 2})
    duplicate_of = StringField(_l("Original item (for duplicates)"), filters=[clean_text],
                               render_kw={"autocomplete": "off", "spellcheck": "false"})
    submit = SubmitField(_l("Change status"))


class AssessmentForm(VersionedForm):
    priority = SelectField(_l("Priority"), choices=[("", _l("Not set")), *v.PRIORITIES], validate_choice=False,
                           validators=[InVocabulary(v.PRIORITIES)])
    violation_status = SelectField(_l("Violation status"), choices=[("", _l("Not set")), *v.VIOLATION_STATUSES],
                                   validate_choice=False, validators=[InVocabulary(v.VIOLATION_STATUSES)])
    reliability = SelectField(_l("Reliability"), choices=[("", _l("Not set")), *v.RELIABILITY], validate_choice=False,
                              validators=[InVocabulary(v.RELIABILITY)])
    submit = SubmitField(_l("Save assessment"))


class AssignForm(VersionedForm):
    assignee = SelectField(_l("Assignee"), choices=[], validate_choice=False)
    submit = SubmitField(_l("Assign"))


class CategoriesForm(VersionedForm):
    categories = MultiCheckboxField(_l("Categories"), choices=[])
    submit = SubmitField(_l("Save categories"))


class NoteForm(FlaskForm):
    body = TextAreaField(_l("Internal note"), filters=[clean_text],
                         validators=[Required(_l("Please write the note.")), MaxChars(20_000)], render_kw={"rows": 3})
    submit = SubmitField(_l("Add note"))


class MessageForm(FlaskForm):
    body = TextAreaField(_l("Message to the submitter"), filters=[clean_text],
                         validators=[Required(_l("Please write the message.")), MaxChars(20_000)],
                         render_kw={"rows": 4})
    submit = SubmitField(_l("Send message"))


class RevealForm(FlaskForm):
    submit = SubmitField(_l("Reveal contact details"))
