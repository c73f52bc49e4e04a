"""The staff queue through its GET query string and its bulk-action form (CSRF on): filters,
sort orders, keyset pages without duplicates or gaps, counts per status, bad input, bulk
assign/status/priority with per-item refusals. Runs on SQLite and on PostgreSQL."""
from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import AuditEvent, Submission
from app.services.triage import queue as queue_service
from tests.factories import SubmissionFactory, UserFactory
from tests.helpers import pdf_bytes, post_form

ROW = re.compile(r'name="bulk-items" value="([A-Z0-9]+):(\d+)"')
COUNT = re.compile(r'>([^<>]+?) <span class="count">([\d,]+)</span>')
NEXT, PREV = re.compile(r'<a href="([^"]+)" rel="next">'), re.compile(r'<a href="([^"]+)" rel="prev">')
KST = timezone(timedelta(hours=9))
PDF = pdf_bytes("record")


def kst(month, day, hour=12, minute=0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=KST)


def ids(html: str) -> list[str]:
    return [public_id for public_id, _ in ROW.findall(html)]


def page(client, query: str = "", status: int = 200) -> str:
    response = client.get(f"/staff/{query}")
    assert response.status_code == status
    return response.get_data(as_text=True)


@pytest.fixture
def officer(auth):
    return auth.login().id


@pytest.fixture
def items(officer):
    """Five items that differ in every filtered facet; returns {name: public id}, plus ids of users.
    Only "a" has news from its submitter that no officer has seen."""
    other = UserFactory(email="other@example.org").id
    made = {
        "a": SubmissionFactory(created_at=kst(1, 10), files=[("기록 0.pdf", PDF)], categories=["V02.1"],
                               priority="urgent", assignee=officer, province="KP-09",
                               last_submitter_activity_at=kst(1, 11)),
        "b": SubmissionFactory(created_at=kst(2, 1), contact_request=True, in_review=True, locale="en",
                               assignee=None, staff_viewed_at=kst(2, 2)),
        "c": SubmissionFactory(created_at=kst(3, 5), categories=["V01.1"], in_review=True, priority="high",
                               assignee=other, province="KP-10", staff_viewed_at=kst(3, 6)),
        "d": SubmissionFactory(created_at=kst(3, 31, 23, 30), files=[("기록 0.pdf", PDF), ("기록 1.pdf", PDF)],
                               categories=["V02.2"], closed=True, locale="en", priority="low", province="KP-09",
                               staff_viewed_at=kst(4, 1)),
        "e": SubmissionFactory(created_at=kst(4, 1, 0, 10), categories=["V08.2"], priority="normal",
                               assignee=officer, province="KP-01", staff_viewed_at=kst(4, 2)),
    }
    return {**{name: item.public_id for name, item in made.items()}, "other": other}


@pytest.mark.parametrize("query, expected", [
    ("", "abcde"),
    ("?status=new", "ae"),
    ("?kind=contact", "b"),
    ("?category=V02", "ad"),  # a top-level code matches its sub-codes
    ("?category=V02.1", "a"),
    ("?priority=urgent", "a"),
    ("?priority=none", "b"),
    ("?assignee=mine", "ae"),
    ("?assignee=unassigned", "bd"),
    ("?language=en", "bd"),
    ("?province=KP-09", "ad"),
    ("?received_from=2026-03-01&received_to=2026-03-31", "cd"),  # whole days in Korea time
    ("?files=with", "ad"),
    ("?files=without", "bce"),
    ("?unread=y", "a"),
    ("?status=new&assignee=mine&province=KP-01", "e"),
])
def test_each_filter_narrows_the_queue(client, items, query, expected):
    assert set(ids(page(client, query))) == {items[name] for name in expected}


def test_filter_by_a_colleague(client, items):
    assert ids(page(client, f"?assignee={items['other']}")) == [items["c"]]


@pytest.mark.parametrize("sort, expected", [
    ("newest", "edcba"), ("oldest", "abcde"), ("priority", "acedb"), ("updated", "bedca"),
])
def test_sort_orders(app, client, items, sort, expected):
    with app.app_context():  # updated order differs from received order
        for n, name in enumerate("acdeb"):
            db.session.execute(sa.update(Submission).where(Submission.public_id == items[name])
                               .values(updated_at=datetime(2026, 5, 1, tzinfo=UTC) + timedelta(hours=n)))
        db.session.commit()
    assert ids(page(client, f"?sort={sort}")) == [items[name] for name in expected]


def test_counts_per_status_follow_every_filter_but_status(client, items):
    counts = dict(COUNT.findall(page(client, "?status=new&language=ko")))
    assert counts["전체"] == "3" and counts["신규"] == "2" and counts["검토 중"] == "1" and counts["종결"] == "0"


