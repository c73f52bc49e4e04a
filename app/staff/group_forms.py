"""The officers' message to a partner group as a whole."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SubmitField, TextAreaField

from app.forms import MaxChars, Required, clean_text


class GroupMessageForm(FlaskForm):
    body = TextAreaField(_l("Message to the whole group"), filters=[clean_text],
                         validators=[Required(_l("Please write the message.")), MaxChars(5000)],
                         render_kw={"rows": 5})
    submit = SubmitField(_l("Send to the group"))
