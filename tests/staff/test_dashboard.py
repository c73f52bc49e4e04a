"""The statistics dashboard: its numbers equal counts made here, with the queue's filters; the
items whose retention period ends soon, there and on the item page."""
from __future__ import annotations

import math
import re
import statistics
from collections import Counter
from datetime import UTC, datetime, timedelta
from html import unescape
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Category, Message, Submission
from app.models.base import utcnow
from tests.factories import SubmissionFactory
from tests.helpers import days_ago
from tests.i18n.test_no_english import english_words

SEOUL = ZoneInfo("Asia/Seoul")
ROW = re.compile(r'<tr data-key="([^"]*)"><th scope="row">(.*?)</th><td class="num">(\d+)</td></tr>')

# (province, categories, received (UTC), status, first officer reply after)
ITEMS = [
    ("KP-09", ["V02.1", "V02.2"], datetime(2026, 1, 10, 3, tzinfo=UTC), "closed", timedelta(hours=2)),
    ("KP-09", ["V01"], datetime(2026, 2, 28, 16, tzinfo=UTC), "in_review", timedelta(days=5)),  # 1 March in Seoul
    ("KP-01", [], datetime(2026, 3, 5, tzinfo=UTC), "new", None),
    (None, ["V02"], datetime(2025, 11, 20, tzinfo=UTC), "new", timedelta(days=40)),
    ("CN", ["V99"], datetime(2026, 3, 6, tzinfo=UTC), "rejected", timedelta(hours=30)),
]


def table(html: str, key: str) -> dict[str, tuple[str, int]]:
    match = re.search(rf'<table class="data stat-table" id="table-{key}">(.*?)</table>', html, re.S)
    assert match, f"no table {key}"
    return {k: (unescape(label), int(n)) for k, label, n in ROW.findall(match.group(1))}


def values(html: str, key: str) -> dict[str, int]:
    return {k: n for k, (_, n) in table(html, key).items()}


@pytest.fixture
def seeded(app):
    """ITEMS, each answered twice by an officer (the first reply after the given delay, the
    second a day later) unless it has no delay."""
    for province, categories, received, status, reply in ITEMS:
        messages = ("확인 부탁드립니다.", "두 번째 메시지") if reply is not None else ()
        item = SubmissionFactory(province=province, categories=categories, created_at=received, status=status,
                                 staff_messages=messages)
        with app.app_context():
            for offset, message in enumerate(db.session.scalars(sa.select(Message).where(
                    Message.submission_id == item.id, Message.author == "staff").order_by(Message.id))):
                message.created_at = received + reply + timedelta(days=offset)
            db.session.commit()


def expected(app) -> dict:
    with app.app_context():
        items = db.session.scalars(sa.select(Submission)).all()
        months = Counter(i.created_at.astimezone(SEOUL).strftime("%Y-%m") for i in items)
        tops = Counter()
        for item in items:
            codes = {(c.parent.code if c.parent else c.code) for c in item.categories}
            tops.update(codes or {"none"})
        provinces = Counter(i.province or "none" for i in items)
        statuses = Counter(i.status for i in items)
        replies = {}
        for item in items:
            first = db.session.scalar(sa.select(sa.func.min(Message.created_at)).where(
                Message.submission_id == item.id, Message.author == "staff"))
            replies[item.public_id] = (first - item.created_at) if first else None
        top_codes = db.session.scalars(sa.select(Category.code).where(Category.parent_id.is_(None))).all()
    return {"months": months, "categories": tops, "provinces": provinces, "statuses": statuses,
            "replies": replies, "top_codes": top_codes, "total": len(items)}


def _reply_bucket(delay: timedelta | None) -> str:
    if delay is None:
        return "none"
    days = delay / timedelta(days=1)
    return next((name for limit, name in ((1, "lt1d"), (3, "1-3d"), (7, "3-7d"), (30, "7-30d")) if days < limit),
                "gt30d")


