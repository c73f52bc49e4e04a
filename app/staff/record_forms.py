"""Forms of the records pages: one form per kind of record (person, place, event), the list's
filters (a GET form: a filtered list is a link), and adding a person to an event.

Format problems (a date, a year) are the form's; whether a code, a place or a name is
acceptable is the records service's (a RecordError with the field it is about), shown next to
that field by `show_refusal`.
"""
from __future__ import annotations

from datetime import UTC, date, datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import ValidationError

from app import vocabularies as v
from app.forms import MaxChars, MultiCheckboxField, add_error, clean_text, numeric_text, optional_select
from app.models import Record
from app.services.records.records import MAX_DESCRIPTION, MAX_NAME, RecordError, RecordInput
from app.services.taxonomy import category_choices
from app.staff.queue_forms import ALL, OneOfChoices

ALIASES_MAX = 30 * (MAX_NAME + 1)


def _select(label, choices):
    return SelectField(label, choices=choices, default="", validate_choice=False, validators=[OneOfChoices()])


class RecordForm(FlaskForm):
    """What every kind has: a name (an event's title), other names, a description."""

    version = HiddenField()
    name = StringField(_l("Name"), filters=[clean_text], validators=[MaxChars(MAX_NAME)],
                       render_kw={"autocomplete": "off", "spellcheck": "false"})
    aliases = TextAreaField(_l("Other names"), filters=[clean_text], validators=[MaxChars(ALIASES_MAX)],
                            render_kw={"rows": 4, "spellcheck": "false"})
    description = TextAreaField(_l("Description"), filters=[clean_text], validators=[MaxChars(MAX_DESCRIPTION)],
                                render_kw={"rows": 6})
    submit = SubmitField(_l("Save record"))

    kind = ""

    def validate_name(self, field):
        # Said with the other problems of the form at once (the service refuses it too).
        if not field.data:
            raise ValidationError(refusal_message("name_required", self.kind))

    def expected_version(self) -> int | None:
        version = self.version.data or ""
        return int(version) if version.isdigit() else None

    def to_input(self) -> RecordInput:
        aliases = [line for line in (self.aliases.data or "").splitlines() if line.strip()]
        return RecordInput(kind=self.kind, name=self.name.data or "", aliases=aliases,
                           description=self.description.data or "")

    def fill(self, record: Record) -> None:
        """The form as the record is now (its content opened)."""
        self.version.data = str(record.version)
        self.name.data = record.label
        self.aliases.data = "\n".join(record.aliases)
        self.description.data = record.description

    def set_choices(self, session, lang: str, places: list[Record]) -> None:
        pass


class PersonForm(RecordForm):
    kind = "person"
    person_role = optional_select(v.PERSON_ROLES, _l("Role"))
    agency = optional_select(v.PERPETRATOR_TYPES, _l("Unit or agency"))

    def to_input(self) -> RecordInput:
        data = super().to_input()
        data.person_role, data.agency = self.person_role.data or None, self.agency.data or None
        return data

    def fill(self, record: Record) -> None:
        super().fill(record)
        self.person_role.data, self.agency.data = record.person_role or "", record.agency or ""


class PlaceForm(RecordForm):
    kind = "place"
    province = optional_select(v.PROVINCES, _l("Region"))
    facility_type = optional_select(v.FACILITY_TYPES, _l("Facility type"))

    def to_input(self) -> RecordInput:
        data = super().to_input()
        data.province, data.facility_type = self.province.data or None, self.facility_type.data or None
        return data

    def fill(self, record: Record) -> None:
        super().fill(record)
        self.province.data, self.facility_type.data = record.province or "", record.facility_type or ""


