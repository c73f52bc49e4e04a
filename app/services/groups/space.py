"""What a partner group's space and the officers' group page show: the group's submissions
(opened with the group's key for the group, with the org key for officers), counts, and the
officers' messages to the group as a whole."""
from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.models import Category, GroupMessage, PartnerGroup, Submission, submission_category
from app.sealed import groups as sealed_groups
from app.sealed import vault
from app.sealed.keys import Keyring
from app.sealed.sealing import ItemKey
from app.services import audit


def submissions(session: Session, group: PartnerGroup) -> list[Submission]:
    return list(session.scalars(sa.select(Submission).where(Submission.group_id == group.id)
                                .order_by(Submission.created_at.desc(), Submission.id.desc())))


def find_submission(session: Session, group: PartnerGroup, public_id: str) -> Submission | None:
    """One of this group's submissions (another group's or an individual's is None)."""
    return session.scalar(sa.select(Submission).where(Submission.public_id == public_id,
                                                      Submission.group_id == group.id))


def open_for_group(item: Submission, group_private: bytes, thread: bool = False) -> ItemKey:
    """The submission's own values (and with `thread` its messages and file names), opened
    with the group's private key."""
    if item.key_for_group is None:
        raise ValueError("not a group submission")
    key = vault.open_item(item, sealed_groups.open_item_key(group_private, item.public_id, item.key_for_group))
    if thread:
        vault.open_thread(item, key)
    return key


@dataclass
class Counts:
    total: int
    by_status: list[tuple[str, int]]
    by_category: list[tuple[Category, int]]


def counts(session: Session, group: PartnerGroup) -> Counts:
    by_status = session.execute(sa.select(Submission.status, sa.func.count()).where(Submission.group_id == group.id)
                                .group_by(Submission.status).order_by(Submission.status)).tuples().all()
    by_category = session.execute(
        sa.select(Category, sa.func.count()).join(submission_category, submission_category.c.category_id == Category.id)
        .join(Submission, Submission.id == submission_category.c.submission_id)
        .where(Submission.group_id == group.id).group_by(Category.id).order_by(sa.func.count().desc(), Category.code)
    ).tuples().all()
    return Counts(sum(n for _, n in by_status), list(by_status), list(by_category))


def counts_by_group(session: Session) -> dict[int, int]:
    rows = session.execute(sa.select(Submission.group_id, sa.func.count()).where(Submission.group_id.is_not(None))
                           .group_by(Submission.group_id)).tuples().all()
    return {group_id: count for group_id, count in rows if group_id is not None}


def send_message(session: Session, group: PartnerGroup, body: str, user_id: int) -> GroupMessage:
    """An officers' message to the group as a whole (sealed to the group's and the org key)."""
    message = GroupMessage(group=group, author_user_id=user_id, body_for_group=b"", body_for_org=b"")
    session.add(message)
    session.flush()
    message.body_for_group, message.body_for_org = sealed_groups.seal_message(session, group, message.id, body)
    message.set_opened({"body": body})
    audit.record(session, f"user:{user_id}", "group.message_sent", "partner_group", group.public_id,
                 {"message": message.id})
    return message


def messages_for_group(group: PartnerGroup, group_private: bytes) -> list[GroupMessage]:
    for message in group.messages:
        message.set_opened({"body": sealed_groups.open_message_for_group(group_private, group, message.id,
                                                                         message.body_for_group)})
    return list(reversed(group.messages))


def messages_for_staff(group: PartnerGroup, keyring: Keyring) -> list[GroupMessage]:
    for message in group.messages:
        message.set_opened({"body": sealed_groups.open_message_for_staff(keyring, group, message.id,
                                                                         message.body_for_org)})
    return list(reversed(group.messages))
