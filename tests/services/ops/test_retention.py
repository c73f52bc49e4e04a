"""Retention: `flask retention purge` deletes exactly what expired and nothing else, one at a
time; the list of what expires next; leftover files."""
from __future__ import annotations

import json
import os
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa

from app.extensions import db
from app.models import Attachment, AuditEvent, Message, Note, Submission, submission_category
from app.models.base import utcnow
from app.services import settings
from app.services.ops import retention
from tests.factories import SubmissionFactory, UserFactory
from tests.helpers import audit_actions, days_ago, pdf_bytes

PDF = pdf_bytes("kept for a while")


def _ids(app):
    with app.app_context():
        return set(db.session.scalars(sa.select(Submission.public_id)))


def _attachment_path(app, public_id) -> Path:
    with app.app_context():
        name = db.session.scalar(sa.select(Attachment.stored_name).join(Submission)
                                 .where(Submission.public_id == public_id))
    return Path(app.config["UPLOAD_DIR"]) / name[:2] / name


def test_purge_deletes_exactly_what_expired(app, runner, tmp_path):
    with app.app_context():  # 30 days, rejected items 10
        settings.save_retention(db.session, UserFactory(admin=True), 30, {"rejected": 10}, app.config["RETENTION_DAYS"])
        db.session.commit()

    def item(n, **workflow):
        return SubmissionFactory(categories=["V02.1"], narrative=f"비밀 내용 {n}", files=[(f"증언{n}.pdf", PDF)],
                                 **workflow)

    expired_closed = item(0, closed=True, updated_at=days_ago(31), with_thread=True, with_notes=True)
    held = item(1, rejected=True, updated_at=days_ago(400), hold_reason="재판")
    recent = item(2, closed=True, updated_at=days_ago(29))
    open_old = item(3, in_review=True, updated_at=days_ago(900))
    expired_dup = item(4, duplicate=True, duplicate_of=recent, updated_at=days_ago(45))
    expired_rejected = item(5, rejected=True, updated_at=days_ago(11), with_thread=True, with_notes=True)
    dup_of_expired = item(6, duplicate=True, duplicate_of=expired_closed, updated_at=days_ago(1))
    ids = {i.public_id for i in (expired_closed, held, recent, open_old, expired_dup, expired_rejected, dup_of_expired)}
    gone = {i.public_id: i.id for i in (expired_closed, expired_dup, expired_rejected)}
    file_path = _attachment_path(app, expired_closed.public_id)
    peek = tmp_path / "peek"
    os.link(file_path, peek)  # a second name for the same inode shows what the purge wrote into it
    size = peek.stat().st_size

    dry = runner.invoke(args=["retention", "purge", "--dry-run"])
    assert dry.exit_code == 0 and all(public_id in dry.output for public_id in gone)
    assert _ids(app) == ids and "submission.purged" not in audit_actions(app)

    result = runner.invoke(args=["retention", "purge"])
    assert result.exit_code == 0, result.output
    assert "purged 3 item(s)" in result.output
    assert _ids(app) == ids - set(gone)
    with app.app_context():
        for table, column in ((Attachment, Attachment.submission_id), (Message, Message.submission_id),
                              (Note, Note.submission_id), (submission_category, submission_category.c.submission_id)):
            rows = db.session.scalar(sa.select(sa.func.count()).select_from(table)
                                     .where(column.in_(list(gone.values()))))
            assert rows == 0
        assert db.session.scalar(sa.select(Submission.duplicate_of_id)
                                 .where(Submission.public_id == dup_of_expired.public_id)) is None
        events = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "submission.purged")).all()
        assert {e.target_id for e in events} == set(gone) and all(e.actor == "system:retention" for e in events)
        details = {e.target_id: json.loads(e.details) for e in events}
        assert details[expired_closed.public_id] == {
            "public_id": expired_closed.public_id, "status": "closed", "attachments": 1, "messages": 2, "notes": 1,
            "categories": 1, "retention_days": 30}
        assert details[expired_rejected.public_id]["retention_days"] == 10
        assert all("비밀" not in e.details for e in events)
    assert not file_path.exists()
    assert peek.read_bytes() == b"\0" * size  # overwritten before it was unlinked
    for public_id in ids - set(gone):
        assert _attachment_path(app, public_id).exists()
    assert runner.invoke(args=["audit", "verify"]).exit_code == 0

    again = runner.invoke(args=["retention", "purge"])
    assert again.exit_code == 0 and "purged 0 item(s)" in again.output


def test_purge_waits_for_the_lock_and_never_collides(app, runner):
    public_id = SubmissionFactory(closed=True, updated_at=days_ago(5000)).public_id
    with app.app_context(), retention.maintenance_lock(db.session, app.config["UPLOAD_DIR"]):
        result = runner.invoke(args=["retention", "purge"])
    assert result.exit_code == 0 and "skipped" in result.output
    assert _ids(app) == {public_id}
    assert runner.invoke(args=["retention", "purge"]).exit_code == 0
    assert _ids(app) == set()


def test_expiry_list_keeps_the_soonest_when_it_is_cut(app):
    ids = [SubmissionFactory(closed=True, updated_at=days_ago(3650 - 5)).public_id,  # made first, expires last
           SubmissionFactory(rejected=True, updated_at=days_ago(4000)).public_id,  # already due
           SubmissionFactory(closed=True, updated_at=days_ago(3650 - 1)).public_id,
           SubmissionFactory(duplicate=True, updated_at=days_ago(3650 - 3)).public_id]
    with app.app_context():
        policy = retention.RetentionPolicy(3650)
        listed = [item.public_id for item in retention.expiring_within(db.session, policy, days=7, limit=3)]
    assert listed == [ids[1], ids[2], ids[3]]


def test_purge_sweeps_only_old_leftover_files(app, runner):
    upload = Path(app.config["UPLOAD_DIR"])
    leftover = upload / "ab" / ("ab" + "0" * 30)
    fresh = upload / "cd" / ("cd" + "1" * 30)  # an upload whose row is not committed yet
    foreign = upload / "ab" / "README.txt"
    for path in (leftover, fresh, foreign):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x" * 100)
    two_days_ago = (utcnow() - timedelta(days=2)).timestamp()
    os.utime(leftover, (two_days_ago, two_days_ago))
    os.utime(foreign, (two_days_ago, two_days_ago))
    result = runner.invoke(args=["retention", "purge"])
    assert result.exit_code == 0 and "1 leftover file(s) removed" in result.output
    assert not leftover.exists() and fresh.exists() and foreign.exists()
