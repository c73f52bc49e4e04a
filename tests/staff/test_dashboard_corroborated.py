"""Corroborated events by year and province on the statistics page (issue 22 item 5): events
that two or more independent items are linked to, a duplicate counting with its original as
one source; counted into the kept numbers for the unfiltered page, live for a filtered one."""
from __future__ import annotations

import re
from html import unescape

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Record, RecordLink, Submission
from app.services.records import records
from app.services.records.records import RecordInput
from app.services.triage import snapshot, stats
from tests.factories import SubmissionFactory
from tests.i18n.test_no_english import english_words
from tests.staff.test_dashboard_snapshot import age_snapshot, counted_in_here, finish  # noqa: F401  fixture

CELL = re.compile(r'<td class="num" data-key="([^"]+)">(\d+)</td>')


def grid(html: str) -> dict[str, dict[str, int]]:
    """The corroboration table as {year key: {province key: count}}, the totals row as "total"."""
    match = re.search(r'<table class="data stat-table" id="table-corroborated">(.*?)</table>', html, re.S)
    assert match, "no corroboration table"
    rows = re.findall(r'<tr data-key="([^"]+)">(.*?)</tr>', match.group(1), re.S)
    return {key: {cell: int(n) for cell, n in CELL.findall(row)} for key, row in rows}


def headings(html: str) -> list[str]:
    match = re.search(r'id="table-corroborated">.*?<thead>(.*?)</thead>', html, re.S)
    return [unescape(h) for h in re.findall(r"<th [^>]*>([^<]*)</th>", match.group(1))]


def _event(user, name, place=None, year=None):
    return records.create(db.session, user, RecordInput(
        kind="event", name=name, place_public_id=place.public_id if place else None,
        when_precision="year" if year else None, when_year=year))


def _link(record, *items, role="event"):
    for item in items:
        db.session.add(RecordLink(record_id=record.id, submission_id=item if isinstance(item, int) else item.id,
                                  role=role))


@pytest.fixture
def linked(app):
    """Items and events:
    - A (2019, North Hamgyong): items 1 and 2, and item 3 (a duplicate of 1): 2 sources. Counted.
    - B (2019, North Hamgyong): item 1 and item 3 (its duplicate): 1 source. Not counted.
    - C (2019, North Hamgyong): item 4 (duplicate of 5, itself a duplicate of 6) and item 6: 1 source.
    - D (2020, Ryanggang): items 2 and 5, item 2 linked twice (two roles): 2 sources. Counted.
    - E (no year, no place): items 1 and 2. Counted in "year unknown" × "place unknown".
    - F (2021, a place without a province): items 1, 2. Counted under "place unknown".
    - G (2021, Pyongyang): item 1 only. Not counted.
    - a place record linked to items 1 and 2: not an event, not counted."""
    with app.app_context():
        items = [SubmissionFactory(province="KP-09") for _ in range(6)]
        ids = [item.id for item in items]
        for duplicate, original in ((ids[2], ids[0]), (ids[4], ids[5]), (ids[3], ids[4])):
            db.session.execute(sa.update(Submission).where(Submission.id == duplicate)
                               .values(status="duplicate", duplicate_of_id=original))
        camp = records.create(db.session, None, RecordInput(kind="place", name="전거리교화소", province="KP-09",
                                                            facility_type="kyohwaso"))
        hyesan = records.create(db.session, None, RecordInput(kind="place", name="혜산 집결소", province="KP-10"))
        nowhere = records.create(db.session, None, RecordInput(kind="place", name="어느 구류장"))
        pyongyang = records.create(db.session, None, RecordInput(kind="place", name="평양", province="KP-01"))
        db.session.flush()
        one, two, three, four, five, six = ids
        _link(_event(None, "A", camp, 2019), one, two, three)
        _link(_event(None, "B", camp, 2019), one, three)
        _link(_event(None, "C", camp, 2019), four, six)
        event_d = _event(None, "D", hyesan, 2020)
        _link(event_d, two, five)
        _link(event_d, two, role="witness")
        _link(_event(None, "E"), one, two)
        _link(_event(None, "F", nowhere, 2021), one, two)
        _link(_event(None, "G", pyongyang, 2021), one)
        _link(camp, one, two, role="place")
        db.session.commit()
        return ids


def test_counts_fold_duplicates_and_keep_unknown_years_and_places(app, linked):
    with app.app_context():
        assert stats.corroborated_events(db.session, None) == {
            (2019, "KP-09"): 1, (2020, "KP-10"): 1, (None, None): 1, (2021, None): 1}


def test_without_chains_sql_counts_alone_and_agrees_with_folding(app, linked):
    """With no original itself marked a duplicate, SQL counts everything (an item standing for
    its original); the Python folding, used for chains, finds the same."""
    four, six = linked[3], linked[5]
    with app.app_context():
        db.session.execute(sa.update(Submission).where(Submission.id == four).values(duplicate_of_id=six))
        db.session.execute(sa.update(Submission).where(Submission.id == linked[4]).values(duplicate_of_id=None))
        db.session.commit()
        assert not stats._chained_marks(db.session)
        assert sorted(stats._sql_corroborated(db.session, None), key=str) == sorted(
            stats._folded(db.session, None), key=str)
        # D (items 2 and 5) still counts: 5 is no longer anyone's duplicate
        assert stats.corroborated_events(db.session, None) == {
            (2019, "KP-09"): 1, (2020, "KP-10"): 1, (None, None): 1, (2021, None): 1}
        only = sa.select(Submission.id).where(Submission.id.in_(linked[:2]))
        assert stats.corroborated_events(db.session, only) == {(2019, "KP-09"): 1, (None, None): 1, (2021, None): 1}


