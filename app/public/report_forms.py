"""The report form: the facets of shared/TAXONOMY.md, the account, files, consent and the
optional ways to reach the submitter."""
from __future__ import annotations

from datetime import UTC, date, datetime
from typing import cast

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, HiddenField, RadioField, StringField, SubmitField, TextAreaField
from wtforms.validators import ValidationError

from app import vocabularies as v
from app.facets import FACETS, Facet
from app.forms import (
    InVocabulary,
    MaxChars,
    MultiCheckboxField,
    PublicForm,
    Required,
    clean_text,
    numeric_text,
    optional_radios,
    optional_select,
    required_text,
    was_normalized,
)
from app.i18n import format_date
from app.public.attachment_forms import AttachmentsMixin
from app.services.intake.contact_details import ContactDetails
from app.services.intake.reports import ReportData
from app.services.outreach.subscriptions import email_problem, normalize_email

NARRATIVE_MAX = 20_000


def strip_year_suffix(value):
    """"2015년" is how a year is written in Korean: the 년 is not part of the number."""
    return value.removesuffix("년").strip() if value else value


def _question(facet: Facet) -> str:
    # A lazy_gettext string, translated when the form renders. WTForms' stubs say str for a
    # label; WTForms itself takes any object and makes text of it then.
    return cast(str, facet.question)


def _max_chars(facet: Facet) -> int:
    if facet.max_chars is None:
        raise ValueError(f"facet {facet.name}: a text field needs max_chars")
    return facet.max_chars


def facet_field(facet: Facet):
    """The form field that asks for one facet of app/facets.py."""
    if facet.widget == "select":
        return optional_select(facet.vocabulary, facet.question)
    if facet.widget == "radio":
        return optional_radios(facet.vocabulary, facet.question)
    if facet.widget == "textarea":
        return TextAreaField(_question(facet), filters=[clean_text], validators=[MaxChars(_max_chars(facet))],
                             render_kw={"rows": 3})
    return StringField(_question(facet), filters=[clean_text], validators=[MaxChars(_max_chars(facet))])


def facet_fields() -> dict:
    return {facet.name: facet_field(facet) for facet in FACETS if facet.widget}


