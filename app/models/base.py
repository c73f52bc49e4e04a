"""Typed declarative base, naming convention and column aliases shared by every model."""
from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, cast

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Session, mapped_column, scoped_session
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """Stores UTC; always hands back timezone-aware datetimes, on SQLite as on PostgreSQL."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: store timezone-aware UTC values")
        return value.astimezone(UTC)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


intpk = Annotated[int, mapped_column(primary_key=True)]
created_at = Annotated[datetime, mapped_column(UTCDateTime(), default=utcnow, nullable=False)]
updated_at = Annotated[datetime, mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow, nullable=False)]
bool_false = Annotated[bool, mapped_column(sa.Boolean(), default=False, server_default=sa.false(), nullable=False)]
str20 = Annotated[str, mapped_column(sa.String(20))]
str64 = Annotated[str, mapped_column(sa.String(64))]
str200 = Annotated[str, mapped_column(sa.String(200))]


def engine_of(session: Session) -> sa.Engine:
    """The engine behind a session. get_bind() may also answer a Connection, but every session
    here (Flask-SQLAlchemy's, the CLI's, a case file's) is bound to the engine itself."""
    return cast(sa.Engine, session.get_bind())


def in_transaction(session: Session) -> bool:
    """Whether a transaction is open, for a plain session or Flask-SQLAlchemy's scoped one
    (which does not pass in_transaction() on)."""
    plain = session() if isinstance(session, scoped_session) else session
    return plain.in_transaction()


def rows_affected(result: sa.Result) -> int:
    """How many rows an UPDATE or DELETE touched (its result is a CursorResult, typed as Result)."""
    return cast(sa.CursorResult, result).rowcount or 0


def split_codes(text: str | None) -> list[str]:
    """Codes kept comma-separated in one column (topics, languages): "ko,en" -> ["ko", "en"]."""
    return [code for code in (text or "").split(",") if code]


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)