def test_a_loop_of_duplicate_marks_is_one_source(app, linked):
    one, two, *_ = linked
    with app.app_context():
        db.session.execute(sa.update(Submission).where(Submission.id == one).values(duplicate_of_id=two))
        db.session.commit()
        # 3 -> 1 -> 2: every event of items 1, 2 and 3 now rests on one source, except D (2 and 5)
        assert stats.corroborated_events(db.session, None) == {(2020, "KP-10"): 1}
        db.session.execute(sa.update(Submission).where(Submission.id == two).values(duplicate_of_id=one))
        db.session.commit()  # 1 -> 2 -> 1: a loop, still one source
        assert stats.corroborated_events(db.session, None) == {(2020, "KP-10"): 1}


def test_a_filtered_dashboard_counts_the_sources_among_its_items(app, linked):
    one, two, *_ = linked
    with app.app_context():
        only = sa.select(Submission.id).where(Submission.id.in_([one, two]))
        assert stats.corroborated_events(db.session, only) == {(2019, "KP-09"): 1, (None, None): 1, (2021, None): 1}


def test_the_page_shows_the_table_and_chart_in_both_languages(app, client, auth, linked, counted_in_here):  # noqa: F811
    auth.login()
    html = client.get("/staff/dashboard").get_data(as_text=True)
    assert "출처가 둘 이상인 사건(연도·지역별)" in html
    assert headings(html) == ["연도", "함경북도", "양강도 (량강도)", "장소 모름", "합계"]
    assert grid(html) == {
        "2019": {"KP-09": 1, "KP-10": 0, "none": 0, "total": 1},
        "2020": {"KP-09": 0, "KP-10": 1, "none": 0, "total": 1},
        "2021": {"KP-09": 0, "KP-10": 0, "none": 1, "total": 1},
        "none": {"KP-09": 0, "KP-10": 0, "none": 1, "total": 1},
        "total": {"KP-09": 1, "KP-10": 1, "none": 2, "total": 4}}
    assert '<th scope="row">연도 모름</th>' in html
    section = html[html.index('id="chart-corroborated"'):html.index('id="expiring"')]
    assert section.count('<svg class="chart chart-bars"') == 1 and 'aria-hidden="true"' in section
    assert "<title>2019: 1</title>" in section and "<title>연도 모름: 1</title>" in section
    assert english_words(html) <= {"CSV", "JSON"}
    english = app.test_client()
    auth.login(email="en@example.org", locale="en", client=english)
    page = english.get("/staff/dashboard").get_data(as_text=True)
    assert "Corroborated events by year and province" in page
    assert headings(page) == ["Year", "North Hamgyong", "Ryanggang", "Place unknown", "Total"]
    assert '<th scope="row">Year unknown</th>' in page and grid(page) == grid(html)


def test_the_kept_numbers_carry_it_and_a_filter_counts_it_live(app, client, auth, linked, counted_in_here):  # noqa: F811
    _, two, *_ = linked
    auth.login()
    client.get("/staff/dashboard")  # the installation's first count, kept
    with app.app_context():
        kept = snapshot.read(db.session)
        assert kept.complete and kept.counts.corroborated[(2019, "KP-09")] == 1
        # A new link makes B corroborated: not on the kept page until the next count ...
        _link(db.session.scalar(sa.select(Record).where(Record.kind == "event").order_by(Record.id).offset(1)), two)
        db.session.commit()
    assert grid(client.get("/staff/dashboard").get_data(as_text=True))["2019"]["KP-09"] == 1
    # ... but a filtered page counts it now
    filtered = client.get("/staff/dashboard?province=KP-09").get_data(as_text=True)
    assert grid(filtered)["2019"]["KP-09"] == 2 and 'id="counted-at"' not in filtered
    age_snapshot(app, app.config["DASHBOARD_RECOUNT_SECONDS"] + 1)
    client.get("/staff/dashboard")
    finish(app, counted_in_here)
    assert grid(client.get("/staff/dashboard").get_data(as_text=True))["2019"]["KP-09"] == 2


def test_numbers_kept_by_an_older_version_are_counted_again(app, client, auth, linked, counted_in_here):  # noqa: F811
    import json

    from app.models.settings import Setting
    auth.login()
    client.get("/staff/dashboard")
    with app.app_context():
        row = db.session.get(Setting, snapshot.SNAPSHOT_KEY)
        data = json.loads(row.value)
        del data["counts"]["corroborated"]
        row.value = json.dumps(data)
        db.session.commit()
    html = client.get("/staff/dashboard").get_data(as_text=True)
    assert "아직 출처가 둘 이상인 사건이 없음." in html  # shown as kept, never a 500 ...
    assert counted_in_here  # ... and counted again at once, though not old
    finish(app, counted_in_here)
    assert grid(client.get("/staff/dashboard").get_data(as_text=True))["2019"]["KP-09"] == 1


def test_without_corroborated_events_the_page_says_so(client, auth):
    SubmissionFactory()
    auth.login()
    html = client.get("/staff/dashboard").get_data(as_text=True)
    assert "아직 출처가 둘 이상인 사건이 없음." in html and 'id="table-corroborated"' not in html
