"""Where the attack goes in: every field of every form the app renders, read from the WTForms
classes themselves, and every route of app.url_map. A new field is attacked without anyone
listing it here; a new POST route fails test_every_post_route_is_attacked until it is added.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from flask import Flask
from wtforms import Form

from app.admin.settings_forms import RetentionForm
from app.admin.update_forms import UpdateForm
from app.admin.user_forms import NewAccountForm, PasswordConfirmForm
from app.forms import ConfirmForm, MaxChars, clean_text
from app.public.contact_forms import ContactForm
from app.public.receipt_forms import FollowUpForm, LeaveForm, ReceiptForm
from app.public.report_forms import ReportForm
from app.public.subscribe_forms import ConfirmSubscriptionForm, PreferencesForm, SubscribeForm
from app.staff.account_forms import PasswordChangeForm
from app.staff.account_forms import PreferencesForm as StaffPreferencesForm
from app.staff.auth_forms import LoginForm, TotpForm
from app.staff.export_forms import ExportForm, HoldForm, SelectionExportForm
from app.staff.item_forms import (
    AssessmentForm,
    AssignForm,
    CategoriesForm,
    MessageForm,
    NoteForm,
    RevealForm,
    StatusForm,
)
from app.staff.queue_forms import BulkForm, FilterForm

NOT_SENT = {"SubmitField", "FileField", "MultipleFileField", "CSRFTokenField"}
CHOICES = {"SelectField", "RadioField", "SelectMultipleField", "MultiCheckboxField"}


@dataclass
class FieldInfo:
    name: str  # as posted (with the form's prefix)
    type: str
    limit: int | None  # MaxChars, if any
    cleaned: bool  # passes through clean_text (the documented normalization)

    @property
    def free_text(self) -> bool:
        return self.type in ("StringField", "TextAreaField") and self.cleaned

    @property
    def choice(self) -> bool:
        return self.type in CHOICES


@dataclass
class Surface:
    """One form as posted to one route: `constrained` free-text fields only take a narrow
    format (an e-mail address, a date, a slug), so they are attacked but not expected to
    store the payload."""

    endpoint: str
    form: type[Form]
    prefix: str = ""
    constrained: set[str] = field(default_factory=set)


# endpoint -> the forms it reads. Bare confirmations (ConfirmForm and friends) carry only a CSRF
# token: they are attacked with hostile extra fields and hostile path parts.
SURFACES = [
    Surface("public.report", ReportForm, constrained={"when_date", "when_year", "notice_email", "website"}),
    Surface("public.contact", ContactForm, constrained={"website"}),
    Surface("public.receipt", ReceiptForm, constrained={"code"}),
    Surface("public.receipt_status", FollowUpForm),
    Surface("public.receipt_leave", LeaveForm),
    Surface("public.subscribe", SubscribeForm, constrained={"email", "website"}),
    Surface("public.subscribe_confirm", ConfirmSubscriptionForm),
    Surface("public.subscribe_preferences", PreferencesForm),
    Surface("public.subscribe_unsubscribe", ConfirmForm),
    Surface("staff.login", LoginForm, constrained={"email"}),
    Surface("staff.two_factor", TotpForm, constrained={"code"}),
    Surface("staff.logout", ConfirmForm),
    Surface("staff.account", PasswordChangeForm, prefix="pw"),
    Surface("staff.account", StaffPreferencesForm, prefix="pref"),
    Surface("staff.set_language", ConfirmForm),
    Surface("staff.queue", FilterForm, constrained={"received_from", "received_to"}),
    Surface("staff.queue_bulk", BulkForm, prefix="bulk", constrained={"bulk-duplicate_of"}),
    Surface("staff.export_selection", SelectionExportForm),
    Surface("staff.export_item", ExportForm, prefix="export"),
    Surface("staff.evidence_hold", HoldForm, prefix="hold"),
    *(Surface("staff.submission_action", form, prefix=prefix, constrained={"status-duplicate_of"})
      for prefix, form in (("status", StatusForm), ("assessment", AssessmentForm), ("assign", AssignForm),
                           ("categories", CategoriesForm), ("note", NoteForm), ("message", MessageForm),
                           ("reveal", RevealForm))),
    Surface("admin.user_new", NewAccountForm, constrained={"email"}),
    Surface("admin.keys_page", PasswordConfirmForm),
    Surface("admin.settings", RetentionForm, constrained={"days", "closed", "rejected", "duplicate"}),
    Surface("admin.update_new", UpdateForm, constrained={"slug"}),
    Surface("admin.update_edit", UpdateForm, constrained={"slug"}),
    *(Surface(endpoint, ConfirmForm) for endpoint in (
        "admin.regrant", "admin.toggle_contact", "admin.end_sessions", "admin.toggle_active",
        "admin.reset_two_factor", "admin.update_publish", "admin.update_unpublish", "admin.subscriber_remove")),
]


def fields(app: Flask, surface: Surface) -> list[FieldInfo]:
    """The fields of the surface's form, as the app builds it (prefix included)."""
    with app.test_request_context():
        form = surface.form(formdata=None, prefix=surface.prefix, meta={"csrf": False})
        return [
            FieldInfo(
                name=bound.name, type=type(bound).__name__,
                limit=next((v.limit for v in bound.validators if isinstance(v, MaxChars)), None),
                cleaned=clean_text in bound.filters,
            )
            for bound in form if type(bound).__name__ not in NOT_SENT
        ]


def text_fields(app: Flask, surface: Surface) -> list[FieldInfo]:
    """The free-text fields whose value is stored as sent (after normalization)."""
    return [info for info in fields(app, surface) if info.free_text and info.name not in surface.constrained]


def fitting(app: Flask, surface: Surface, text: str) -> dict[str, str]:
    """Every free-text field whose limit holds `text` (as normalized), set to it."""
    length = len(clean_text(text))
    return {info.name: text for info in text_fields(app, surface) if info.limit is None or length <= info.limit}


def hostile_everywhere(app: Flask, surface: Surface, text: str) -> dict[str, str]:
    """Every field the form has (choices, hidden fields, passwords too) set to `text`."""
    return {info.name: text for info in fields(app, surface)}


def surfaces_for(endpoint: str) -> list[Surface]:
    return [surface for surface in SURFACES if surface.endpoint == endpoint]


# GET routes whose query string the app reads (request.args, GET forms), and what it reads.
QUERY_PARAMETERS = {
    "public.updates": ["topic", "page"],
    "public.updates_feed": [],
    "staff.queue": ["q", "after", "before", "counts", "status", "kind", "category", "priority", "assignee",
                    "language", "province", "received_from", "received_to", "files", "unread", "sort"],
    "staff.dashboard": ["status", "kind", "category", "priority", "language", "province", "received_from",
                        "received_to", "q"],
    "staff.export_queue": ["q", "status", "kind", "category", "priority", "province", "received_from"],
    "staff.login": ["next"],
    "admin.subscribers": ["state", "q", "page"],
    "admin.audit_log": ["action", "actor", "target", "since", "until", "before", "verify"],
}
