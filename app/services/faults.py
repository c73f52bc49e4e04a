"""Faults of the database or of the upload folder while a submitter's form is stored
(issue 10, item 5): which errors count, and trying once more where that cannot store twice.

A fault is a lost or refused database connection (PostgreSQL terminated the backend, the
server restarted, SQLite's file is locked or gone) or an operating-system error of the upload
folder (full, read-only, no permission). Anything else is a bug and stays an error.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.orm import Session

T = TypeVar("T")


class StoreFailed(Exception):
    """Nothing of the attempt was kept (the transaction rolled back, its files removed).
    `retry`: a database fault before anything could have been committed, so trying again on
    a fresh connection cannot store twice."""

    def __init__(self, retry: bool):
        super().__init__("the database or the upload folder failed; nothing was stored")
        self.retry = retry


def is_database_fault(error: BaseException) -> bool:
    return isinstance(error, OperationalError | InterfaceError) or (
        isinstance(error, DBAPIError) and bool(error.connection_invalidated))


def is_fault(error: BaseException) -> bool:
    return is_database_fault(error) or isinstance(error, OSError)


def at_most_twice(session: Session, action: Callable[[], T]) -> T:
    """Run `action`; after a database fault that left nothing behind, once more (the pool
    gives a fresh connection). A bare database fault from `action` counts as retryable: pass
    only actions that are harmless to run twice or that raise StoreFailed themselves.
    Raises StoreFailed when the fault remains."""
    try:
        return action()
    except StoreFailed as failure:
        if not failure.retry:
            raise
    except Exception as error:
        if not is_fault(error):
            raise
        session.rollback()
        if not is_database_fault(error):
            raise StoreFailed(retry=False) from error
    try:
        return action()
    except Exception as error:
        if not is_fault(error):
            raise
        session.rollback()
        raise StoreFailed(retry=False) from error