def test_dashboard_numbers_equal_counts(client, app, auth, seeded):
    auth.login()
    want = expected(app)
    page = client.get("/staff/dashboard")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and '<html lang="ko">' in html and "월별 접수 건수" in html
    months = values(html, "months")
    assert {k: v for k, v in months.items() if v} == dict(want["months"])
    assert list(months) == ["2025-11", "2025-12", "2026-01", "2026-02", "2026-03"]  # empty months shown
    assert months["2026-03"] == 3 and months["2026-02"] == 0  # cut in Korea time
    categories = values(html, "categories")
    assert {k: v for k, v in categories.items() if v} == dict(want["categories"])
    assert set(categories) == set(want["top_codes"]) | {"none"}
    assert values(html, "provinces") == dict(want["provinces"])
    statuses = values(html, "statuses")
    assert {k: v for k, v in statuses.items() if v} == dict(want["statuses"]) and len(statuses) == 8
    buckets = Counter(_reply_bucket(delay) for delay in want["replies"].values())
    assert {k: v for k, v in values(html, "response").items() if v} == dict(buckets)
    middle = statistics.median(delay for delay in want["replies"].values() if delay is not None)
    assert f"첫 답변까지 걸린 시간(중앙값): {round(middle.total_seconds() / 86400, 1)}일" in html
    assert f"처리 목록 조건에 맞는 건은 {want['total']}건입니다." in html


def test_dashboard_applies_the_queue_filters(client, auth, seeded):
    auth.login()
    html = client.get("/staff/dashboard?status=closed").get_data(as_text=True)
    assert {k: v for k, v in values(html, "statuses").items() if v} == {"closed": 1}
    assert values(html, "provinces") == {"KP-09": 1}
    assert "/staff/export/queue.csv?status=closed" in html and "/staff/?status=closed" in html
    html = client.get("/staff/dashboard?province=KP-09").get_data(as_text=True)
    assert sum(values(html, "months").values()) == 2
    assert values(html, "categories")["V02"] == 1 and values(html, "categories")["V01"] == 1
    # a value the queue does not offer is ignored there, and here: no 500
    assert client.get("/staff/dashboard?status=%3Cx%3E&received_from=nonsense").status_code == 200


def test_charts_are_escaped_svg_without_style_and_english(client, app, auth, seeded):
    SubmissionFactory(province="<i>x</i>")  # a code that is not one of ours, as a label
    auth.login()
    html = client.get("/staff/dashboard").get_data(as_text=True)
    assert html.count('<svg class="chart ') == 5  # months, three small multiples, the map
    assert " style=" not in html and "<style" not in html and "<script" not in html
    assert "&lt;i&gt;x&lt;/i&gt;" in html and "<i>x</i>" not in html
    assert 'aria-hidden="true"' in html and "<caption>" in html
    english = app.test_client()
    auth.login(email="en@example.org", locale="en", client=english)
    page = english.get("/staff/dashboard").get_data(as_text=True)
    assert '<html lang="en">' in page and "Items received per month" in page and "North Hamgyong" in page


SHAPE = re.compile(r'<(path|circle) class="map-province map-step-(\d)" data-province="([^"]+)" data-count="(\d+)" '
                   r'(?:d="M[^"]+Z"|cx="[\d.]+" cy="[\d.]+" r="\d+")><title>([^<]+)</title></\1>')
LABEL = re.compile(r'<text class="map-label" data-province="([^"]+)" [^>]*>([^<]+)<tspan [^>]*>(\d+)</tspan></text>')


