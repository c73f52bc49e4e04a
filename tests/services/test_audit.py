"""The audit log: a hash chain that names the first altered or removed row; days searched as
whole office days."""
from __future__ import annotations

import sqlalchemy as sa

from app.extensions import db
from app.models import AuditEvent
from app.services import audit


def test_chain_verifies_and_names_the_first_altered_row(app_ctx, runner):
    for n in range(5):
        audit.record(db.session, "system", f"test.{n}", "submission", str(n), {"n": n})
    db.session.commit()
    assert audit.verify(db.session).ok
    assert runner.invoke(args=["audit", "verify"]).exit_code == 0

    third = db.session.scalars(sa.select(AuditEvent).order_by(AuditEvent.id)).all()[2]
    db.session.execute(sa.text("UPDATE audit_event SET details = :d WHERE id = :i"), {"d": '{"n": 99}', "i": third.id})
    db.session.commit()
    report = audit.verify(db.session)
    assert not report.ok and report.first_bad_id == third.id
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1 and f"event id {third.id}" in result.output


def test_chain_detects_a_removed_row(app_ctx, runner):
    for n in range(4):
        audit.record(db.session, "system", f"test.{n}")
    db.session.commit()
    ids = db.session.scalars(sa.select(AuditEvent.id).order_by(AuditEvent.id)).all()
    db.session.execute(sa.delete(AuditEvent).where(AuditEvent.id == ids[1]))
    db.session.commit()
    report = audit.verify(db.session)
    assert report.first_bad_id == ids[2] and "removed" in report.problem


def test_audit_search_days_are_whole_office_days(app_ctx):
    from datetime import datetime, timedelta, timezone

    kst = timezone(timedelta(hours=9))
    moments = {"early": datetime(2026, 3, 1, 0, 30, tzinfo=kst), "late": datetime(2026, 3, 1, 23, 30, tzinfo=kst),
               "next": datetime(2026, 3, 2, 0, 10, tzinfo=kst), "before": datetime(2026, 2, 28, 23, 50, tzinfo=kst)}
    for name, moment in moments.items():
        event = audit.record(db.session, "system", f"test.{name}")
        db.session.execute(sa.update(AuditEvent).where(AuditEvent.id == event.id).values(created_at=moment))
    db.session.commit()

    def found(**days):  # (the test's own events: the installation's keys were created today, too)
        return {e.action for e in audit.search_events(db.session, action="test.", timezone="Asia/Seoul", **days)[0]}

    assert found(since="2026-03-01", until="2026-03-01") == {"test.early", "test.late"}
    assert found(since="2026-03-02") == {"test.next"}
    assert found(until="2026-02-28") == {"test.before"}
    assert found(since="not a date") == {f"test.{name}" for name in moments}
