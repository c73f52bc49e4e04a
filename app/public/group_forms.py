"""Forms of the partner-group pages: joining, logging in, the space's settings."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, PasswordField, StringField, SubmitField
from wtforms.validators import ValidationError

from app.forms import MaxChars, PublicForm, Required, clean_text
from app.services.groups.accounts import PASSPHRASE_MIN

NO_AUTOFILL = {"autocomplete": "off", "spellcheck": "false", "autocapitalize": "off"}


class NamingMixin:
    named = BooleanField(_l("Our group may be named as the source of our testimonies in case files"))
    source_name = StringField(_l("Name to use as the source"), filters=[clean_text], validators=[MaxChars(200)],
                              render_kw={"autocomplete": "off"})

    def validate_source_name(self, field):
        if self.named.data and not field.data:
            raise ValidationError(_l("Please write the name to use, or untick the box."))


class JoinForm(NamingMixin, PublicForm):
    code = StringField(_l("Invitation code"), filters=[clean_text], render_kw=NO_AUTOFILL,
                       validators=[Required(_l("Please enter the invitation code you were given."))])
    passphrase = PasswordField(_l("Passphrase for your group"), render_kw={"autocomplete": "new-password"},
                               validators=[Required(_l("Please choose a passphrase."))])
    passphrase_again = PasswordField(_l("The same passphrase again"), render_kw={"autocomplete": "new-password"})
    submit = SubmitField(_l("Join"))

    def validate_passphrase(self, field):
        if field.data and len(field.data) < PASSPHRASE_MIN:
            raise ValidationError(_l("Please choose a passphrase of at least %(num)s characters, for example "
                                     "four words.", num=PASSPHRASE_MIN))

    def validate_passphrase_again(self, field):
        if self.passphrase.data and field.data != self.passphrase.data:
            raise ValidationError(_l("The two passphrases are not the same."))


class GroupLoginForm(PublicForm):
    group_number = StringField(_l("Group number"), filters=[clean_text], render_kw=NO_AUTOFILL,
                               validators=[Required(_l("Please enter your group number."))])
    passphrase = PasswordField(_l("Passphrase"), render_kw={"autocomplete": "current-password"},
                               validators=[Required(_l("Please enter your passphrase."))])
    totp = StringField(_l("Code from the authenticator app (only if your group set one up)"), filters=[clean_text],
                       render_kw={"inputmode": "numeric", "autocomplete": "one-time-code"})
    submit = SubmitField(_l("Log in"))


class RecoverForm(PublicForm):
    group_number = StringField(_l("Group number"), filters=[clean_text], render_kw=NO_AUTOFILL,
                               validators=[Required(_l("Please enter your group number."))])
    recovery_code = StringField(_l("Recovery code"), filters=[clean_text], render_kw=NO_AUTOFILL,
                                validators=[Required(_l("Please enter the recovery code you wrote down when your "
                                                        "group joined."))])
    totp = StringField(_l("Code from the authenticator app (only if your group set one up)"), filters=[clean_text],
                       render_kw={"inputmode": "numeric", "autocomplete": "one-time-code"})
    passphrase = PasswordField(_l("New passphrase for your group"), render_kw={"autocomplete": "new-password"},
                               validators=[Required(_l("Please choose a passphrase."))])
    passphrase_again = PasswordField(_l("The same passphrase again"), render_kw={"autocomplete": "new-password"})
    submit = SubmitField(_l("Set the new passphrase"))

    validate_passphrase = JoinForm.validate_passphrase
    validate_passphrase_again = JoinForm.validate_passphrase_again


class NamingForm(NamingMixin, FlaskForm):
    submit = SubmitField(_l("Save"))


class TotpForm(FlaskForm):
    secret = HiddenField()
    code = StringField(_l("Code shown in the app"), filters=[clean_text],
                       render_kw={"inputmode": "numeric", "autocomplete": "one-time-code"},
                       validators=[Required(_l("Please enter the 6-digit code."))])
    submit = SubmitField(_l("Turn on"))


class TotpOffForm(FlaskForm):
    submit = SubmitField(_l("Turn off the app code"))


class GroupLogoutForm(FlaskForm):
    submit = SubmitField(_l("Log out"))

