"""Field helpers and validators that every blueprint's forms use.

Every message is our own translated string: WTForms' bundled Korean has errors and gaps
(KOREAN.md §3.1), and browser-native bubbles would follow the OS language.
"""
from __future__ import annotations

import re
import unicodedata

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Field, RadioField, SelectField, SelectMultipleField, StringField, SubmitField, widgets
from wtforms.validators import ValidationError

from app.form_tokens import SignedCSRF
from app.services.outreach.updates import TOPICS

CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_text(value):
    """NFC (never NFKC: it breaks jamo, KOREAN.md §3.7), control characters removed, trimmed.
    PostgreSQL refuses NUL bytes, so they must never reach the database."""
    if value is None:
        return value
    return CONTROL.sub("", unicodedata.normalize("NFC", value)).strip()


def numeric_text(value):
    """For fields that hold only digits and punctuation (a year, a date): NFKC, so that
    full-width digits and hyphens (U+FF10-FF19, U+FF0D), which a Korean input method types in
    its full-width mode, become ASCII digits and "-". Never for free text: there NFKC would
    change what the person wrote (it splits compatibility jamo, turns ㈜ into (주)), so free
    text gets clean_text's NFC only."""
    if value is None:
        return value
    return unicodedata.normalize("NFKC", value).strip()


def was_normalized(field) -> bool:
    """Whether a field's stored value differs from what was typed beyond NFC and spaces, so the
    person can be told what was kept."""
    raw = field.raw_data[0] if field.raw_data else ""
    return isinstance(raw, str) and unicodedata.normalize("NFKC", raw) != unicodedata.normalize("NFC", raw)


def text_length(value: str | None) -> int:
    return len(value or "")


def required_text(field: StringField) -> str:
    """A required text field's value in a validated form. WTForms types it str | None (None
    when the request did not send the field); the field's validators refused that."""
    if field.data is None:
        raise ValueError(f"field {field.name!r} has no value: is it required, and was the form validated?")
    return field.data


def chosen(field: SelectMultipleField) -> list[str]:
    """The choices ticked in a submitted form: WTForms types them list | None, where None is only
    a form that read no request (a submitted form's field holds a list, maybe empty)."""
    if field.data is None:
        raise ValueError(f"field {field.name!r} has no value: was the form submitted?")
    return field.data


def add_error(field: Field, message: str) -> None:
    """Show one more error at a field. WTForms types `errors` as a Sequence (a tuple until the
    field is validated, a list after), so it is replaced rather than appended to."""
    field.errors = [*field.errors, message]


class MaxChars:
    def __init__(self, limit: int):
        self.limit = limit

    def __call__(self, form, field):
        length = text_length(field.data)
        if length > self.limit:
            raise ValidationError(
                _l("You can enter up to %(max)s characters (now %(count)s).",
                   max=f"{self.limit:,}", count=f"{length:,}")
            )


class Required:
    def __init__(self, message):
        self.message = message

    def __call__(self, form, field):
        if not field.data:
            raise ValidationError(self.message)


class InVocabulary:
    """An optional choice that must be one of the vocabulary's codes (hostile values rejected)."""

    def __init__(self, vocabulary):
        self.codes = {code for code, _ in vocabulary}

    def __call__(self, form, field):
        if field.data and field.data not in self.codes:
            raise ValidationError(_l("Please choose one of the options."))


def optional_select(vocabulary, label, blank=_l("Not selected")):
    return SelectField(label, choices=[("", blank), *vocabulary], validate_choice=False,
                       validators=[InVocabulary(vocabulary)], default="")


def optional_radios(vocabulary, label):
    """One of a vocabulary's choices or none (no default: nothing is chosen for the person)."""
    return RadioField(label, choices=list(vocabulary), validate_choice=False, validators=[InVocabulary(vocabulary)])


class MultiCheckboxField(SelectMultipleField):
    """Checkboxes; choices are validated by the form, not by WTForms' English message.
    Each option renders as a checkbox (not as the select's <option>), so templates loop
    over the field (forms macro `checkboxes`) instead of writing the inputs by hand."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()

    def pre_validate(self, form):
        """A value that is not one of the choices (a forged POST) is refused with the form's
        own localized message, before any of it reaches a query (PostgreSQL refuses a NUL
        byte in a text parameter with an error, not an empty result)."""
        allowed = {self.coerce(choice[0]) for choice in self.iter_choices()}
        if self.choices and any(value not in allowed for value in self.data or []):
            raise ValidationError(_l("Please choose one of the options."))


def _topics_chosen(form, field):
    if not field.data:
        raise ValidationError(_l("Please choose at least one topic."))


def topics_field() -> MultiCheckboxField:
    """The topics of updates, at least one: for subscribers and for the updates themselves."""
    return MultiCheckboxField(_l("Topics"), choices=TOPICS, validators=[_topics_chosen])


class PublicForm(FlaskForm):
    """A form a visitor without a session sends: its CSRF token is signed and sits in the
    form alone (app/form_tokens.py), so showing the form sets no cookie. The view must be
    wrapped in app.public.signed_form, which checks the token before the view runs."""

    class Meta:
        csrf_class = SignedCSRF


class ConfirmForm(FlaskForm):
    """A bare POST with CSRF: logout, reveal, deactivate, publish."""

    submit = SubmitField(_l("Confirm"))
