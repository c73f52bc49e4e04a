"""The contact-request form."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, RadioField, StringField, SubmitField, TextAreaField
from wtforms.validators import ValidationError

from app import vocabularies as v
from app.forms import InVocabulary, MaxChars, PublicForm, Required, clean_text, optional_radios, required_text
from app.services.intake.contact_details import ContactDetails
from app.services.intake.contact_requests import ContactRequest

# Named in the page's language ("영어" on a Korean page), not in their own: this is a question
# about the conversation, not a language switch, and a Korean page shows no English words.
LANGUAGES = [("ko", _l("Korean")), ("en", _l("English"))]


class ContactForm(PublicForm):
    organization = StringField(_l("Group or organization (optional)"), filters=[clean_text], validators=[MaxChars(200)])
    alias = StringField(_l("What should we call you? (an alias is fine)"), filters=[clean_text],
                        validators=[Required(_l("Please tell us what to call you. An alias is fine.")), MaxChars(100)],
                        render_kw={"autocomplete": "off"})
    language = RadioField(_l("Which language would you like to talk in?"), choices=LANGUAGES, validate_choice=False,
                          validators=[InVocabulary(LANGUAGES)])
    topic = RadioField(_l("What is it about?"), choices=v.CONTACT_TOPICS, validate_choice=False,
                       validators=[Required(_l("Please choose what it is about.")), InVocabulary(v.CONTACT_TOPICS)])
    channel = optional_radios(v.CONTACT_CHANNELS, _l("How can we reach you?"))
    handle = StringField(_l("Your ID, number or address on that channel"), filters=[clean_text],
                         validators=[Required(_l("Please enter how we can reach you.")), MaxChars(200)],
                         render_kw={"autocomplete": "off"})
    safe_times = StringField(_l("When is it safe to contact you? (Korea time)"), filters=[clean_text],
                             validators=[MaxChars(200)], render_kw={"autocomplete": "off"})
    message = TextAreaField(_l("Message (optional)"), filters=[clean_text], validators=[MaxChars(5000)],
                            render_kw={"rows": 5})
    website = StringField(_l("Leave this field empty"), render_kw={"autocomplete": "off", "tabindex": "-1"})
    form_token = HiddenField()
    submit = SubmitField(_l("Ask to be contacted"))

    def validate_channel(self, field):
        if not field.data:
            raise ValidationError(_l("Please choose how we can reach you."))

    def to_request(self, locale: str) -> ContactRequest:
        return ContactRequest(
            topic=self.topic.data, language=self.language.data or locale, message=self.message.data or "",
            locale=locale,
            details=ContactDetails(alias=required_text(self.alias), channel=self.channel.data or "",
                                   handle=required_text(self.handle),
                                   safe_times=self.safe_times.data or "", organization=self.organization.data or ""),
        )
