"""Staff login: password, then the TOTP code."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField, SubmitField
from wtforms.validators import ValidationError

from app.forms import Required, clean_text
from app.i18n import contains_hangul


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
            raise ValidationError(
                _l("The e-mail address contains Hangul. Switch the keyboard to English and type it again."))


class TotpForm(FlaskForm):
    code = StringField(_l("Verification code"), filters=[clean_text],
                       validators=[Required(_l("Please enter the 6-digit number shown in your authenticator app."))],
                       render_kw={"inputmode": "numeric", "autocomplete": "one-time-code", "spellcheck": "false"})
    submit = SubmitField(_l("Confirm"))
