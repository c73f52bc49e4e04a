"""The dashboard's numbers for every item, counted in the background and kept.

Counting every item takes seconds at 1,000,000 (each chart is a pass over the submissions or
their categories or messages), far too long for a page. So the unfiltered dashboard shows the
numbers of the last count with the time it was made ("counted at …"), and a page that finds
them older than DASHBOARD_RECOUNT_SECONDS starts a new count in a background thread of its
process; the page itself never waits, except for the very first count of an installation.
One count runs at a time across every process and app server: a claim in app_setting, taken
by an UPDATE that only one of them can win, and given up when the count ends (or lapses after
CLAIM_SECONDS if its process died). A count that fails keeps the numbers there were.

What is kept are counts of columns that are in the clear anyway (status, province, category
codes, times, which records are linked to which submissions): nothing a copy of the database
could not count for itself.
"""
from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import Flask
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, scoped_session

from app.models.base import rows_affected, utcnow
from app.models.settings import Setting
from app.services.triage import stats

log = logging.getLogger(__name__)

SNAPSHOT_KEY = "dashboard.counts"
CLAIM_KEY = "dashboard.counting"
CLAIM_SECONDS = 300  # a count that has not ended by then is taken to have died with its process

_counting = threading.Lock()  # one count per process


@dataclass
class Snapshot:
    counts: stats.Counts
    counted_at: datetime
    timezone: str
    # False for numbers kept by an older version, which lack some (corroborated events):
    # shown as they are, and counted again in the background at once.
    complete: bool = True


def read(session: Session) -> Snapshot | None:
    row = session.get(Setting, SNAPSHOT_KEY)
    if row is None:
        return None
    data = json.loads(row.value)
    return Snapshot(stats.Counts.from_json(data["counts"]), datetime.fromisoformat(data["counted_at"]),
                    data["timezone"], complete="corroborated" in data["counts"])


def _store(session: Session, snapshot: Snapshot) -> None:
    value = json.dumps({"counts": snapshot.counts.to_json(), "counted_at": snapshot.counted_at.isoformat(),
                        "timezone": snapshot.timezone})
    row = session.get(Setting, SNAPSHOT_KEY)
    if row is None:
        session.add(Setting(key=SNAPSHOT_KEY, value=value))
    else:
        row.value = value


def recount(session: Session, timezone: str) -> Snapshot:
    """Count every item now, keep the numbers and commit."""
    started = utcnow()
    snapshot = Snapshot(stats.count(session, None, timezone), started, timezone)
    _store(session, snapshot)
    session.commit()
    return snapshot


def due(snapshot: Snapshot | None, timezone: str, max_age: timedelta) -> bool:
    return (snapshot is None or snapshot.timezone != timezone or not snapshot.complete
            or utcnow() - snapshot.counted_at >= max_age)


def claim(session: Session) -> bool:
    """Take the right to count (committed); False when another count is under way."""
    now = utcnow()
    lapsed = json.dumps((now - timedelta(seconds=CLAIM_SECONDS)).isoformat())
    taken = rows_affected(session.execute(sa.update(Setting).where(Setting.key == CLAIM_KEY, Setting.value < lapsed)
                                          .values(value=json.dumps(now.isoformat()))))
    if not taken and session.get(Setting, CLAIM_KEY) is None:
        session.add(Setting(key=CLAIM_KEY, value=json.dumps(now.isoformat())))
        try:
            session.commit()
        except IntegrityError:  # another process made the row first: its count is under way
            session.rollback()
            return False
        return True
    session.commit()
    return bool(taken)


def release(session: Session) -> None:
    session.execute(sa.update(Setting).where(Setting.key == CLAIM_KEY).values(value=json.dumps("")))
    session.commit()


def recount_in_background(app: Flask, sessions: scoped_session, timezone: str) -> bool:
    """Start a count in a thread of this process, unless one runs here or elsewhere. `sessions`
    gives the thread a session of its own (the request's ends with the request)."""
    if not _counting.acquire(blocking=False):
        return False

    def work() -> None:
        try:
            with app.app_context():
                session = sessions()
                try:
                    if claim(session):
                        try:
                            recount(session, timezone)
                        finally:
                            release(session)
                except Exception:  # the numbers there were stay; the next page tries again
                    session.rollback()
                    log.exception("counting the dashboard failed")
                finally:
                    sessions.remove()
        finally:
            _counting.release()

    threading.Thread(target=work, name="dashboard-count", daemon=True).start()
    return True


def current(sessions: scoped_session, app: Flask, timezone: str, max_age: timedelta) -> Snapshot:
    """The numbers for every item: the kept ones (a new count started when they are old), or
    for an installation that has none yet, counted now."""
    session = sessions()
    snapshot = read(session)
    if snapshot is None or snapshot.timezone != timezone:
        return recount(session, timezone)
    if due(snapshot, timezone, max_age):
        recount_in_background(app, sessions, timezone)
    return snapshot