def test_filtered_counts_stop_at_the_limit_and_can_be_counted_in_full(client, items, monkeypatch):
    monkeypatch.setattr(queue_service, "COUNT_LIMIT", 2)
    html = page(client, "?language=ko&status=new")  # three items match: more than the limit
    assert '<span class="count">2+</span>' in html and not COUNT.findall(html)
    assert "2건이 넘어" in html and "모두 세기" in html
    assert set(ids(html)) == {items["a"], items["e"]}  # the list itself is not limited
    full = re.search(r'<a href="([^"]+)">모두 세기', html).group(1).replace("&amp;", "&")
    assert "counts=all" in full and "language=ko" in full and "status=new" in full
    counts = dict(COUNT.findall(page(client, full.removeprefix("/staff/"))))
    assert counts["전체"] == "3" and counts["신규"] == "2" and counts["검토 중"] == "1"
    # Under the limit the split is exact without asking, and so is the whole queue under its own.
    assert dict(COUNT.findall(page(client, "?language=en")))["전체"] == "2"
    assert dict(COUNT.findall(page(client)))["전체"] == "5"


def test_the_whole_queue_counts_each_status_up_to_its_limit(client, items, monkeypatch):
    """So that the default page reads a bounded part of the index however large the queue."""
    monkeypatch.setattr(queue_service, "STATUS_COUNT_LIMIT", 1)
    html = page(client)
    assert '신규 <span class="count">1+</span>' in html  # two new items: counted up to the limit
    assert re.search(r'전체 <span class="count">\d+\+</span>', html)
    assert "1건까지만 셌습니다" in html and "모두 세기" in html
    assert len(ids(html)) == 5  # the list itself is not limited
    full = re.search(r'<a href="([^"]+)">모두 세기', html).group(1).replace("&amp;", "&")
    counts = dict(COUNT.findall(page(client, full.removeprefix("/staff/"))))
    assert counts["전체"] == "5" and counts["신규"] == "2"
    capped = dict(re.findall(r'>([^<>]+?) <span class="count">([\d,]+)\+</span>', html))
    assert set(capped) == {"전체"} | {label for label, n in counts.items() if label != "전체" and int(n) > 1}
    assert all(n == "1" for label, n in capped.items() if label != "전체")


def test_count_limit_in_english(app, auth, items, monkeypatch):
    monkeypatch.setattr(queue_service, "COUNT_LIMIT", 1)
    english = app.test_client()
    auth.login(email="en@example.org", locale="en", languages=("en",), client=english)
    html = page(english, "?files=with")
    assert "More than 1 item matches" in html and "Count them all" in html and "모두" not in html


def test_labels_are_translated(app, auth, client, items):
    html = page(client)
    for label in ("처리 상태", "우선순위", "담당자", "미배정", "나에게 배정된 건", "최신순", "오래된 순", "우선순위순",
                  "새로 온 내용", "신규", "연락 요청"):
        assert label in html
    english = app.test_client()
    auth.login(email="en@example.org", locale="en", languages=("en",), client=english)
    html = page(english)
    for label in ("Status", "Priority", "Assigned to me", "Newest first", "Contact request", "New activity"):
        assert label in html


@pytest.mark.parametrize("sort", ["newest", "oldest", "updated", "priority"])
def test_keyset_pages_have_no_duplicates_or_gaps(client, officer, monkeypatch, sort):
    monkeypatch.setattr(queue_service, "PAGE_SIZE", 4)
    same = datetime(2026, 6, 1, tzinfo=UTC)  # ties on the sort key: the id breaks them
    made = [SubmissionFactory(created_at=same if n % 3 == 0 else same + timedelta(minutes=n),
                              priority=(None, "urgent", "high", "normal", "low")[n % 5]) for n in range(23)]
    rank = {p: i for i, p in enumerate(queue_service.PRIORITY_BUCKETS)}
    keys = {
        "newest": lambda i: (i.created_at, i.id), "updated": lambda i: (i.updated_at, i.id),
        "oldest": lambda i: (-i.created_at.timestamp(), -i.id),
        "priority": lambda i: (-rank[i.priority], i.created_at, i.id),
    }
    expected = [i.public_id for i in sorted(made, key=keys[sort], reverse=True)]
    pages, html = [], page(client, f"?sort={sort}")
    while True:
        pages.append(ids(html))
        found = NEXT.search(html)
        if not found:
            break
        html = page(client, found.group(1).replace("&amp;", "&").removeprefix("/staff/"))
    assert [public_id for chunk in pages for public_id in chunk] == expected
    assert [len(chunk) for chunk in pages] == [4, 4, 4, 4, 4, 3]
    for chunk in reversed(pages[:-1]):  # and back again with the previous-page links
        html = page(client, PREV.search(html).group(1).replace("&amp;", "&").removeprefix("/staff/"))
        assert ids(html) == chunk


