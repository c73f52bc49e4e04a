"""Retention: admin settings, evidence hold, `flask retention purge`, expiry shown to officers."""
from __future__ import annotations

import json
import math
import os
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa

from app.extensions import db
from app.models import Attachment, AuditEvent, Message, Note, Submission, submission_category
from app.models.base import utcnow
from app.services.ops import retention
from tests.auth_helpers import login
from tests.helpers import act, audit_actions, item_id, post_form, report

PDF = b"%PDF-1.4\n% kept for a while\n"


def _age(app, public_id, status, days, **values):
    """Set an item's status and last change `days` ago (a plain UPDATE: updated_at as given)."""
    with app.app_context():
        db.session.execute(sa.update(Submission).where(Submission.public_id == public_id)
                           .values(status=status, updated_at=utcnow() - timedelta(days=days), **values))
        db.session.commit()


def _ids(app):
    with app.app_context():
        return set(db.session.scalars(sa.select(Submission.public_id)))


def _save_settings(client, days="30", rejected="10", **others):
    data = {"days": days, "closed": "", "rejected": rejected, "duplicate": "", **others}
    return post_form(client, "/admin/settings", data)


def test_settings_page_validates_keeps_input_and_audits(client, app):
    login(client, app, role="admin", email="admin@example.org")
    page = _save_settings(client, days="abc", rejected="-3")
    html = page.get_data(as_text=True)
    assert page.status_code == 422
    assert "사이의 일수를 숫자로 입력해 주세요" in html and 'value="abc"' in html and 'value="-3"' in html
    assert "settings.retention" not in audit_actions(app)
    assert _save_settings(client, days="", rejected="").status_code == 422
    assert _save_settings(client, days="1,000", rejected="10").status_code == 302
    html = client.get("/admin/settings").get_data(as_text=True)
    assert 'value="1000"' in html and 'value="10"' in html and "RETENTION_DAYS" in html
    with app.app_context():
        event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "settings.retention"))
        assert json.loads(event.details)["to"] == {"days": 1000, "by_status": {"rejected": 10}}
    officer = app.test_client()
    login(officer, app)
    assert officer.get("/admin/settings").status_code == 403


def test_evidence_hold_set_and_release_from_the_item_page(client, app):
    report(app.test_client())
    login(client, app)
    public_id = item_id(app)
    page = f"/staff/submissions/{public_id}"
    refused = act(client, public_id, "hold", {"reason": "", "hold": "y"})
    assert refused.status_code == 422 and "증거 보존 조치 사유를 적어 주세요" in refused.get_data(as_text=True)
    too_long = act(client, public_id, "hold", {"reason": "가" * 1001, "hold": "y"})
    assert too_long.status_code == 422 and "가" * 1001 in too_long.get_data(as_text=True)
    assert act(client, public_id, "hold", {"reason": "ICC 제출 예정", "hold": "y"}).status_code == 302
    html = client.get(page).get_data(as_text=True)
    assert "증거 보존 조치 중입니다" in html and "ICC 제출 예정" in html
    with app.app_context():
        item = db.session.scalar(sa.select(Submission))
        assert item.evidence_hold and item.evidence_hold_reason == "ICC 제출 예정" and item.evidence_hold_at
    assert act(client, public_id, "hold", {"release": "y"}).status_code == 302
    with app.app_context():
        assert not db.session.scalar(sa.select(Submission.evidence_hold))
    actions = audit_actions(app)
    assert "submission.evidence_hold" in actions and "submission.evidence_released" in actions


def _attachment_path(app, public_id) -> Path:
    with app.app_context():
        name = db.session.scalar(sa.select(Attachment.stored_name).join(Submission)
                                 .where(Submission.public_id == public_id))
    return Path(app.config["UPLOAD_DIR"]) / name[:2] / name