def test_map_has_every_province_shaded_with_the_tables_numbers(client, app, auth, seeded):
    """One shape per province of North Korea (an outline, or a dot for Nampo and Kaesong), each
    titled with its name and count, shaded by count, and labelled with its short name and count;
    the table behind <details> has the same numbers, the places that are not provinces (China,
    not given) are listed under the map, and the map names its source."""
    SubmissionFactory(province="KP-09")  # North Hamgyong the largest: 3 items, Pyongyang 1
    SubmissionFactory(province="KP-14")
    SubmissionFactory(province="KP-15")
    auth.login()
    html = client.get("/staff/dashboard").get_data(as_text=True)
    section = html[html.index('id="chart-provinces"'):html.index('class="dash-multiples"')]
    svg = section[section.index("<svg"):section.index("</svg>")]
    assert 'role="img" aria-labelledby="map-title map-desc"' in svg and "aria-hidden" not in svg
    assert '<title id="map-title">지역별 건수</title>' in svg
    shapes = {code: (kind, int(step), int(count), title) for kind, step, code, count, title in SHAPE.findall(svg)}
    assert svg.count("<path") == 11 and svg.count("<circle") == 2 and len(shapes) == 13
    assert set(shapes) == {"KP-01", "KP-02", "KP-03", "KP-04", "KP-05", "KP-06", "KP-07", "KP-08", "KP-09",
                           "KP-10", "KP-13", "KP-14", "KP-15"}
    assert shapes["KP-14"][0] == shapes["KP-15"][0] == "circle"  # no outline of their own in Natural Earth
    numbers = values(section, "provinces")
    assert numbers == {"KP-09": 3, "KP-01": 1, "KP-14": 1, "KP-15": 1, "CN": 1, "none": 1}
    labels = {code: (name, int(count)) for code, name, count in LABEL.findall(svg)}
    assert set(labels) == set(shapes)
    for code, (_kind, _step, count, title) in shapes.items():
        assert count == numbers.get(code, 0) == labels[code][1], code
        assert title.endswith(f": {count}")
    assert shapes["KP-09"][3] == "함경북도: 3" and shapes["KP-09"][1] == 4
    assert shapes["KP-01"][1] == 2 and shapes["KP-14"][1] == 2 and shapes["KP-10"][1] == 0  # 1 of 3: shade 2
    assert labels["KP-09"] == ("함북", 3) and labels["KP-01"] == ("평양", 1) and labels["KP-15"] == ("개성", 1)
    assert "<details" in section and section.index("<details") < section.index('id="table-provinces"')
    elsewhere = section[section.index('class="map-elsewhere"'):].split("</p>")[0]
    assert "지도에 없는 건: 중국 1건, 장소를 적지 않음 1건" in re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", elsewhere))
    assert table(section, "provinces")["none"] == ("장소를 적지 않음", 1)  # not "적지 않음", read as "not a few"
    assert "지도 출처: Natural Earth (저작권 없는 공개 자료)" in section


def test_the_map_names_its_source_and_requests_nothing(client, app, auth, seeded):
    """The outlines are drawn into the page: no script, image, style sheet or font from
    another host, and the English page names the source in English."""
    english = app.test_client()
    auth.login(email="en@example.org", locale="en", client=english)
    html = english.get("/staff/dashboard").get_data(as_text=True)
    shown = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html))
    assert "Map: Natural Earth (public domain)" in shown and "Not on the map: China 1, no place given 1" in shown
    assert not re.search(r'(?:src|href|action|srcset|xlink:href)="(?:https?:)?//', html)
    assert "url(" not in html and "@import" not in html and ".json" not in html.replace("queue.json", "")
    auth.login()
    korean = client.get("/staff/dashboard").get_data(as_text=True)
    assert english_words(korean) <= {"CSV", "JSON"}  # "Natural Earth" is a proper noun there


def test_category_labels_are_written_in_full(client, auth, seeded):
    """A long category name takes two or three lines beside its bar instead of ending in "…"."""
    auth.login()
    html = client.get("/staff/dashboard").get_data(as_text=True)
    section = html[html.index('id="chart-categories"'):html.index('id="table-categories"')]
    written = ["".join(re.findall(r"<tspan [^>]*>([^<]*)</tspan>", label))
               for label in re.findall(r'<text class="chart-label">(.*?)</text>', section)]
    labels = [label for label, _ in table(html, "categories").values()]
    assert [w.replace(" ", "") for w in written] == [label.replace(" ", "") for label in labels]
    assert "V06 성폭력·젠더 기반 폭력 및 재생산권 침해" in labels and "…" not in section


def test_empty_dashboard(client, auth):
    auth.login()
    html = client.get("/staff/dashboard").get_data(as_text=True)
    assert "처리 목록 조건에 맞는 건은 0건입니다." in html


def test_officers_see_when_items_expire(client, app, auth):
    soon = SubmissionFactory(closed=True, updated_at=days_ago(3650 - 3)).public_id
    later = SubmissionFactory(closed=True, updated_at=days_ago(3650 - 20)).public_id
    overdue = SubmissionFactory(rejected=True, updated_at=days_ago(4000)).public_id
    held = SubmissionFactory(closed=True, updated_at=days_ago(4000), hold_reason="증거").public_id
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
                           .values(status="in_review", updated_at=days_ago(1)))
        db.session.commit()
    assert "삭제 대상이 아닙니다" in client.get(f"/staff/submissions/{soon}").get_data(as_text=True)
