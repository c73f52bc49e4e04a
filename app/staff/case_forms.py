"""Forms of the case pages. The case form carries the case's version: an edit made from an
older page is refused with a message instead of overwriting someone's work."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, StringField, SubmitField, TextAreaField

from app import vocabularies as v
from app.forms import InVocabulary, MaxChars, Required, clean_text
from app.services.records import cases
from app.staff.item_forms import VersionedForm

PUBLIC_ID = {"autocomplete": "off", "spellcheck": "false", "autocapitalize": "characters"}


MAX_CASE_NUMBER = 20


class CaseForm(VersionedForm):
    title = StringField(_l("Title"), filters=[clean_text],
                        validators=[Required(_l("Please give the case a title.")), MaxChars(cases.MAX_TITLE)])
    summary = TextAreaField(_l("Summary"), filters=[clean_text], validators=[MaxChars(cases.MAX_SUMMARY)],
                            render_kw={"rows": 5})
    status = SelectField(_l("Case status"), choices=v.CASE_STATUSES, validate_choice=False,
                         validators=[InVocabulary(v.CASE_STATUSES)], default="open")
    lead = SelectField(_l("Lead officer"), choices=[], validate_choice=False)
    submit = SubmitField(_l("Save case"))

    def set_choices(self, officers) -> None:
        self.lead.choices = [("", _l("No lead officer yet")), *((str(u.id), u.name or u.email) for u in officers)]

    def lead_id(self) -> int | None:
        value = self.lead.data or ""
        return int(value) if value.isdigit() else None


class NewCaseForm(CaseForm):
    submit = SubmitField(_l("Create case"))


class AddSubmissionForm(FlaskForm):
    submission = StringField(_l("Item number"), filters=[clean_text],
                             validators=[Required(_l("Please enter an item number.")), MaxChars(40)],
                             render_kw=PUBLIC_ID)
    submit = SubmitField(_l("Add item"))


class RemoveSubmissionForm(FlaskForm):
    submission = HiddenField()
    submit = SubmitField(_l("Remove from the case"))


class AddRecordForm(FlaskForm):
    record = StringField(_l("Record number"), filters=[clean_text],
                         validators=[Required(_l("Please enter a record number.")), MaxChars(40)],
                         render_kw=PUBLIC_ID)
    submit = SubmitField(_l("Add record"))


class RemoveRecordForm(FlaskForm):
    record = HiddenField()
    submit = SubmitField(_l("Remove from the case"))


class CaseNoteForm(FlaskForm):
    body = TextAreaField(_l("Note"), filters=[clean_text],
                         validators=[Required(_l("Please write the note first.")), MaxChars(cases.MAX_NOTE)],
                         render_kw={"rows": 3})
    submit = SubmitField(_l("Add note"))


class RecordSearchForm(FlaskForm):
    """A GET form (no CSRF: it changes nothing) on the case page: records by name or alias."""

    class Meta:
        csrf = False

    q = StringField(_l("Find a record by name or alias"), filters=[clean_text], validators=[MaxChars(200)])
    submit = SubmitField(_l("Find"))


class ItemCaseForm(FlaskForm):
    """On the item page: add this item to one of the open cases most recently changed, or to
    any open case by its number (`number` is shown when the list had to be cut)."""

    case = SelectField(_l("Case"), choices=[], validate_choice=False)
    number = StringField(_l("Or the case's number"), filters=[clean_text], validators=[MaxChars(MAX_CASE_NUMBER)])
    submit = SubmitField(_l("Add to the case"))

    def chosen(self) -> str:
        return (self.case.data or self.number.data or "").strip().upper()


class CaseFilterForm(FlaskForm):
    class Meta:
        csrf = False

    status = SelectField(_l("Case status"), choices=[("", _l("Any status")), *v.CASE_STATUSES], validate_choice=False,
                         validators=[InVocabulary(v.CASE_STATUSES)])
    lead = SelectField(_l("Lead officer"), choices=[], validate_choice=False)
    submit = SubmitField(_l("Filter"))
