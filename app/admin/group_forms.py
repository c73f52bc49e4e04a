"""Forms of the admin's partner-group pages."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField, SubmitField, TextAreaField

from app.forms import MaxChars, Required, clean_text


class NewGroupForm(FlaskForm):
    name = StringField(_l("Name of the group"), filters=[clean_text],
                       validators=[Required(_l("Please enter the group's name.")), MaxChars(200)],
                       render_kw={"autocomplete": "off"})
    contacts = TextAreaField(_l("How to reach its members (names, phone numbers, messengers)"), filters=[clean_text],
                             validators=[MaxChars(2000)], render_kw={"rows": 4, "autocomplete": "off"})
    submit = SubmitField(_l("Create the group"))
