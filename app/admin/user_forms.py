"""Forms of the staff-account pages: a new account, and confirming one's own password."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, RadioField, StringField, SubmitField
from wtforms.validators import ValidationError

from app import vocabularies as v
from app.forms import MaxChars, MultiCheckboxField, Required, clean_text
from app.i18n import contains_hangul
from app.services.outreach.subscriptions import email_problem

ROLE_CHOICES = [("officer", _l("Officer")), ("admin", _l("Admin"))]


class NewAccountForm(FlaskForm):
    email = StringField(_l("E-mail address"), filters=[clean_text],
                        validators=[Required(_l("Please enter the e-mail address.")), MaxChars(254)],
                        render_kw={"type": "email", "inputmode": "email", "autocomplete": "off",
                                   "autocapitalize": "off", "spellcheck": "false"})
    name = StringField(_l("Name shown to colleagues"), filters=[clean_text], validators=[MaxChars(100)])
    role = RadioField(_l("Role"), choices=ROLE_CHOICES, default="officer", validate_choice=False)
    languages = MultiCheckboxField(_l("Languages spoken"), choices=v.LANGUAGE_LABELS, default=["ko"])
    contact_access = BooleanField(_l("May see submitters' contact details"))
    submit = SubmitField(_l("Create the account"))

    def validate_email(self, field):
        if field.data and (problem := email_problem(field.data)):
            raise ValidationError(problem)

    def validate_role(self, field):
        if field.data not in dict(ROLE_CHOICES):
            raise ValidationError(_l("Please choose one of the options."))

    def validate_languages(self, field):
        if not field.data or not set(field.data) <= set(dict(v.LANGUAGE_LABELS)):
            raise ValidationError(_l("Please choose at least one language."))


class PasswordConfirmForm(FlaskForm):
    """Your own password again, before something that cannot be undone lightly."""

    password = PasswordField(_l("Your password"), validators=[Required(_l("Please enter your password."))],
                             render_kw={"autocomplete": "current-password"})
    submit = SubmitField(_l("Replace the recovery code"))

    def validate_password(self, field):
        if contains_hangul(field.data):
            raise ValidationError(_l("The password contains Hangul. Was the keyboard in Korean mode?"))
