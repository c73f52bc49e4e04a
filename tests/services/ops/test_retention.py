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
from tests.factories import SubmissionFactory
from tests.helpers import act, audit_actions, post_form

PDF = b"%PDF-1.4\n% kept for a while\n"


def ago(days):
    return utcnow() - timedelta(days=days)


def _ids(app):
    with app.app_context():
        return set(db.session.scalars(sa.select(Submission.public_id)))


def _save_settings(client, days="30", rejected="10", **others):
    data = {"days": days, "closed": "", "rejected": rejected, "duplicate": "", **others}
    return post_form(client, "/admin/settings", data)


def test_settings_page_validates_keeps_input_and_audits(client, app, auth):
    auth.login(role="admin")
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
    auth.login(client=officer)
    assert officer.get("/admin/settings").status_code == 403


def test_evidence_hold_set_and_release_from_the_item_page(client, app, auth):
    public_id = SubmissionFactory().public_id
    auth.login()
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


def test_purge_deletes_exactly_what_expired(client, app, auth, runner, tmp_path):
    auth.login(role="admin")
    assert _save_settings(client).status_code == 302  # 30 days, rejected 10

    def item(n, **workflow):
        return SubmissionFactory(categories=["V02.1"], narrative=f"비밀 내용 {n}", files=[(f"증언{n}.pdf", PDF)],
                                 **workflow)

    expired_closed = item(0, closed=True, updated_at=ago(31), with_thread=True, with_notes=True)
    held = item(1, rejected=True, updated_at=ago(400), hold_reason="재판")
    recent = item(2, closed=True, updated_at=ago(29))
    open_old = item(3, in_review=True, updated_at=ago(900))
    expired_dup = item(4, duplicate=True, duplicate_of=recent, updated_at=ago(45))
    expired_rejected = item(5, rejected=True, updated_at=ago(11), with_thread=True, with_notes=True)
    dup_of_expired = item(6, duplicate=True, duplicate_of=expired_closed, updated_at=ago(1))
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
    public_id = SubmissionFactory(closed=True, updated_at=ago(5000)).public_id
    with app.app_context(), retention.maintenance_lock(db.session, app.config["UPLOAD_DIR"]):
        result = runner.invoke(args=["retention", "purge"])
    assert result.exit_code == 0 and "skipped" in result.output
    assert _ids(app) == {public_id}
    assert runner.invoke(args=["retention", "purge"]).exit_code == 0
    assert _ids(app) == set()


def test_officers_see_when_items_expire(client, app, auth):
    soon = SubmissionFactory(closed=True, updated_at=ago(3650 - 3)).public_id
    later = SubmissionFactory(closed=True, updated_at=ago(3650 - 20)).public_id
    overdue = SubmissionFactory(rejected=True, updated_at=ago(4000)).public_id
    held = SubmissionFactory(closed=True, updated_at=ago(4000), hold_reason="증거").public_id
    auth.login()
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
    with app.app_context():  # reopened yesterday
        db.session.execute(sa.update(Submission).where(Submission.public_id == soon)
                           .values(status="in_review", updated_at=ago(1)))
        db.session.commit()
    assert "삭제 대상이 아닙니다" in client.get(f"/staff/submissions/{soon}").get_data(as_text=True)


def test_expiry_list_keeps_the_soonest_when_it_is_cut(app):
    ids = [SubmissionFactory(closed=True, updated_at=ago(3650 - 5)).public_id,  # made first, expires last
           SubmissionFactory(rejected=True, updated_at=ago(4000)).public_id,  # already due
           SubmissionFactory(closed=True, updated_at=ago(3650 - 1)).public_id,
           SubmissionFactory(duplicate=True, updated_at=ago(3650 - 3)).public_id]
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
