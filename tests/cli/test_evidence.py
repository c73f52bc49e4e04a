"""`flask evidence timestamp` and what `flask doctor` and the admin's audit page say about
trusted timestamps, in Korean and in English."""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from app.extensions import db
from app.models import TimestampBatch
from app.models.base import utcnow
from app.sealed import tsa as tsa_client
from app.services.evidence import timestamps
from app.services.ops import watch
from app.services.ops.findings import WARNING, Installation
from tests.helpers import submit_report


def configure(app, monkeypatch, tsa, urls=None):
    monkeypatch.setitem(app.config, "TSA_URLS", tuple(urls if urls is not None else [tsa.url]))
    monkeypatch.setitem(app.config, "TSA_CA_FILE", tsa.ca_file)
    monkeypatch.setitem(app.config, "TSA_TIMEOUT_SECONDS", 5)


def test_the_command_stamps_a_batch_and_says_so(runner, app, client, tsa, monkeypatch):
    configure(app, monkeypatch, tsa)
    submit_report(client)
    result = runner.invoke(args=["evidence", "timestamp"])
    assert result.exit_code == 0, result.output
    assert "1 piece(s) stamped by " + tsa.url in result.output
    again = runner.invoke(args=["evidence", "timestamp", "--when-due"])
    assert again.exit_code == 0 and "nothing new to stamp" in again.output


def test_an_authority_that_is_down_exits_75_and_the_batch_waits(runner, app, client, tsa, monkeypatch):
    configure(app, monkeypatch, tsa)
    tsa.mode = "refuse"
    submit_report(client)
    result = runner.invoke(args=["evidence", "timestamp"])
    assert result.exit_code == 75 and "waits; next attempt at" in result.output
    with app.app_context():
        assert db.session.scalar(sa.select(TimestampBatch.status)) == "waiting"


def test_a_failed_batch_that_waits_too_long_is_a_warning_of_doctor_and_system_health(runner, app, client, tsa,
                                                                                     monkeypatch):
    configure(app, monkeypatch, tsa)
    tsa.mode = "refuse"
    submit_report(client)
    assert runner.invoke(args=["evidence", "timestamp"]).exit_code == 75
    with app.app_context():
        later = Installation(config=app.config, session=db.session, database_ok=True,
                             now=utcnow() + timedelta(hours=5))
        [finding] = watch.timestamps(later)
    assert finding.level == WARNING and "1 attempt(s), the last:" in finding.message, finding
    assert "the oldest since" in finding.message


def test_without_authorities_the_command_and_the_doctor_say_what_to_do(runner, app, client, tsa, monkeypatch):
    configure(app, monkeypatch, tsa, urls=[])
    submit_report(client)
    assert runner.invoke(args=["evidence", "timestamp"]).exit_code == 1
    assert runner.invoke(args=["evidence", "timestamp", "--when-due"]).exit_code == 0  # the timer is not an error
    doctor = runner.invoke(args=["doctor"]).output
    assert "WARNING  timestamps" in doctor and "TSA_URLS is not set" in doctor
    assert "1 piece(s) wait for a trusted timestamp, the oldest since" in doctor


def test_a_ca_file_that_cannot_be_read_is_a_problem(runner, app, tsa, monkeypatch, tmp_path):
    configure(app, monkeypatch, tsa)
    monkeypatch.setitem(app.config, "TSA_CA_FILE", str(tmp_path / "missing.pem"))
    assert "PROBLEM  timestamps" in runner.invoke(args=["doctor"]).output
    assert runner.invoke(args=["evidence", "timestamp"]).exit_code == 1


def test_the_admin_audit_page_shows_the_oldest_unstamped_piece_in_both_languages(app, client, auth, tsa, monkeypatch):
    configure(app, monkeypatch, tsa)
    tsa.mode = "refuse"
    submit_report(client)
    submit_report(client, narrative="두 번째 제보")
    with app.app_context():
        timestamps.run(db.session, [tsa.url], tsa_client.load_anchors(tsa.ca_file), timeout=5)
    auth.login(role="admin", locale="ko")
    page = client.get("/admin/audit").get_data(as_text=True)
    assert "시점 확인을 기다리는 증거 자료가 2건 있습니다" in page and "1번 시도했지만" in page
    auth.logout()
    auth.login(role="admin", email="admin-en@example.org", locale="en")
    page = client.get("/admin/audit").get_data(as_text=True)
    assert "2 pieces of evidence wait for a trusted timestamp. The oldest arrived" in page
    assert "after 1 attempt;" in page
    tsa.mode = "ok"
    with app.app_context():
        timestamps.run(db.session, [tsa.url], tsa_client.load_anchors(tsa.ca_file), timeout=5)
    page = client.get("/admin/audit").get_data(as_text=True)
    assert "Nothing waits for a trusted timestamp." in page and "Last timestamp:" in page
