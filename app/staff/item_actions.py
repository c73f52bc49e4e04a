"""The actions of the item page: which form each uses and which triage call it makes."""
from __future__ import annotations

from flask_babel import gettext as _

from app import vocabularies as v
from app.i18n import current_lang
from app.models import Submission, User
from app.sealed import vault
from app.services.accounts import active_officers
from app.services.intake.reports import find_by_public_id
from app.services.taxonomy import category_choices
from app.services.triage import actions
from app.staff.item_forms import (
    AssessmentForm,
    AssignForm,
    CategoriesForm,
    MessageForm,
    NoteForm,
    RevealForm,
    StatusForm,
)


def build_forms(session, item: Submission, posted: str | None = None) -> dict:
    """All forms of the page; only the posted one reads the request, the others show the item."""
    def make(name, cls, **data):
        if name == posted:
            return cls(prefix=name)
        return cls(prefix=name, formdata=None, **data)

    version = str(item.version)
    forms = {
        "status": make("status", StatusForm, version=version, status=item.status),
        "assessment": make("assessment", AssessmentForm, version=version, priority=item.priority or "",
                           violation_status=item.violation_status or "", reliability=item.reliability or ""),
        "assign": make("assign", AssignForm, version=version, assignee=str(item.assignee_id or "")),
        "categories": make("categories", CategoriesForm, version=version, categories=[c.code for c in item.categories]),
        "note": make("note", NoteForm),
        "message": make("message", MessageForm),
        "reveal": make("reveal", RevealForm),
    }
    forms["assign"].assignee.choices = [("", _("Unassigned"))] + [
        (str(u.id), u.name or u.email) for u in active_officers(session)
    ]
    forms["categories"].categories.choices = category_choices(session, current_lang())
    return forms


def _status(session, user, item, form, keyring):
    actions.check_version(item, form.expected_version())
    original = None
    if form.status.data == "duplicate" and form.duplicate_of.data:
        original = find_by_public_id(session, form.duplicate_of.data.upper())
    actions.change_status(session, user, item, form.status.data, keyring, form.reason.data, original)


def _assessment(session, user, item, form, keyring):
    actions.check_version(item, form.expected_version())
    actions.set_priority(session, user, item, form.priority.data)
    actions.set_assessment(session, user, item, form.violation_status.data, form.reliability.data)


def _assign(session, user, item, form, keyring):
    actions.check_version(item, form.expected_version())
    value = form.assignee.data or ""
    assignee = session.get(User, int(value)) if value.isdigit() else None
    if value and assignee is None:
        raise actions.TriageError("assignee")
    actions.assign(session, user, item, assignee)


def _categories(session, user, item, form, keyring):
    actions.check_version(item, form.expected_version())
    actions.recode(session, user, item, list(form.categories.data or []))


ACTIONS = {
    "status": _status,
    "assessment": _assessment,
    "assign": _assign,
    "categories": _categories,
    "note": lambda session, user, item, form, keyring: actions.add_note(session, user, item, form.body.data, keyring),
    "message": lambda session, user, item, form, keyring: actions.send_message(
        session, user, item, form.body.data, vault.staff_key(keyring, item)),
    "reveal": lambda session, user, item, form, keyring: actions.reveal_contact(session, user, item, keyring),
}


def refusal_message(reason: str, status: str | None = None) -> str:
    """The sentence for a refused change; a refused status change from a known `status` names
    the statuses that are possible from there."""
    if reason == "transition" and status:
        allowed = ", ".join(v.label_for(v.STATUSES, code) for code in actions.next_statuses(status))
        return _("This status change is not possible from “%(current)s”. From there, the status can change to: "
                 "%(allowed)s.", current=v.label_for(v.STATUSES, status), allowed=allowed)
    messages = {
        "transition": _("This status change is not possible from the current status."),
        "reason_required": _("Please give a reason: it is required for rejected, duplicate and closed."),
        "duplicate_target": _("Please enter the item number of the original (another item)."),
        "choice": _("Please choose one of the options."),
        "assignee": _("This person cannot be assigned."),
        "empty": _("Please write something first."),
        "too_long": _("The text is too long."),
        "stale": _("This item was changed by someone else after you opened it. "
                   "Please check the current state and try again."),
        "no_contact_access": _("Your account may not see contact details. An admin can give this right."),
    }
    return messages.get(reason, messages["choice"])
