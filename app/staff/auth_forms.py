"""Staff forms: login, TOTP, password, preferences."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectField, StringField, SubmitField
from wtforms.validators import ValidationError

from app.i18n import LANGUAGE_NAMES, contains_hangul
from app.public.report_forms import Required, clean_text
from app.services.accounts import MIN_PASSWORD_LENGTH


class LoginForm(FlaskForm):
    email = StringField(_l("E-mail address"), filters=[clean_text],
                        validators=[Required(_l("Please enter your e-mail address."))],
                        render_kw={"type": "email", "inputmode": "email", "autocomplete": "username",
                                   "autocapitalize": "off", "spellcheck": "false"})
    password = PasswordField(_l("Password"), validators=[Required(_l("Please enter your password."))],
                             render_kw={"autocomplete": "current-password"})
    submit = SubmitField(_l("Log in"))

    def validate_email(self, field):
        if contains_hangul(field.data):
            raise ValidationError(_l("The e-mail address contains Hangul. Switch the keyboard to English and type it again."))


class TotpForm(FlaskForm):
    code = StringField(_l("Verification code"), filters=[clean_text],
                       validators=[Required(_l("Please enter the 6-digit number shown in your authenticator app."))],
                       render_kw={"inputmode": "numeric", "autocomplete": "one-time-code", "spellcheck": "false"})
    submit = SubmitField(_l("Confirm"))


class PasswordChangeForm(FlaskForm):
    current = PasswordField(_l("Current password"), validators=[Required(_l("Please enter your current password."))],
                            render_kw={"autocomplete": "current-password"})
    new = PasswordField(_l("New password"), validators=[Required(_l("Please enter a new password."))],
                        render_kw={"autocomplete": "new-password"})
    confirm = PasswordField(_l("New password again"), validators=[Required(_l("Please enter the new password again."))],
                            render_kw={"autocomplete": "new-password"})
    submit = SubmitField(_l("Change password"))

    def validate_new(self, field):
        if len(field.data or "") < MIN_PASSWORD_LENGTH:
            raise ValidationError(_l("Please make the password at least %(count)s characters long.", count=MIN_PASSWORD_LENGTH))
        if contains_hangul(field.data):
            raise ValidationError(_l("The password contains Hangul. Was the keyboard in Korean mode?"))

    def validate_confirm(self, field):
        if field.data != self.new.data:
            raise ValidationError(_l("The two passwords are different. Please check them again."))


class PreferencesForm(FlaskForm):
    locale = SelectField(_l("Language of the staff pages"), choices=list(LANGUAGE_NAMES.items()))
    submit = SubmitField(_l("Save"))


class ConfirmForm(FlaskForm):
    """A bare POST with CSRF: logout, reveal, deactivate."""

    submit = SubmitField(_l("Confirm"))
