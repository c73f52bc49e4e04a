"""The records pages (/staff/records) through the real forms, CSRF on: every kind created,
changed, refused (message next to the field, typed text kept, nothing stored) and changed from
a stale page; persons added to and removed from an event; the list's filters, search and
pages; the audited look at a person; an account without keys; nothing of it public."""
from __future__ import annotations

import re

import sqlalchemy as sa

from app.extensions import db
from app.models import AuditEvent, Involvement, Record, RecordLink, Submission
from app.sealed import records as sealed
from app.services.records import records
from app.services.records.records import RecordInput
from tests.factories import SubmissionFactory, UserFactory
from tests.helpers import audit_actions, hidden_fields, post_form, receipt_code, submit_report

NEW = "/staff/records/new?kind="


def create(client, kind: str, **fields) -> str:
    """Create a record through its form; returns its public id."""
    response = post_form(client, NEW + kind, fields)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return re.search(r"/staff/records/([A-Z0-9]+)$", response.headers["Location"]).group(1)


def stored(app, public_id: str) -> Record | None:
    with app.app_context():
        return db.session.scalar(sa.select(Record).where(Record.public_id == public_id))


def count(app, model=Record) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def opened(app, org_keys, public_id: str) -> Record:
    with app.app_context():
        record = db.session.scalar(sa.select(Record).where(Record.public_id == public_id))
        sealed.open_content(org_keys.keyring, record)
        db.session.expunge(record)
        return record


def test_a_person_is_created_shown_changed_and_each_look_is_audited(client, app, auth, org_keys):
    auth.login()
    pid = create(client, "person", name="박영호", aliases="Pak Yong-ho\n박령호\n\n박영호 지도원",
                 person_role="perpetrator", agency="state_security", description="회령 보위부 반탐과")
    assert pid.startswith("P")
    looks_before = audit_actions(app).count("record.person_viewed")
    page = client.get(f"/staff/records/{pid}").get_data(as_text=True)
    assert "박영호" in page and "Pak Yong-ho" in page and "박령호" in page and "회령 보위부 반탐과" in page
    assert "가해자" in page and audit_actions(app).count("record.person_viewed") == looks_before + 1
    with app.app_context():  # the log says which record was opened, never what it holds
        logged = " ".join(f"{e.target_id} {e.details}" for e in db.session.scalars(sa.select(AuditEvent)))
    assert pid in logged and "박영호" not in logged and "Pak" not in logged and "반탐과" not in logged

    form = client.get(f"/staff/records/{pid}/edit").get_data(as_text=True)
    assert 'value="박영호"' in form and "Pak Yong-ho\n박령호" in form
    changed = post_form(client, f"/staff/records/{pid}/edit",
                        {"name": "박영호", "aliases": "Pak Yong-ho", "person_role": "official", "agency": "police",
                         "description": "안전부로 옮김"})
    assert changed.status_code == 302
    record = opened(app, org_keys, pid)
    assert (record.aliases, record.person_role, record.agency, record.description) == (
        ["Pak Yong-ho"], "official", "police", "안전부로 옮김")


def test_a_stale_edit_keeps_what_was_typed_and_shows_the_record_as_it_is(client, app, auth, org_keys):
    auth.login()
    pid = create(client, "place", name="전거리교화소", province="KP-09", facility_type="kyohwaso")
    old_page = hidden_fields(client.get(f"/staff/records/{pid}/edit").get_data(as_text=True))
    assert post_form(client, f"/staff/records/{pid}/edit",
                     {"name": "전거리 교화소", "province": "KP-09", "facility_type": "kyohwaso"}).status_code == 302
    stale = client.post(f"/staff/records/{pid}/edit", data={**old_page, "name": "옛 화면에서 고친 이름",
                                                              "aliases": "제12호 교화소", "province": "KP-09"})
    html = stale.get_data(as_text=True)
    assert stale.status_code == 409
    assert "다른 사람이 이 기록을 바꾸었습니다" in html
    assert 'value="옛 화면에서 고친 이름"' in html and "제12호 교화소" in html  # typed text kept
    assert "전거리 교화소" in html  # and the record as it is now beside it
    assert opened(app, org_keys, pid).name == "전거리 교화소"
    # The page now carries the current version: saving again is a deliberate overwrite.
    again = client.post(f"/staff/records/{pid}/edit", data={**hidden_fields(html), "name": "옛 화면에서 고친 이름",
                                                             "province": "KP-09"})
    assert again.status_code == 302 and opened(app, org_keys, pid).name == "옛 화면에서 고친 이름"


