"""Run-time settings kept in the database (models/settings.py): the retention periods.

RETENTION_DAYS from the environment is the default until an admin saves another value, so a
fresh instance behaves as configured; per-status overrides apply to the end states only.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from app.models import User
from app.models.settings import Setting
from app.services import audit

RETENTION_KEY = "retention.days"
OVERRIDE_KEY = "retention.days_by_status"
# The statuses that end an item's handling: only these ever expire (DESIGN §6).
RETENTION_STATUSES = ("closed", "rejected", "duplicate")
MIN_DAYS, MAX_DAYS = 1, 36_500


class SettingsError(ValueError):
    """A value out of range; `field` names the setting (RETENTION_KEY or a status)."""

    def __init__(self, field_name: str):
        super().__init__(field_name)
        self.field = field_name


@dataclass(frozen=True)
class RetentionPolicy:
    default_days: int
    overrides: dict[str, int] = field(default_factory=dict)

    def days_for(self, status: str) -> int | None:
        """Days an item in `status` is kept after its last change; None: it never expires."""
        if status not in RETENTION_STATUSES:
            return None
        return self.overrides.get(status, self.default_days)


def _get(session: Session, key: str):
    row = session.get(Setting, key)
    return json.loads(row.value) if row else None


def _put(session: Session, key: str, value) -> None:
    row = session.get(Setting, key)
    text = json.dumps(value, sort_keys=True)
    if row is None:
        session.add(Setting(key=key, value=text))
    else:
        row.value = text


def read_value(session: Session, key: str):
    """A stored value that is not an admin's setting but a record (the last backup and drill)."""
    return _get(session, key)


def write_value(session: Session, key: str, value) -> None:
    _put(session, key, value)


def retention_policy(session: Session, configured_days: int) -> RetentionPolicy:
    days = _get(session, RETENTION_KEY)
    overrides = _get(session, OVERRIDE_KEY) or {}
    return RetentionPolicy(
        int(days) if days is not None else configured_days,
        {status: int(value) for status, value in overrides.items() if status in RETENTION_STATUSES},
    )


def _check(name: str, days: int | None) -> None:
    if days is not None and not MIN_DAYS <= days <= MAX_DAYS:
        raise SettingsError(name)


def save_retention(session: Session, actor: User, default_days: int, overrides: dict[str, int | None],
                   configured_days: int) -> RetentionPolicy:
    """Validate, store and audit new retention periods (None in overrides: use the default)."""
    _check(RETENTION_KEY, default_days)
    for status, days in overrides.items():
        if status not in RETENTION_STATUSES:
            raise SettingsError(status)
        _check(status, days)
    before = retention_policy(session, configured_days)
    clean = {status: days for status, days in overrides.items() if days is not None}
    _put(session, RETENTION_KEY, default_days)
    _put(session, OVERRIDE_KEY, clean)
    after = RetentionPolicy(default_days, clean)
    if after != before:
        audit.record(session, f"user:{actor.id}", "settings.retention", "settings", "retention",
                     {"from": {"days": before.default_days, "by_status": before.overrides},
                      "to": {"days": after.default_days, "by_status": after.overrides}})
    return after