def test_purge_deletes_exactly_what_expired(client, app, runner, tmp_path):
    submitter = app.test_client()
    for n in range(7):
        report(submitter, categories=["V02.1"], narrative=f"비밀 내용 {n}", files=[(f"증언{n}.pdf", PDF)])
    login(client, app, role="admin", email="admin@example.org")
    assert _save_settings(client).status_code == 302  # 30 days, rejected 10
    officer = app.test_client()
    login(officer, app)
    ids = [item_id(app, n) for n in range(7)]
    expired_closed, held, recent, open_old, expired_dup, expired_rejected, dup_of_expired = ids
    for public_id in (expired_closed, expired_rejected):
        assert act(officer, public_id, "message", {"body": "답변"}).status_code == 302
        assert act(officer, public_id, "note", {"body": "메모"}).status_code == 302
    with app.app_context():
        original = {s.public_id: s.id for s in db.session.scalars(sa.select(Submission))}
    _age(app, expired_closed, "closed", 31)
    _age(app, held, "rejected", 400, evidence_hold=True, evidence_hold_reason="재판")
    _age(app, recent, "closed", 29)
    _age(app, open_old, "in_review", 900)
    _age(app, expired_dup, "duplicate", 45, duplicate_of_id=original[recent])
    _age(app, expired_rejected, "rejected", 11)
    _age(app, dup_of_expired, "duplicate", 1, duplicate_of_id=original[expired_closed])
    gone = {expired_closed, expired_dup, expired_rejected}
    file_path = _attachment_path(app, expired_closed)
    peek = tmp_path / "peek"
    os.link(file_path, peek)  # a second name for the same inode shows what the purge wrote into it
    size = peek.stat().st_size

    dry = runner.invoke(args=["retention", "purge", "--dry-run"])
    assert dry.exit_code == 0 and all(public_id in dry.output for public_id in gone)
    assert _ids(app) == set(ids) and "submission.purged" not in audit_actions(app)

    result = runner.invoke(args=["retention", "purge"])
    assert result.exit_code == 0, result.output
    assert "purged 3 item(s)" in result.output
    assert _ids(app) == set(ids) - gone
    with app.app_context():
        for table, column in ((Attachment, Attachment.submission_id), (Message, Message.submission_id),
                              (Note, Note.submission_id), (submission_category, submission_category.c.submission_id)):
            rows = db.session.scalar(sa.select(sa.func.count()).select_from(table)
                                     .where(column.in_([original[p] for p in gone])))
            assert rows == 0
        assert db.session.scalar(sa.select(Submission.duplicate_of_id)
                                 .where(Submission.public_id == dup_of_expired)) is None
        events = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "submission.purged")).all()
        assert {e.target_id for e in events} == gone and all(e.actor == "system:retention" for e in events)
        details = {e.target_id: json.loads(e.details) for e in events}
        assert details[expired_closed] == {"public_id": expired_closed, "status": "closed", "attachments": 1,
                                           "messages": 1, "notes": 1, "categories": 1, "retention_days": 30}
        assert details[expired_rejected]["retention_days"] == 10
        assert all("비밀" not in e.details for e in events)
    assert not file_path.exists()
    assert peek.read_bytes() == b"\0" * size  # overwritten before it was unlinked
    for public_id in set(ids) - gone:
        assert _attachment_path(app, public_id).exists()
    assert runner.invoke(args=["audit", "verify"]).exit_code == 0

    again = runner.invoke(args=["retention", "purge"])
    assert again.exit_code == 0 and "purged 0 item(s)" in again.output


def test_purge_waits_for_the_lock_and_never_collides(client, app, runner):
    report(app.test_client())
    public_id = item_id(app)
    _age(app, public_id, "closed", 5000)
    with app.app_context(), retention.maintenance_lock(db.session, app.config["UPLOAD_DIR"]):
        result = runner.invoke(args=["retention", "purge"])
    assert result.exit_code == 0 and "skipped" in result.output
    assert _ids(app) == {public_id}
    assert runner.invoke(args=["retention", "purge"]).exit_code == 0
    assert _ids(app) == set()


def test_officers_see_when_items_expire(client, app):
    submitter = app.test_client()
    for _ in range(4):
        report(submitter)
    login(client, app)
    soon, later, overdue, held = (item_id(app, n) for n in range(4))
    _age(app, soon, "closed", 3650 - 3)
    _age(app, later, "closed", 3650 - 20)
    _age(app, overdue, "rejected", 4000)
    _age(app, held, "closed", 4000, evidence_hold=True, evidence_hold_reason="증거")
    html = client.get("/staff/dashboard").get_data(as_text=True)
    section = html[html.index('id="expiring"'):]
    assert soon in section and overdue in section and later not in section and held not in section
    assert "보존 기간이 3일 남았습니다." in section and "보존 기간이 끝났습니다" in section
    page = client.get(f"/staff/submissions/{later}").get_data(as_text=True)
    with app.app_context():  # computed from what the page saw (opening an item may count as a change)
        updated = db.session.scalar(sa.select(Submission.updated_at).where(Submission.public_id == later))
    days = math.ceil((updated + timedelta(days=app.config["RETENTION_DAYS"]) - utcnow()) / timedelta(days=1))
    assert f"보존 기간이 {days}일 남았습니다." in page
    assert "증거 보존 조치 중입니다" in client.get(f"/staff/submissions/{held}").get_data(as_text=True)
    _age(app, soon, "in_review", 1)
    assert "삭제 대상이 아닙니다" in client.get(f"/staff/submissions/{soon}").get_data(as_text=True)


def test_expiry_list_keeps_the_soonest_when_it_is_cut(app):
    submitter = app.test_client()
    for _ in range(4):
        report(submitter)
    ids = [item_id(app, n) for n in range(4)]
    _age(app, ids[0], "closed", 3650 - 5)  # inserted first, expires last
    _age(app, ids[1], "rejected", 4000)  # already due
    _age(app, ids[2], "closed", 3650 - 1)
    _age(app, ids[3], "duplicate", 3650 - 3)
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
