"""Subscriber (an NGO's address for updates) and OutboxEmail (every e-mail the portal sends).

Mail is never sent from a request: the request adds an OutboxEmail row in its own transaction,
and `flask outbox send` delivers it. So a message exists exactly when the change that caused
it was committed, and a down mail server delays mail instead of losing it.
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, UTCDateTime, created_at, intpk, split_codes, str20, updated_at

SUBSCRIBER_STATES = ("pending", "confirmed", "unsubscribed")
SUBSCRIBER_LANGUAGES = ("ko", "en", "both")


class Subscriber(Base):
    __tablename__ = "subscriber"

    id: Mapped[intpk]
    # Lower-cased: one row per address, whatever capitals were typed.
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    organization: Mapped[str] = mapped_column(sa.String(200), default="")
    locale: Mapped[str] = mapped_column(sa.String(5), default="ko")  # ko, en or both
    topics: Mapped[str] = mapped_column(sa.String(200), default="")  # comma-separated topic codes
    state: Mapped[str20] = mapped_column(default="pending", index=True)
    # Random per row and part of every signed link: a link for a removed subscriber never
    # works for a later row that happens to get the same id.
    token_key: Mapped[str] = mapped_column(sa.String(32))
    # Last confirmation or "manage your subscription" mail: limits how often the public form
    # can make us write to one address.
    last_mailed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    unsubscribed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[created_at]
    updated_at: Mapped[updated_at]

    @property
    def topic_list(self) -> list[str]:
        return split_codes(self.topics)

    @property
    def languages(self) -> list[str]:
        return ["ko", "en"] if self.locale == "both" else [self.locale]

    def __repr__(self) -> str:
        return f"<Subscriber {self.id} {self.state}>"


class OutboxEmail(Base):
    __tablename__ = "outbox_email"
    __table_args__ = (sa.Index("ix_outbox_email_due", "state", "next_attempt_at"),)

    id: Mapped[intpk]
    kind: Mapped[str] = mapped_column(sa.String(40))  # e.g. subscription.confirm, update, staff.new_item
    recipient: Mapped[str] = mapped_column(sa.String(254))
    locale: Mapped[str] = mapped_column(sa.String(5), default="ko")
    subject: Mapped[str] = mapped_column(sa.String(500))
    body_text: Mapped[str] = mapped_column(sa.Text())
    body_html: Mapped[str] = mapped_column(sa.Text())
    headers: Mapped[str] = mapped_column(sa.Text(), default="{}")  # JSON: extra headers
    # Fixed when queued, so a message re-sent after a crash can be recognised as the same one.
    message_id: Mapped[str] = mapped_column(sa.String(200))
    # "update:<update id>:<subscriber id>" and the like: queueing the same thing twice fails.
    dedupe_key: Mapped[str | None] = mapped_column(sa.String(120), unique=True)
    state: Mapped[str20] = mapped_column(default="pending")  # pending, sent or failed
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # A worker's claim on the row; after a crash the claim simply runs out.
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(sa.String(1000))
    created_at: Mapped[created_at]

    def __repr__(self) -> str:
        return f"<OutboxEmail {self.id} {self.kind} {self.state}>"