def test_bad_input_is_shown_next_to_its_field_and_nothing_is_stored(client, app, auth):
    auth.login()
    cases = [
        ("person", {"name": "", "aliases": "가명 하나", "description": "지워지면 안 되는 설명"}, "name",
         "이름을 적어 주세요."),
        ("person", {"name": "김 소좌", "person_role": "general"}, "person_role", "보기 중에서 하나를 선택해 주세요."),
        ("person", {"name": "김 소좌", "aliases": "\n".join(f"별명{n}" for n in range(31))}, "aliases", "30개"),
        ("place", {"name": "집결소", "province": "KP-99"}, "province", "보기 중에서 하나를 선택해 주세요."),
        ("event", {"name": "구타", "place_number": "LNOTAPLACE2"}, "place_number", "이 번호의 장소 기록이 없습니다."),
        ("event", {"name": "구타", "when_precision": "month", "when_year": "20019"}, "when_year", "1900"),
        ("event", {"name": "구타", "when_precision": "day", "when_date": "2019-13-45"}, "when_date", "연-월-일"),
        ("event", {"name": "", "categories": ["V02.1"]}, "name", "제목을 적어 주세요."),
        ("event", {"name": "구타", "categories": ["V77"]}, "categories", "보기 중에서 하나를 선택해 주세요."),
    ]
    for kind, fields, field, message in cases:
        response = post_form(client, NEW + kind, fields)
        html = response.get_data(as_text=True)
        assert response.status_code == 422, (kind, fields)
        error = re.search(rf'id="{field}-error">(.*?)</div>', html, re.S)
        assert error and message in error.group(1), (kind, field, html[:3000])
        for name in ("name", "aliases", "description"):
            if fields.get(name):
                assert fields[name].split("\n")[0] in html, name  # what was typed is kept
    assert count(app) == 0


def test_an_event_with_its_place_time_categories_and_persons(client, app, auth, org_keys):
    auth.login()
    place = create(client, "place", name="온성 집결소", province="KP-09", facility_type="jipgyolso")
    person = create(client, "person", name="리명철", person_role="perpetrator", agency="border_guard")
    event = create(client, "event", name="2019년 겨울 집결소 구타", place=place, when_precision="month",
                   when_year="2019", when_month="12", categories=["V02.1", "V03"],
                   description="심문 중 구타")
    page = client.get(f"/staff/records/{event}").get_data(as_text=True)
    assert "2019년 12월경" in page and "온성 집결소" in page and "V02.1" in page

    added = post_form(client, f"/staff/records/{event}/involvements", {"person": person.lower(),
                                                                        "role": "perpetrator"},
                      page_url=f"/staff/records/{event}")
    assert added.status_code == 302 and count(app, Involvement) == 1
    assert "리명철" in client.get(f"/staff/records/{event}").get_data(as_text=True)
    assert "2019년 겨울 집결소 구타" in client.get(f"/staff/records/{person}").get_data(as_text=True)
    assert "2019년 겨울 집결소 구타" in client.get(f"/staff/records/{place}").get_data(as_text=True)

    # From a search on the event page: the found person is added with a role.
    found = client.get(f"/staff/records/{event}", query_string={"person_q": "명철"}).get_data(as_text=True)
    assert f'name="person" value="{person}"' in found
    refused = post_form(client, f"/staff/records/{event}/involvements", {"person": place, "role": "victim"},
                        page_url=f"/staff/records/{event}")
    assert refused.status_code == 422 and "이 번호의 인물 기록이 없습니다." in refused.get_data(as_text=True)
    wrong_role = post_form(client, f"/staff/records/{event}/involvements", {"person": person, "role": "boss"},
                           page_url=f"/staff/records/{event}")
    assert wrong_role.status_code == 422 and count(app, Involvement) == 1

    with app.app_context():
        involvement_id = db.session.scalar(sa.select(Involvement.id))
    removed = post_form(client, f"/staff/records/{event}/involvements/{involvement_id}/remove", {},
                        page_url=f"/staff/records/{event}")
    assert removed.status_code == 302 and count(app, Involvement) == 0
    assert {"record.involvement_added", "record.involvement_removed"} <= set(audit_actions(app))
    # A removal from another event's page is not found.
    assert client.post(f"/staff/records/{place}/involvements/{involvement_id}/remove").status_code in (400, 404)


