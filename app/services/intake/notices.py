"""Content-free notices to officers, through the outbox.

A notice says only that something is waiting and links to /staff/: no text, no category, no
public id. E-mail crosses servers we do not control, and an officer's mailbox is easier to
reach than the portal behind its second factor. Both functions add to the caller's transaction
and do not commit: the notice exists exactly when the change that caused it is committed.
"""
from __future__ import annotations

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from app.i18n import DEFAULT_LOCALE, SUPPORTED_LOCALES, org_name
from app.models import OutboxEmail, Submission, User
from app.sealed.sealing import ItemKey
from app.services import mail
from app.services.accounts import active_officers
from app.services.intake.contact_details import notice_address

NEW_ITEM = "staff.new_item"
ASSIGNED = "staff.assigned"


def _officers_for(session: Session, locale: str) -> list[User]:
    """Active officers who read the item's language; failing that every active officer; and
    if there are no officers at all, the admins — a new item must never go unnoticed."""
    active = active_officers(session)
    officers = [user for user in active if user.role == "officer"]
    readers = [user for user in officers if locale in user.language_list]
    return readers or officers or [user for user in active if user.is_admin]


def _waiting(session: Session, recipients: list[str], kind: str) -> set[str]:
    """The recipients who still have an unsent notice of this kind queued: one is enough."""
    return set(session.scalars(sa.select(OutboxEmail.recipient).where(
        OutboxEmail.recipient.in_(recipients), OutboxEmail.kind == kind, OutboxEmail.state == "pending")))


def _mail_locale(locale: str | None) -> str:
    return locale if locale in SUPPORTED_LOCALES else DEFAULT_LOCALE


def _queue_staff_notice(session: Session, user: User, kind: str) -> None:
    config = current_app.config
    if kind == NEW_ITEM:
        def subject():
            return _("[%(org)s] A new item is waiting", org=org_name())
    else:
        def subject():
            return _("[%(org)s] An item was assigned to you", org=org_name())
    locale = _mail_locale(user.locale)
    rendered = mail.render_email(
        "staff_notice", [locale], subject, new_item=kind == NEW_ITEM, name=user.name,
        staff_url=config["PUBLIC_BASE_URL"].rstrip("/") + "/staff/",
    )
    mail.enqueue(session, recipient=user.email, rendered=rendered, kind=kind, locale=locale, sender=config["MAIL_FROM"])


def notify_new_item(session: Session, submission: Submission) -> int:
    """Queue "a new item is waiting" for the officers concerned. Returns how many were queued."""
    users = _officers_for(session, submission.locale)
    waiting = _waiting(session, [user.email for user in users], NEW_ITEM)
    fresh = [user for user in users if user.email not in waiting]
    for user in fresh:
        _queue_staff_notice(session, user, NEW_ITEM)
    return len(fresh)


def notify_assigned(session: Session, submission: Submission, user: User) -> bool:
    """Queue "an item was assigned to you" for `user` (not for an inactive account)."""
    if not user.active or _waiting(session, [user.email], ASSIGNED):
        return False
    _queue_staff_notice(session, user, ASSIGNED)
    return True


SUBMITTER_NOTICE = "submitter.notice"


def notify_submitter(session: Session, submission: Submission, key: ItemKey) -> bool:
    """A neutral "you have a new message" to a submitter who asked for it, in their language.

    It names neither the organization nor the site and carries no link or code: someone else
    reading the submitter's mailbox must learn nothing. The outbox forgets the address once
    the message is sent (services/outreach/outbox.py FORGET_AFTER_SENDING)."""
    address = notice_address(submission, key)
    if not address:
        return False
    if _waiting(session, [address], SUBMITTER_NOTICE):
        return False
    locale = _mail_locale(submission.locale)
    rendered = mail.render_email("submitter_notice", [locale], lambda: _("You have a new message"))
    sender = current_app.config["SUBMITTER_NOTICE_FROM"]  # neutral, checked at start (config.py)
    mail.enqueue(session, recipient=address, rendered=rendered, kind=SUBMITTER_NOTICE, locale=locale, sender=sender,
                 headers={"From": sender})
    return True
