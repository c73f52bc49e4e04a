"""A staff member's own account: password change and the language of the staff pages."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectField, SubmitField
from wtforms.validators import ValidationError

from app.forms import Required
from app.i18n import LANGUAGE_NAMES, contains_hangul
from app.services.accounts import MIN_PASSWORD_LENGTH


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
            raise ValidationError(
                _l("Please make the password at least %(count)s characters long.", count=MIN_PASSWORD_LENGTH))
        if contains_hangul(field.data):
            raise ValidationError(_l("The password contains Hangul. Was the keyboard in Korean mode?"))

    def validate_confirm(self, field):
        if field.data != self.new.data:
            raise ValidationError(_l("The two passwords are different. Please check them again."))


class PreferencesForm(FlaskForm):
    locale = SelectField(_l("Language of the staff pages"), choices=list(LANGUAGE_NAMES.items()))
    submit = SubmitField(_l("Save"))
