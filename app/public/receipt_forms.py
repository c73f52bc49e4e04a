"""Forms of the receipt pages: the code, adding information and files, closing the page."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField, SubmitField, TextAreaField
from wtforms.validators import ValidationError

from app.forms import MaxChars, PublicForm, clean_text
from app.public.attachment_forms import AttachmentsMixin
from app.public.report_forms import NARRATIVE_MAX


class ReceiptForm(PublicForm):
    code = StringField(
        _l("Receipt code"), filters=[clean_text],
        render_kw={"inputmode": "numeric", "autocomplete": "off", "spellcheck": "false"},
    )
    submit = SubmitField(_l("Check"))

    def validate_code(self, field):
        if not field.data:
            raise ValidationError(_l("Please enter your 16-digit receipt code."))


class FollowUpForm(AttachmentsMixin, FlaskForm):
    body = TextAreaField(_l("Add information"), filters=[clean_text], validators=[MaxChars(NARRATIVE_MAX)],
                         render_kw={"rows": 6})
    submit = SubmitField(_l("Send"))

    def validate_body(self, field):
        has_files = any(getattr(f, "filename", None) for f in (self.attachments.data or []))
        if not field.data and not has_files:
            raise ValidationError(_l("Please write something or choose a file to send."))


class LeaveForm(FlaskForm):
    submit = SubmitField(_l("Close this page"))
