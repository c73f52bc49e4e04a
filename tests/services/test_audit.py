"""The audit log: a keyed hash chain that names the first altered or removed row, checkpoints
kept off the server that catch truncation and rewriting behind them; days searched as whole
office days."""
from __future__ import annotations

import hashlib
import re

import sqlalchemy as sa

from app.extensions import db
from app.models import GENESIS_HASH, AuditEvent
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


# --- a keyed chain and checkpoints kept off the server ---------------------------------------

def _events(n: int, prefix: str = "test") -> None:
    for number in range(n):
        audit.record(db.session, "system", f"{prefix}.{number}", "submission", str(number), {"n": number})
    db.session.commit()


def _rewrite_from(event_id: int, recompute, details: str | None = '{"n": 99}') -> None:
    """Someone with write access to the database changes an event (or only re-links from it) and
    recomputes every hash from there on with `recompute`, links included."""
    prev = db.session.scalar(sa.select(AuditEvent.hash).where(AuditEvent.id < event_id)
                             .order_by(AuditEvent.id.desc()).limit(1)) or GENESIS_HASH
    for event in db.session.scalars(sa.select(AuditEvent).where(AuditEvent.id >= event_id).order_by(AuditEvent.id)):
        if event.id == event_id and details is not None:
            event.details = details
        event.prev_hash = prev
        event.hash = prev = recompute(event)
        db.session.flush()
    db.session.commit()


def _unkeyed(event: AuditEvent) -> str:
    """The chain's hash as anyone can compute it from the database alone (the app's function
    before the chain was keyed)."""
    return hashlib.sha256(audit._canonical(event)).hexdigest()


def _ids() -> list[int]:
    return list(db.session.scalars(sa.select(AuditEvent.id).order_by(AuditEvent.id)))


def test_an_event_rewritten_and_the_chain_recomputed_from_the_database_alone_is_detected(app_ctx, runner):
    _events(5)
    third = _ids()[3]
    _rewrite_from(third, _unkeyed)
    report = audit.verify(db.session)
    assert not report.ok and report.first_bad_id == third
    assert runner.invoke(args=["audit", "verify"]).exit_code == 1


def test_keyed_events_turned_into_unkeyed_ones_are_detected(app_ctx):
    _events(3)
    _rewrite_from(_ids()[0], _unkeyed, details=None)  # the whole chain, as if it were all from before the key
    report = audit.verify(db.session)
    assert not report.ok and "keyed" in report.problem


def _checkpoint(runner) -> str:
    result = runner.invoke(args=["audit", "checkpoint"])
    assert result.exit_code == 0, result.output
    line = result.stdout.strip().splitlines()[0]
    assert line.startswith("moksori-audit-1:")
    return line


def test_a_checkpoint_detects_the_newest_events_deleted(app_ctx, runner):
    _events(4)
    line = _checkpoint(runner)
    _events(2, "later")
    keep = _ids()[2]
    db.session.execute(sa.delete(AuditEvent).where(AuditEvent.id > keep))
    db.session.commit()
    assert runner.invoke(args=["audit", "verify"]).exit_code == 0  # a shorter chain is still a chain…
    result = runner.invoke(args=["audit", "verify", "--checkpoint", line])
    assert result.exit_code == 1 and "shortened" in result.output  # …but not the one the checkpoint saw


def test_a_checkpoint_detects_rewriting_behind_it_even_by_whoever_holds_the_key(app_ctx, runner):
    _events(4)
    line = _checkpoint(runner)
    _events(2, "later")
    second = _ids()[1]
    _rewrite_from(second, audit.compute_hash)  # a seized server: the app's own keyed function
    assert runner.invoke(args=["audit", "verify"]).exit_code == 0
    result = runner.invoke(args=["audit", "verify", "--checkpoint", line])
    assert result.exit_code == 1 and "rewritten" in result.output
    # Events after the checkpoint can change unnoticed by it: the next checkpoint covers them.
    untouched = _checkpoint(runner)
    assert runner.invoke(args=["audit", "verify", "--checkpoint", untouched]).exit_code == 0


def test_a_forged_or_mistyped_checkpoint_is_refused(app_ctx, runner):
    _events(2)
    seq, digest, mac = _checkpoint(runner).split(":")[1:]
    for forged in (f"moksori-audit-1:{seq}:{'0' * 64}:{mac}", f"moksori-audit-1:{int(seq) + 1}:{digest}:{mac}",
                   f"moksori-audit-1:{seq}:{digest}", "nonsense"):
        result = runner.invoke(args=["audit", "verify", "--checkpoint", forged])
        assert result.exit_code == 2 and "not a checkpoint of this installation" in result.output, forged


def test_the_admin_audit_page_shows_the_last_checkpoint(client, auth, runner, app):
    auth.login(role="admin")
    assert "아직 만든 기준점이 없습니다" in client.get("/admin/audit").get_data(as_text=True)
    with app.app_context():
        line = _checkpoint(runner)
    page = client.get("/admin/audit").get_data(as_text=True)
    assert line in page and "마지막 기준점" in page


def test_the_audit_page_says_in_words_what_happened_and_keeps_the_codes_behind_a_fold(client, auth, app):
    """A Korean admin reads "로그인" and the colleague's name, not `auth.login` and `user:1`; the
    event as recorded stays one click away."""
    admin = auth.login(role="admin", languages=("ko", "en"))
    page = client.get("/admin/audit").get_data(as_text=True)
    table = page[page.index("<tbody>"):page.index("</tbody>")]
    outside_the_fold = re.sub(r'<details class="raw">.*?</details>', "", table, flags=re.S)
    assert "로그인" in outside_the_fold and "admin@example.org" in outside_the_fold
    assert "2단계 인증 설정" in outside_the_fold and "직원 계정" in outside_the_fold
    for code in ("auth.login", "auth.totp_enrolled", f"user:{admin.id}", "{"):
        assert code not in outside_the_fold, code
        assert code in table, code  # behind the fold, as recorded
    assert ">로그인</option>" in page  # the action filter offers words too
    only_logins = client.get("/admin/audit", query_string={"action": "auth.login"}).get_data(as_text=True)
    assert "2단계 인증 설정" not in only_logins.split("<tbody>")[1]


def test_staff_pages_name_languages_in_korean(client, auth):
    auth.login(role="admin", languages=("ko", "en"))
    users = client.get("/admin/users").get_data(as_text=True)
    assert "한국어, 영어" in users and "KO, EN" not in users
    form = client.get("/admin/users/new").get_data(as_text=True)
    assert "영어" in form and ">English<" not in form.split("<main")[1]
