"""Forms of the subscription pages. As elsewhere, every message is our own translated string."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, RadioField, StringField, SubmitField
from wtforms.validators import ValidationError

from app.forms import MaxChars, PublicForm, clean_text, topics_field
from app.models.outbox import SUBSCRIBER_LANGUAGES
from app.services.outreach.subscriptions import email_problem
from app.vocabularies import SUBSCRIPTION_LANGUAGES


class PreferencesForm(PublicForm):
    language = RadioField(_l("Language of the e-mails"), choices=SUBSCRIPTION_LANGUAGES, validate_choice=False)
    topics = topics_field()
    submit = SubmitField(_l("Save"))

    def validate_language(self, field):
        if field.data not in SUBSCRIBER_LANGUAGES:
            raise ValidationError(_l("Please choose one of the options."))


class SubscribeForm(PreferencesForm):
    email = StringField(
        _l("E-mail address"), filters=[clean_text],
        # type=email and inputmode switch phone keyboards out of Hangul (KOREAN.md §3.7).
        render_kw={"type": "email", "inputmode": "email", "autocomplete": "email", "autocapitalize": "off",
                   "spellcheck": "false"},
    )
    organization = StringField(_l("Organization (optional)"), filters=[clean_text], validators=[MaxChars(200)],
                               render_kw={"autocomplete": "organization"})
    consent = BooleanField(_l("I have read the above and agree to the collection and use of my personal information."))
    # Honeypot, as on the report form: hidden from people, filled in by bots.
    website = StringField(_l("Leave this field empty"), render_kw={"autocomplete": "off", "tabindex": "-1"})
    submit = SubmitField(_l("Subscribe"))

    def validate_email(self, field):
        problem = email_problem(field.data)
        if problem:
            raise ValidationError(problem)

    def validate_consent(self, field):
        if not field.data:
            raise ValidationError(
                _l("To subscribe, please agree to the collection and use of your personal information."))


class ConfirmSubscriptionForm(PublicForm):
    submit = SubmitField(_l("Confirm my subscription"))