class EventForm(RecordForm):
    kind = "event"
    name = StringField(_l("Title"), filters=[clean_text], validators=[MaxChars(MAX_NAME)],
                       render_kw={"autocomplete": "off"})
    categories = MultiCheckboxField(_l("Categories"), choices=[])
    when_precision = optional_select(v.WHEN_PRECISION, _l("How exactly is the time known?"))
    when_date = StringField(_l("Date"), filters=[clean_text, numeric_text], render_kw={"type": "date"})
    when_year = StringField(_l("Year"), filters=[clean_text, numeric_text],
                            render_kw={"inputmode": "numeric", "autocomplete": "off", "size": 6})
    when_month = optional_select(v.MONTHS, _l("Month"))
    when_text = StringField(_l("Roughly when"), filters=[clean_text], validators=[MaxChars(200)])
    place = SelectField(_l("Place"), choices=[], default="", validate_choice=False)
    place_number = StringField(_l("Or the place record's number"), filters=[clean_text],
                               render_kw={"autocomplete": "off", "spellcheck": "false"})

    def set_choices(self, session, lang: str, places: list[Record]) -> None:
        self.categories.choices = category_choices(session, lang)
        self.place.choices = [("", _l("No place")), *((p.public_id, f"{p.label} ({p.public_id})") for p in places)]

    def validate_when_date(self, field):
        if self.when_precision.data == "day":
            if not field.data:
                raise ValidationError(_l("Please enter the date, or choose another answer above."))
            try:
                date.fromisoformat(field.data)
            except ValueError:
                raise ValidationError(_l("Please enter the date as year-month-day, e.g. 2019-03-21.")) from None

    def validate_when_year(self, field):
        if self.when_precision.data in ("month", "year") or (self.when_precision.data == "approximate" and field.data):
            year = field.data or ""
            if not year.isdigit() or not 1900 <= int(year) <= datetime.now(UTC).year:
                raise ValidationError(_l("Please enter a year between 1900 and %(year)s.",
                                         year=datetime.now(UTC).year))

    def validate_when_month(self, field):
        if self.when_precision.data == "month" and not field.data:
            raise ValidationError(_l("Please choose the month."))

    def to_input(self) -> RecordInput:
        data = super().to_input()
        precision = self.when_precision.data or None
        year = self.when_year.data or ""
        data.when_precision = precision
        data.when_date = date.fromisoformat(self.when_date.data or "") if precision == "day" else None
        data.when_year = int(year) if precision in ("month", "year", "approximate") and year.isdigit() else None
        data.when_month = int(self.when_month.data) if precision == "month" and self.when_month.data else None
        data.when_text = self.when_text.data or None
        data.category_codes = list(self.categories.data or [])
        data.place_public_id = (self.place_number.data or "").upper() or self.place.data or None
        return data

    def fill(self, record: Record) -> None:
        super().fill(record)
        self.categories.data = [c.code for c in record.categories]
        self.when_precision.data = record.when_precision or ""
        self.when_date.data = record.when_date.isoformat() if record.when_date else ""
        self.when_year.data = str(record.when_year) if record.when_year and record.when_precision != "day" else ""
        self.when_month.data = str(record.when_month) if record.when_month and record.when_precision == "month" else ""
        self.when_text.data = record.when_text or ""
        self.place.data = record.place.public_id if record.place is not None else ""


FORMS: dict[str, type[RecordForm]] = {"person": PersonForm, "place": PlaceForm, "event": EventForm}


def refusal_message(reason: str, kind: str = "") -> str:
    """The sentence for a RecordError's reason."""
    messages = {
        "kind": _("Please choose what kind of record to create: a person, a place or an event."),
        "name_required": _("Please write the title.") if kind == "event" else _("Please write the name."),
        "too_long": _("The text is too long."),
        "choice": _("Please choose one of the options."),
        "place": _("There is no place record with this number."),
        "stale": _("Someone else changed this record after you opened it. What you typed is kept below, and "
                   "the record as it is now is shown beside it. Saving again replaces their changes with yours."),
        "not_person": _("There is no person record with this number."),
        "not_event": _("Persons can only be added to an event."),
        "same_record": _("A record cannot be linked to itself."),
    }
    return messages.get(reason, messages["choice"])


def show_refusal(form: FlaskForm, refused: RecordError, kind: str = "") -> None:
    """The refusal next to the field it is about (on the form when it is about none)."""
    message = refusal_message(refused.reason, kind)
    if refused.reason == "too_long" and refused.field == "aliases":
        message = _("Up to %(count)s other names, each up to %(max)s characters.", count=30, max=MAX_NAME)
    name = {"place": "place_number", "person": "person"}.get(refused.field or "", refused.field or "")
    if name in form._fields and name != "kind":
        add_error(form[name], message)
    else:
        form.form_errors.append(message)


class InvolvementForm(FlaskForm):
    """A person in an event, by the person record's number."""

    person = StringField(_l("Person record's number"), filters=[clean_text],
                         render_kw={"autocomplete": "off", "spellcheck": "false"})
    role = SelectField(_l("Role in this event"), choices=v.INVOLVEMENT_ROLES, validate_choice=False)
    submit = SubmitField(_l("Add person"))


class RemoveForm(FlaskForm):
    submit = SubmitField(_l("Remove"))


class RecordFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET form that changes nothing

    q = StringField(_l("Search"), filters=[clean_text], validators=[MaxChars(200)],
                    render_kw={"type": "search", "spellcheck": "false"})
    kind = _select(_l("Kind"), [ALL, *v.RECORD_KINDS])
    person_role = _select(_l("Role"), [ALL, *v.PERSON_ROLES])
    agency = _select(_l("Unit or agency"), [ALL, *v.PERPETRATOR_TYPES])
    province = _select(_l("Region"), [ALL, *v.PROVINCES])
    facility_type = _select(_l("Facility type"), [ALL, *v.FACILITY_TYPES])
    category = _select(_l("Category"), [ALL])

    def value(self, name: str) -> str:
        """The field's value, or nothing when it was not one of the choices (reported, then ignored)."""
        field = self[name]
        return "" if field.errors else (field.data or "")

    @property
    def problems(self) -> list:
        return [field for field in self if field.errors]


def kind_label(kind: str) -> str:
    return v.label_for(v.RECORD_KINDS, kind)

