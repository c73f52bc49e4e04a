"""The retention settings form: whole days, kept as typed when there is a problem."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField, SubmitField
from wtforms.validators import ValidationError

from app.forms import clean_text
from app.services import settings as settings_service


def _days(value: str | None) -> int | None:
    value = (value or "").replace(",", "").strip()
    if not value:
        return None
    if not value.isdigit() or not settings_service.MIN_DAYS <= int(value) <= settings_service.MAX_DAYS:
        raise ValidationError(_l("Please enter a whole number of days from %(min)s to %(max)s.",
                                 min=settings_service.MIN_DAYS, max=f"{settings_service.MAX_DAYS:,}"))
    return int(value)


class DaysField(StringField):
    """Typed text is kept on error; `days` holds the number once validated."""

    def __init__(self, label, required=False, **kwargs):
        super().__init__(label, filters=[clean_text], render_kw={"inputmode": "numeric", "autocomplete": "off"},
                         **kwargs)
        self.required = required

    def pre_validate(self, form):
        self.days = None
        self.days = _days(self.data)
        if self.required and self.days is None:
            raise ValidationError(_l("Please enter the number of days."))


class RetentionForm(FlaskForm):
    days = DaysField(_l("Keep closed, rejected and duplicate items for (days)"), required=True)
    closed = DaysField(_l("Closed items (days; empty: as above)"))
    rejected = DaysField(_l("Rejected items (days; empty: as above)"))
    duplicate = DaysField(_l("Duplicate items (days; empty: as above)"))
    submit = SubmitField(_l("Save"))