def test_bad_filter_values_are_reported_and_ignored(client, items):
    bad = ("?status=bogus&kind=x&category=ZZZ&priority=p&assignee=999999&language=fr&province=KP-99"
           "&received_from=2026-02-30&received_to=9999-12-31&files=maybe&sort=random"
           "&after=1.2.3.4&before=0.-99999999999999999999.1")
    html = page(client, bad)
    assert "알 수 없는 조건이 있어" in html and "보기 중에서 하나를 선택해 주세요" in html
    assert "날짜를 2026-11-22와 같은 형식으로" in html
    assert set(ids(html)) == set(items[name] for name in "abcde")
    backwards = page(client, "?received_from=2026-03-02&received_to=2026-03-01")
    assert "끝나는 날짜가 시작하는 날짜보다 앞섭니다" in backwards
    assert "최대 200자" in page(client, "?q=" + "고문" * 101)
    for cursor in ("after=99.1.1", "after=0.99999999999999999999.1", "before=x"):
        assert set(ids(page(client, "?" + cursor))) == set(items[name] for name in "abcde")


def bulk(client, items, names, versions=None, **data):
    chosen = [f"{items[n]}:{(versions or {}).get(n, 1)}" for n in names]
    return post_form(client, "/staff/bulk", {"bulk-items": chosen, **data}, page_url="/staff/?sort=oldest")


def audited_items(app, action):
    with app.app_context():
        return db.session.scalars(sa.select(AuditEvent.target_id).where(AuditEvent.action == action)).all()


def test_bulk_assign_and_priority(app, client, items):
    response = bulk(client, items, "abd", **{"bulk-assignee": str(items["other"]), "bulk-assign": "y"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/staff/?sort=oldest")
    assert "3건을 변경했습니다" in page(client)
    assert set(ids(page(client, f"?assignee={items['other']}"))) == {items[n] for n in "abcd"}
    assert sorted(audited_items(app, "submission.assigned")) == sorted(items[n] for n in "abd")
    bulk(client, items, "be", versions={"b": 2}, **{"bulk-priority": "urgent", "bulk-set_priority": "y"})
    assert set(ids(page(client, "?priority=urgent"))) == {items[n] for n in "abe"}


def test_bulk_status_reports_each_refused_item(app, client, items):
    response = bulk(client, items, "abc", **{"bulk-status": "closed", "bulk-reason": "기록 완료",
                                             "bulk-change_status": "y"})
    assert response.status_code == 302
    html = page(client)
    assert "2건을 변경했습니다" in html
    assert (f"{items['a']} 건은 변경하지 않았습니다. ‘신규’ 상태에서는 이 상태로 바꿀 수 없습니다. "
            "바꿀 수 있는 상태: 검토 중, 중복, 반려.") in html
    assert set(ids(page(client, "?status=closed"))) == {items[n] for n in "bcd"}
    assert sorted(audited_items(app, "submission.status")) == sorted(items[n] for n in "bc")


def test_bulk_refuses_stale_missing_and_empty_selections(client, items):
    bulk(client, items, "a", versions={"a": 7}, **{"bulk-priority": "low", "bulk-set_priority": "y"})
    assert "다른 담당자가 내용을 바꿨습니다" in page(client)
    post_form(client, "/staff/bulk", {"bulk-items": ["ZZZZ2222ZZ:1"], "bulk-priority": "low",
                                      "bulk-set_priority": "y"}, page_url="/staff/")
    assert "ZZZZ2222ZZ 건은 변경하지 않았습니다. 이 건은 더 이상 없습니다." in page(client)
    post_form(client, "/staff/bulk", {"bulk-priority": "low", "bulk-set_priority": "y"}, page_url="/staff/")
    assert "선택한 건이 없습니다" in page(client)
    assert ids(page(client, "?priority=low")) == [items["d"]]


def test_bulk_needs_csrf_and_returns_only_to_the_queue(client, items):
    refused = client.post("/staff/bulk", data={"bulk-items": [f"{items['a']}:1"], "bulk-priority": "low",
                                               "bulk-set_priority": "y"})
    assert refused.status_code == 400
    response = bulk(client, items, "a", **{"bulk-priority": "low", "bulk-set_priority": "y",
                                           "bulk-next": "//evil.example/staff/"})
    assert response.headers["Location"].endswith("/staff/")