def test_the_timeline_orders_by_when_and_puts_the_undated_last(client, app, auth):
    auth.login()
    for title, fields in (("미상 사건", {}), ("2020년 사건", {"when_precision": "year", "when_year": "2020"}),
                          ("2019년 3월 21일 사건", {"when_precision": "day", "when_date": "2019-03-21"}),
                          ("2019년 12월 사건", {"when_precision": "month", "when_year": "2019", "when_month": "12"})):
        create(client, "event", name=title, **fields)
    page = client.get("/staff/records/timeline").get_data(as_text=True)
    order = [page.index(t) for t in ("2019년 3월 21일 사건", "2019년 12월 사건", "2020년 사건", "미상 사건")]
    assert order == sorted(order)
    assert "2020년경" in page and "2019년 12월경" in page


def _link(app, org_keys, public_id: str, item_id: int, passage: str) -> None:
    with app.app_context():
        record = db.session.scalar(sa.select(Record).where(Record.public_id == public_id))
        link = RecordLink(record_id=record.id, submission_id=item_id, role="perpetrator")
        sealed.seal_passage(db.session, link, passage, org_keys.keyring)
        db.session.commit()


def test_the_list_filters_searches_counts_links_and_pages(client, app, auth, org_keys):
    item = SubmissionFactory()
    auth.login()
    guard = create(client, "person", name="국경 경비대원 최", aliases="Choe", person_role="perpetrator",
                   agency="border_guard")
    create(client, "person", name="피해자 한", person_role="victim")
    create(client, "place", name="혜산 구류장", province="KP-10", facility_type="guryujang")
    create(client, "event", name="강제송환 후 구타", categories=["V02.1"])
    _link(app, org_keys, guard, item.id, "경비대원 최가 때렸다")

    listed = client.get("/staff/records").get_data(as_text=True)
    for name in ("국경 경비대원 최", "피해자 한", "혜산 구류장", "강제송환 후 구타"):
        assert name in listed
    row = re.search(rf'{guard}.*?</tr>', listed, re.S).group(0)
    assert re.search(r'class="num">1<', row)  # one submission links to it

    def names(**args):
        return client.get("/staff/records", query_string=args).get_data(as_text=True)

    assert "피해자 한" not in names(agency="border_guard") and "국경 경비대원 최" in names(agency="border_guard")
    assert "국경 경비대원 최" not in names(person_role="victim") and "피해자 한" in names(person_role="victim")
    assert "혜산 구류장" in names(kind="place") and "피해자 한" not in names(kind="place")
    assert "혜산 구류장" in names(province="KP-10", facility_type="guryujang")
    assert "강제송환 후 구타" in names(category="V02") and "혜산 구류장" not in names(category="V02")
    searched = names(q="choe")
    assert "국경 경비대원 최" in searched and "피해자 한" not in searched
    assert "검색 결과가 없습니다" in names(q="없는이름")
    bad = names(kind="animal")
    assert 'id="filter-problems"' in bad and "피해자 한" in bad  # reported, then left out

    record_page = client.get(f"/staff/records/{guard}").get_data(as_text=True)
    assert f'href="/staff/submissions/{item.public_id}"' in record_page and "경비대원 최가 때렸다" in record_page


