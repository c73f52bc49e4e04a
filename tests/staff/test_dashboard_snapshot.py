"""The unfiltered dashboard shows the numbers of the last count of every item, with the time it
was made, and starts a new count when they are old; filtered views are counted per page; one
count at a time across processes (app/services/triage/snapshot.py)."""
from __future__ import annotations

import json
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models.base import utcnow
from app.models.settings import Setting
from app.services.triage import snapshot, stats
from tests.factories import SubmissionFactory
from tests.staff.test_dashboard import values


@pytest.fixture
def counted_in_here(monkeypatch):
    """Background counts are recorded, not started (a thread would race the test's
    assertions); `finish(app)` then runs them, after the page has answered, as the thread would."""
    started = []

    def record(app, sessions, timezone):
        started.append(timezone)
        return True
    monkeypatch.setattr(snapshot, "recount_in_background", record)
    return started


def finish(app, started: list) -> None:
    with app.app_context():
        for timezone in started:
            assert snapshot.claim(db.session)
            try:
                snapshot.recount(db.session, timezone)
            finally:
                snapshot.release(db.session)


def age_snapshot(app, seconds: int) -> None:
    with app.app_context():
        row = db.session.get(Setting, snapshot.SNAPSHOT_KEY)
        data = json.loads(row.value)
        data["counted_at"] = (utcnow() - timedelta(seconds=seconds)).isoformat()
        row.value = json.dumps(data)
        db.session.commit()


def test_every_items_numbers_come_from_the_last_count_until_it_is_old(client, app, auth, counted_in_here):
    for province in ("KP-09", "KP-09", "KP-01"):
        SubmissionFactory(province=province)
    auth.login()
    first = client.get("/staff/dashboard").get_data(as_text=True)
    assert values(first, "provinces") == {"KP-01": 1, "KP-09": 2}
    assert 'id="counted-at"' in first and "분마다 다시 셉니다" in first
    assert counted_in_here == []  # the installation's first count was made by the page itself

    SubmissionFactory(province="KP-01")
    kept = client.get("/staff/dashboard").get_data(as_text=True)
    assert values(kept, "provinces") == {"KP-01": 1, "KP-09": 2} and counted_in_here == []  # not old yet

    age_snapshot(app, app.config["DASHBOARD_RECOUNT_SECONDS"] + 1)
    old = client.get("/staff/dashboard").get_data(as_text=True)
    assert values(old, "provinces") == {"KP-01": 1, "KP-09": 2}  # the page did not wait
    assert counted_in_here == [app.config["TIMEZONE"]]
    finish(app, counted_in_here)
    assert values(client.get("/staff/dashboard").get_data(as_text=True), "provinces") == {"KP-01": 2, "KP-09": 2}


def test_a_filtered_dashboard_is_counted_on_the_page(client, app, auth, counted_in_here):
    SubmissionFactory(province="KP-09", status="new")
    auth.login()
    client.get("/staff/dashboard")
    SubmissionFactory(province="KP-09", status="new")
    html = client.get("/staff/dashboard?status=new").get_data(as_text=True)
    assert values(html, "provinces") == {"KP-09": 2} and 'id="counted-at"' not in html
    assert counted_in_here == []


def test_with_recounting_off_every_page_counts(client, app, auth, monkeypatch):
    monkeypatch.setitem(app.config, "DASHBOARD_RECOUNT_SECONDS", 0)
    SubmissionFactory(province="KP-09")
    auth.login()
    client.get("/staff/dashboard")
    SubmissionFactory(province="KP-09")
    html = client.get("/staff/dashboard").get_data(as_text=True)
    assert values(html, "provinces") == {"KP-09": 2} and 'id="counted-at"' not in html


def test_one_count_at_a_time_and_a_dead_one_lapses(app):
    with app.app_context():
        assert snapshot.claim(db.session)
        assert not snapshot.claim(db.session)  # another process's page, while the count runs
        snapshot.release(db.session)
        assert snapshot.claim(db.session)
        lapsed = utcnow() - timedelta(seconds=snapshot.CLAIM_SECONDS + 1)
        db.session.execute(sa.update(Setting).where(Setting.key == snapshot.CLAIM_KEY)
                           .values(value=json.dumps(lapsed.isoformat())))
        db.session.commit()
        assert snapshot.claim(db.session)  # its process died: the claim lapsed


def test_a_count_that_fails_keeps_the_numbers_there_were(app, monkeypatch):
    SubmissionFactory(province="KP-09")
    with app.app_context():
        kept = snapshot.recount(db.session, "Asia/Seoul")

        def broken(*args, **kwargs):
            raise RuntimeError("database gone")
        monkeypatch.setattr(stats, "count", broken)
        finished = []
        monkeypatch.setattr(snapshot, "release", lambda session: finished.append(True) or Setting)
        assert snapshot.recount_in_background(app, db.session, "Asia/Seoul")
        snapshot._counting.acquire()  # waits for the thread
        snapshot._counting.release()
        assert finished == [True]
        assert snapshot.read(db.session).counts.to_json() == kept.counts.to_json()


def test_counts_survive_being_kept(app):
    for province, status in (("KP-09", "new"), (None, "closed"), ("CN", "new")):
        SubmissionFactory(province=province, status=status, categories=["V02.1"])
    with app.app_context():
        counts = stats.count(db.session, None, "Asia/Seoul")
        assert stats.Counts.from_json(json.loads(json.dumps(counts.to_json()))) == counts
        assert counts.by_province == {"KP-09": 1, None: 1, "CN": 1} and counts.total == 3