class ReportForm(AttachmentsMixin, PublicForm):
    categories = MultiCheckboxField(_l("What kind of events were they?"), choices=[])
    when_precision = RadioField(_l("How well do you remember when it was?"), choices=v.WHEN_PRECISION,
                                validate_choice=False, validators=[InVocabulary(v.WHEN_PRECISION)])
    # Full-width digits become ASCII here, so the year shown again after an error, the year
    # stored and the one the receipt page confirms are the same (normalized_notes below).
    when_date = StringField(_l("Date"), filters=[clean_text, numeric_text], render_kw={"type": "date"})
    when_year = StringField(_l("Year"), filters=[clean_text, numeric_text, strip_year_suffix],
                            render_kw={"inputmode": "numeric", "autocomplete": "off", "size": 6})
    when_month = optional_select(v.MONTHS, _l("Month"))
    when_text = StringField(_l("Roughly when"), filters=[clean_text], validators=[MaxChars(200)])
    ongoing = BooleanField(_l("It is still going on"))
    # The other facets' questions come from app/facets.py, in the table's order, at this place in the form.
    locals().update(facet_fields())
    narrative = TextAreaField(
        _l("What happened?"), filters=[clean_text],
        validators=[Required(_l("Please write what happened. A few sentences are enough.")), MaxChars(NARRATIVE_MAX)],
        render_kw={"rows": 12},
    )
    keep_metadata = BooleanField(_l("Keep the files' original information (date, place, author) as evidence"))
    consent_un = BooleanField(_l("You may share this report with the UN human rights office."))
    consent_accountability = BooleanField(_l("You may share it with courts or other accountability mechanisms."))
    consent_publication = BooleanField(_l("You may publish it without anything that identifies me."))
    contact_alias = StringField(_l("What should we call you? (an alias is fine)"), filters=[clean_text],
                                validators=[MaxChars(100)], render_kw={"autocomplete": "off"})
    contact_channel = optional_radios(v.CONTACT_CHANNELS, _l("How can we reach you?"))
    contact_handle = StringField(_l("Your ID, number or address on that channel"), filters=[clean_text],
                                 validators=[MaxChars(200)], render_kw={"autocomplete": "off"})
    contact_safe_times = StringField(_l("When is it safe to contact you? (Korea time)"), filters=[clean_text],
                                     validators=[MaxChars(200)], render_kw={"autocomplete": "off"})
    notice_email = StringField(_l("E-mail for a notice of new replies (optional)"), filters=[clean_text],
                               validators=[MaxChars(254)],
                               render_kw={"type": "email", "inputmode": "email", "autocomplete": "off",
                                          "autocapitalize": "off", "spellcheck": "false"})
    # Honeypot: hidden from people by CSS and from screen readers; bots fill every field.
    website = StringField(_l("Leave this field empty"), render_kw={"autocomplete": "off", "tabindex": "-1"})
    form_token = HiddenField()
    submit = SubmitField(_l("Send report"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.keep_metadata_choice = bool(self.keep_metadata.data)

    def facet_answers(self) -> dict:
        """Every facet's answer (None when skipped), with the "when" fields that do not apply
        to the chosen precision dropped."""
        precision = self.when_precision.data or None
        year = self.when_year.data or ""
        when = {
            "when_precision": precision,
            "when_date": date.fromisoformat(self.when_date.data or "") if precision == "day" else None,
            "when_year": int(year) if precision in ("month", "year") else None,
            "when_month": int(self.when_month.data) if precision == "month" else None,
            "when_text": self.when_text.data if precision == "approximate" else None,
            "ongoing": self.ongoing.data,
        }
        return {facet.name: when[facet.name] if facet.section == "when" else getattr(self, facet.name).data or None
                for facet in FACETS}

    def to_report_data(self, locale: str) -> ReportData:
        return ReportData(
            narrative=required_text(self.narrative),
            locale=locale,
            category_codes=list(self.categories.data or []),
            facets=self.facet_answers(),
            consent_un=self.consent_un.data,
            consent_accountability=self.consent_accountability.data,
            consent_publication=self.consent_publication.data,
            keep_image_metadata=self.keep_metadata.data,
            contact=ContactDetails(
                alias=self.contact_alias.data or "",
                channel=self.contact_channel.data or "",
                handle=self.contact_handle.data or "",
                safe_times=self.contact_safe_times.data or "",
                # stored as it will be mailed: full-width letters typed in a Korean IME made ASCII
                notice_email=normalize_email(self.notice_email.data) if self.notice_email.data else "",
            ),
        )

    def normalized_notes(self) -> list[str]:
        """What was stored otherwise than typed (full-width digits made ASCII), for the receipt
        page: a person who typed ２０１５년 sees that 2015 was kept. Only answers that were stored."""
        answers, notes = self.facet_answers(), []
        if answers["when_year"] is not None and was_normalized(self.when_year):
            notes.append(_("We saved the year as %(year)s.", year=answers["when_year"]))
        if answers["when_date"] is not None and was_normalized(self.when_date):
            notes.append(_("We saved the date as %(date)s.", date=format_date(answers["when_date"])))
        return notes

    def validate_when_date(self, field):
        if self.when_precision.data != "day":
            return
        if not field.data:
            raise ValidationError(_l("Please enter the date, or choose another answer above."))
        try:
            day = date.fromisoformat(field.data)
        except ValueError:
            raise ValidationError(_l("Please enter the date as year-month-day, e.g. 2019-03-21.")) from None
        if day > datetime.now(UTC).date():
            raise ValidationError(_l("This date is in the future. Please check it."))

    def validate_when_year(self, field):
        if self.when_precision.data not in ("month", "year"):
            return
        if not field.data:
            raise ValidationError(_l("Please enter the year, or choose another answer above."))
        year = field.data
        if not year.isdigit() or not 1945 <= int(year) <= datetime.now(UTC).year:
            raise ValidationError(
                _l("Please enter a year between 1945 and %(year)s.", year=datetime.now(UTC).year)
            )

    def validate_when_month(self, field):
        if self.when_precision.data == "month" and not field.data:
            raise ValidationError(_l("Please choose the month."))

    def validate_when_text(self, field):
        if self.when_precision.data == "approximate" and not field.data:
            raise ValidationError(_l("Please write roughly when it was, e.g. winter 2010."))

    def validate_notice_email(self, field):
        if field.data and (problem := email_problem(field.data)):
            raise ValidationError(problem)

    def validate_contact_handle(self, field):
        if self.contact_channel.data and not field.data:
            raise ValidationError(_l("Please enter your ID, number or address for this channel."))
