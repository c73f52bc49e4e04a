"""Forms of case-file exports and of the evidence hold."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SubmitField, TextAreaField

from app.forms import MaxChars, clean_text


class IdListField(TextAreaField):
    """Item numbers from one text box or from many `ids` fields (the queue's checkboxes)."""

    def process_formdata(self, valuelist):
        self.data = "\n".join(value for value in valuelist if value) if valuelist else ""


class ExportForm(FlaskForm):
    include_contact = BooleanField(_l("Include contact details — needed for this hand-over"))
    submit = SubmitField(_l("Download the case file (ZIP)"))


class SelectionExportForm(ExportForm):
    class Meta:
        # CSRFProtect has already checked this POST (it is global). Without a second, unprefixed
        # token here, the queue's bulk form (token "bulk-csrf_token") can post to this URL too.
        csrf = False

    ids = IdListField(_l("Item numbers"), render_kw={"rows": 4, "spellcheck": "false", "autocomplete": "off"})


class HoldForm(FlaskForm):
    reason = TextAreaField(_l("Reason for the evidence hold"), filters=[clean_text], validators=[MaxChars(1000)],
                           render_kw={"rows": 2})
    hold = SubmitField(_l("Put on evidence hold"))
    release = SubmitField(_l("Release the evidence hold"))