def test_fifty_records_a_page_newest_first(client, app, auth):
    with app.app_context():
        for n in range(51):
            records.create(db.session, None, RecordInput(kind="place", name=f"장소{n:02d}"))
        db.session.commit()
    auth.login()
    first = client.get("/staff/records").get_data(as_text=True)
    assert "장소50" in first and "장소01" in first and "장소00" not in first
    following = re.search(r'href="([^"]+)" rel="next"', first).group(1).replace("&amp;", "&")
    second = client.get(following).get_data(as_text=True)
    assert "장소00" in second and "장소01" not in second and 'rel="next"' not in second


def test_an_account_without_keys_is_told_why(client, app, auth):
    with app.app_context():
        records.create(db.session, None, RecordInput(kind="person", name="숨은 이름"))
        db.session.commit()
        public_id = db.session.scalar(sa.select(Record.public_id))
    UserFactory(email="nokeys@example.org", no_keys=True)
    auth.login(email="nokeys@example.org")
    for path in ("/staff/records", f"/staff/records/{public_id}", f"/staff/records/{public_id}/edit",
                 "/staff/records/timeline", "/staff/records/new?kind=person"):
        response = client.get(path)
        html = response.get_data(as_text=True)
        assert response.status_code == 403 and "열쇠 권한 없음" in html and "숨은 이름" not in html, path
    assert "record.person_viewed" not in audit_actions(app)


def test_records_are_never_public(client, app, org_keys):
    public_rules = [rule.rule for rule in app.url_map.iter_rules() if not rule.rule.startswith(("/staff", "/admin"))]
    assert not [rule for rule in public_rules if "record" in rule.lower()]
    assert all(not rule.endpoint.startswith("public.") or "record" not in rule.endpoint
               for rule in app.url_map.iter_rules())
    submitter = app.test_client()
    code = receipt_code(submit_report(submitter, narrative="김 소좌에게 맞았습니다.").get_data(as_text=True))
    with app.app_context():
        item_id = db.session.scalar(sa.select(Submission.id))
        person = records.create(db.session, None, RecordInput(kind="person", name="김철진 소좌",
                                                               description="기록설명문구"))
        db.session.commit()
        public_id = person.public_id
    _link(app, org_keys, public_id, item_id, "인용한구절표지")
    assert post_form(submitter, "/ko/receipt", {"code": code.replace(" ", "")}).status_code == 302
    status = submitter.get("/ko/receipt/status").get_data(as_text=True)
    for secret in ("김철진", "기록설명문구", "인용한구절표지", public_id):
        assert secret not in status
    assert submitter.get(f"/ko/records/{public_id}").status_code == 404
    assert submitter.get(f"/staff/records/{public_id}").status_code == 302  # to the login page


def test_an_english_speaking_officer_reads_the_pages_and_refusals_in_english(client, app, auth):
    auth.login(email="en-officer@example.org", languages=("en",), locale="en")
    refused = post_form(client, NEW + "event", {"name": "", "when_precision": "month", "when_year": "2019"})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "Please write the title." in html and "Please choose the month." in html
    event = create(client, "event", name="Beating at the holding centre", when_precision="year", when_year="2019")
    page = client.get(f"/staff/records/{event}").get_data(as_text=True)
    assert "around 2019" in page and "Persons in this event" in page and "기록" not in page
    assert "Timeline of events" in client.get("/staff/records/timeline").get_data(as_text=True)
