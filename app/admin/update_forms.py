"""The update editor: Korean and English versions, each complete or empty, and topics."""
from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField, SubmitField, TextAreaField
from wtforms.validators import ValidationError

from app.forms import MaxChars, add_error, clean_text, topics_field
from app.services.outreach import updates as update_service

BODY_MAX = 100_000


class UpdateForm(FlaskForm):
    slug = StringField(_l("Web address (slug)"), filters=[clean_text], validators=[MaxChars(80)],
                       render_kw={"autocapitalize": "off", "spellcheck": "false"})
    title_ko = StringField(_l("Korean title"), filters=[clean_text], validators=[MaxChars(200)])
    summary_ko = TextAreaField(_l("Korean summary"), filters=[clean_text], validators=[MaxChars(500)],
                               render_kw={"rows": 2})
    body_ko = TextAreaField(_l("Korean text (Markdown)"), filters=[clean_text], validators=[MaxChars(BODY_MAX)],
                            render_kw={"rows": 14})
    title_en = StringField(_l("English title"), filters=[clean_text], validators=[MaxChars(200)])
    summary_en = TextAreaField(_l("English summary"), filters=[clean_text], validators=[MaxChars(500)],
                               render_kw={"rows": 2})
    body_en = TextAreaField(_l("English text (Markdown)"), filters=[clean_text], validators=[MaxChars(BODY_MAX)],
                            render_kw={"rows": 14})
    topics = topics_field()
    submit = SubmitField(_l("Save"))

    def validate_slug(self, field):
        if field.data and not update_service.SLUG.match(field.data):
            raise ValidationError(
                _l("Use lower-case Latin letters, digits and hyphens only, e.g. 2026-detention-report."))

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        for title, body in ((self.title_ko, self.body_ko), (self.title_en, self.body_en)):
            if bool(title.data) != bool(body.data):
                add_error(body if title.data else title,
                          _("Please write both a title and a text in this language, or leave both empty."))
                valid = False
        if not (self.title_ko.data or self.title_en.data):
            add_error(self.title_ko, _("Please write the update in Korean, in English, or in both."))
            valid = False
        return valid

    def to_data(self) -> update_service.UpdateData:
        names = ("slug", "title_ko", "title_en", "summary_ko", "summary_en", "body_ko", "body_en")
        return update_service.UpdateData(**{name: getattr(self, name).data or "" for name in names},
                                         topics=list(self.topics.data or []))
