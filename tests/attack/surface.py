"""Where the attack goes in: every field of every form the app renders, read from the WTForms
classes themselves, and every route of app.url_map. A new field is attacked without anyone
listing it here; a new POST route fails test_every_post_route_is_attacked until it is added.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from flask import Flask
from wtforms import Form

from app.admin.group_forms import NewGroupForm
from app.admin.settings_forms import RetentionForm
from app.admin.update_forms import UpdateForm
from app.admin.user_forms import NewAccountForm, PasswordConfirmForm
from app.forms import ConfirmForm, MaxChars, clean_text
from app.public.contact_forms import ContactForm
from app.public.group_forms import GroupLoginForm, GroupLogoutForm, JoinForm, NamingForm, RecoverForm, TotpOffForm
from app.public.group_forms import TotpForm as GroupTotpForm
from app.public.group_import_forms import GroupImportForm
from app.public.receipt_forms import FollowUpForm, LeaveForm, ReceiptForm
from app.public.report_forms import ReportForm
from app.public.subscribe_forms import ConfirmSubscriptionForm, PreferencesForm, SubscribeForm
from app.staff.account_forms import PasswordChangeForm
from app.staff.account_forms import PreferencesForm as StaffPreferencesForm
from app.staff.auth_forms import LoginForm, TotpForm
from app.staff.case_export_views import CaseFileExportForm
from app.staff.case_forms import (
    AddRecordForm,
    AddSubmissionForm,
    CaseForm,
    CaseNoteForm,
    ItemCaseForm,
    NewCaseForm,
    RemoveRecordForm,
    RemoveSubmissionForm,
)
from app.staff.export_forms import ExportForm, HoldForm, SelectionExportForm
from app.staff.group_forms import GroupMessageForm
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
from app.staff.record_forms import EventForm, InvolvementForm, PersonForm, PlaceForm, RemoveForm
from app.staff.record_link_forms import LinkForm, NewRecordForm, UnlinkForm

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
    # Records, links and cases (issue 22): tests/attack/test_records_and_groups.py.
    *(Surface(endpoint, form, constrained={"when_date", "when_year", "place_number"})
      for endpoint in ("staff.record_new", "staff.record_edit") for form in (PersonForm, PlaceForm, EventForm)),
    Surface("staff.record_involve", InvolvementForm, constrained={"person"}),
    Surface("staff.record_uninvolve", RemoveForm),
    Surface("staff.link_record", LinkForm, prefix="found-RECORD"),
    Surface("staff.create_and_link", NewRecordForm, prefix="newrecord"),
    Surface("staff.unlink_record", UnlinkForm, prefix="unlink-LINK"),
    Surface("staff.case_new", NewCaseForm),
    *(Surface("staff.case_action", form, prefix=prefix, constrained={f"{prefix}-submission", f"{prefix}-record"})
      for prefix, form in (("edit", CaseForm), ("add_submission", AddSubmissionForm),
                           ("remove_submission", RemoveSubmissionForm), ("add_record", AddRecordForm),
                           ("remove_record", RemoveRecordForm), ("note", CaseNoteForm))),
    Surface("staff.item_add_to_case", ItemCaseForm, prefix="item_case", constrained={"item_case-case"}),
    *(Surface(endpoint, CaseFileExportForm)
      for endpoint in ("staff.case_export_file", "staff.case_export_uwazi", "staff.case_export_esf")),
    # Partner groups (issue 23).
    Surface("staff.group", GroupMessageForm),
    Surface("admin.group_new", NewGroupForm),
    *(Surface(endpoint, ConfirmForm) for endpoint in ("admin.group_reinvite", "admin.group_suspend",
                                                       "admin.group_end_sessions")),
    Surface("public.group", GroupLoginForm, constrained={"group", "number", "passphrase", "code"}),
    Surface("public.group_join", JoinForm, constrained={"code", "passphrase", "passphrase_again"}),
    Surface("public.group_recover", RecoverForm,
            constrained={"group_number", "recovery_code", "totp", "passphrase", "passphrase_again"}),
    Surface("public.group_logout", GroupLogoutForm),
    Surface("public.group_new", ReportForm, constrained={"when_date", "when_year", "notice_email", "website"}),
    Surface("public.group_item", FollowUpForm),
    Surface("public.group_settings", NamingForm, prefix="naming"),
    Surface("public.group_settings", GroupTotpForm, prefix="totp", constrained={"totp-code"}),
    Surface("public.group_totp_off", TotpOffForm, prefix="off"),
    Surface("public.group_import", GroupImportForm),
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
                    "language", "province", "received_from", "received_to", "files", "unread", "sort", "group"],
    "staff.submission": ["records"],
    "staff.records": ["q", "kind", "person_role", "agency", "province", "facility_type", "category", "after"],
    "staff.records_timeline": ["page"],
    "staff.record": ["person_q"],
    "staff.record_new": ["kind"],
    "staff.cases_list": ["status", "lead"],
    "staff.case": ["q"],
    "staff.dashboard": ["status", "kind", "category", "priority", "language", "province", "received_from",
                        "received_to", "q"],
    "staff.export_queue": ["q", "status", "kind", "category", "priority", "province", "received_from"],
    "staff.login": ["next"],
    "admin.subscribers": ["state", "q", "page"],
    "admin.audit_log": ["action", "actor", "target", "since", "until", "before", "verify"],
}
