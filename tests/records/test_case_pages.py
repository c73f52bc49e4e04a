"""Cases through the real forms (CSRF on): create, change, stale change, items and records in
and out, sealed notes, status and lead, corroboration and the single-source list, the
timeline, the item page's cases panel; audited by public id, never by content."""
from __future__ import annotations

import re
from datetime import date

import sqlalchemy as sa

from app.extensions import db
from app.models import AuditEvent, Case, RecordLink, case_record, case_submission
from app.services.records import records
from app.services.records.records import RecordInput
from tests import factories
from tests.factories import SubmissionFactory
from tests.helpers import audit_actions, post_form

TITLE = "온성 집결소 2019년 겨울"
SUMMARY = "세 사람이 같은 보위부 지도원을 말함"
NOTE = "박영호 지도원 신원 교차 확인 필요"


def case_act(client, public_id, action, data):
    return post_form(client, f"/staff/cases/{public_id}/{action}", {f"{action}-{k}": v for k, v in data.items()},
                     page_url=f"/staff/cases/{public_id}")


def new_case(client, title=TITLE, **data) -> str:
    response = post_form(client, "/staff/cases/new", {"title": title, "summary": SUMMARY, "status": "open", **data})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return re.search(r"/staff/cases/(C[0-9A-Z]{10})$", response.headers["Location"]).group(1)


def case_row(app, public_id) -> Case:
    with app.app_context():
        case = db.session.scalar(sa.select(Case).where(Case.public_id == public_id))
        db.session.expunge(case)
        return case


def everything_at_rest(app) -> bytes:
    """Every value of every row of every table, text as UTF-8 and binary as it is: what a dump
    of the database holds (tests/test_sealed_at_rest.py's scan looks at encoded runs only)."""
    with app.app_context():
        connection = db.session.connection()
        found = [value if isinstance(value, bytes) else str(value).encode()
                 for table in db.metadata.sorted_tables for row in connection.execute(sa.select(table))
                 for value in row if value is not None]
        db.session.rollback()
    return b"\x00".join(found)


def audit_texts(app) -> str:
    with app.app_context():
        return " ".join(f"{e.action} {e.target_id} {e.details}" for e in db.session.scalars(sa.select(AuditEvent)))


def test_create_list_and_open_a_case(client, app, auth):
    officer = auth.login()
    page = client.get("/staff/cases/new").get_data(as_text=True)
    assert "새 사안" in page and f'<option selected value="{officer.id}">' in page  # the creator leads by default
    public_id = new_case(client, lead=str(officer.id))
    html = client.get(f"/staff/cases/{public_id}").get_data(as_text=True)
    assert TITLE in html and SUMMARY in html
    listing = client.get("/staff/cases").get_data(as_text=True)
    assert TITLE in listing and public_id in listing
    case = case_row(app, public_id)
    assert (case.status, case.lead_id) == ("open", officer.id)
    assert "case.created" in audit_actions(app)
    assert TITLE not in audit_texts(app) and public_id in audit_texts(app)
    assert 'href="/staff/cases"' in client.get("/staff/").get_data(as_text=True)  # in the staff menu


def test_a_case_needs_a_title_and_keeps_what_was_typed(client, app, auth):
    auth.login()
    response = post_form(client, "/staff/cases/new", {"title": " ", "summary": SUMMARY, "status": "open"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and SUMMARY in html and "제목" in html
    forged = post_form(client, "/staff/cases/new", {"title": TITLE, "status": "secret", "lead": "99999"})
    assert forged.status_code == 422 and TITLE in forged.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Case)) == 0


def test_change_status_and_lead_and_a_stale_change_is_refused(client, app, auth):
    auth.login()
    colleague = factories.UserFactory(email="colleague@example.org", name="김담당")
    public_id = new_case(client)
    version = case_row(app, public_id).version
    changed = case_act(client, public_id, "edit", {"title": TITLE + " (수정)", "summary": SUMMARY, "status": "building",
                                                   "lead": str(colleague.id), "version": str(version)})
    assert changed.status_code == 302
    case = case_row(app, public_id)
    assert (case.status, case.lead_id) == ("building", colleague.id)
    # A second officer's page still says the old version: refused, and what they typed is kept.
    stale = case_act(client, public_id, "edit", {"title": "옛 화면에서 고친 제목", "summary": "", "status": "closed",
                                                 "lead": "", "version": str(version)})
    html = stale.get_data(as_text=True)
    assert stale.status_code == 422 and "옛 화면에서 고친 제목" in html and "다른 담당자가" in html
    assert case_row(app, public_id).status == "building"
    events = audit_texts(app)
    assert "case.changed" in events and "building" in events and TITLE not in events


def test_items_and_records_in_and_out(client, app, auth):
    auth.login()
    item, other = SubmissionFactory(), SubmissionFactory()
    with app.app_context():
        person = records.create(db.session, None, RecordInput(kind="person", name="박영호"))
        db.session.commit()
        person_id = person.public_id
    public_id = new_case(client)
    assert case_act(client, public_id, "add_submission", {"submission": item.public_id.lower()}).status_code == 302
    assert case_act(client, public_id, "add_submission", {"submission": other.public_id}).status_code == 302
    assert case_act(client, public_id, "add_submission", {"submission": item.public_id}).status_code == 302  # again
    unknown = case_act(client, public_id, "add_submission", {"submission": "NOPE1234"})
    assert unknown.status_code == 422 and "NOPE1234" in unknown.get_data(as_text=True)
    assert case_act(client, public_id, "add_record", {"record": person_id}).status_code == 302
    missing = case_act(client, public_id, "add_record", {"record": "PXXXXXXXXXX"})
    assert missing.status_code == 422
    html = client.get(f"/staff/cases/{public_id}").get_data(as_text=True)
    assert item.public_id in html and other.public_id in html and "박영호" in html and person_id in html
    assert case_act(client, public_id, "remove_submission", {"submission": other.public_id}).status_code == 302
    assert case_act(client, public_id, "remove_record", {"record": person_id}).status_code == 302
    with app.app_context():
        case_pk = db.session.scalar(sa.select(Case.id).where(Case.public_id == public_id))
        assert db.session.scalar(sa.select(sa.func.count()).select_from(case_submission)
                                 .where(case_submission.c.case_id == case_pk)) == 1
        assert db.session.scalar(sa.select(sa.func.count()).select_from(case_record)) == 0
    actions = audit_actions(app)
    assert actions.count("case.submission_added") == 2  # adding again changes nothing
    assert {"case.submission_removed", "case.record_added", "case.record_removed"} <= set(actions)
    assert "박영호" not in audit_texts(app) and person_id in audit_texts(app)
    listing = client.get("/staff/cases").get_data(as_text=True)
    assert re.search(r'data-label="[^"]*"[^>]*>1</td>\s*<td data-label="[^"]*"[^>]*>0</td>', listing)


def test_add_a_record_found_by_name(client, app, auth):
    auth.login()
    with app.app_context():
        place = records.create(db.session, None, RecordInput(kind="place", name="전거리교화소", aliases=["전거리"]))
        db.session.commit()
        place_id = place.public_id
    public_id = new_case(client)
    found = client.get(f"/staff/cases/{public_id}?q=전거리").get_data(as_text=True)
    assert "전거리교화소" in found and f'name="add_record-record" value="{place_id}"' in found
    assert case_act(client, public_id, "add_record", {"record": place_id}).status_code == 302
    again = client.get(f"/staff/cases/{public_id}?q=전거리").get_data(as_text=True)
    assert f'name="add_record-record" value="{place_id}"' not in again  # already in the case: no second add button


def test_notes_are_sealed_and_shown(client, app, auth):
    auth.login()
    public_id = new_case(client)
    assert case_act(client, public_id, "note", {"body": NOTE}).status_code == 302
    empty = case_act(client, public_id, "note", {"body": "  "})
    assert empty.status_code == 422
    assert NOTE in client.get(f"/staff/cases/{public_id}").get_data(as_text=True)
    assert NOTE not in audit_texts(app) and "case.note_added" in audit_actions(app)


def test_corroboration_and_what_rests_on_a_single_source(client, app, auth):
    auth.login()
    victim = SubmissionFactory(source_connection="victim")
    resent = SubmissionFactory(source_connection="victim", duplicate_of=victim, status="duplicate")
    witness = SubmissionFactory(source_connection="witness")
    with app.app_context():
        place = records.create(db.session, None, RecordInput(kind="place", name="온성 집결소"))
        person = records.create(db.session, None, RecordInput(kind="person", name="박영호"))
        for item in (victim, resent, witness):
            db.session.add(RecordLink(record_id=place.id, submission_id=item.id, role="place"))
        db.session.add(RecordLink(record_id=person.id, submission_id=resent.id, role="perpetrator"))
        db.session.commit()
        ids = place.public_id, person.public_id
    public_id = new_case(client)
    for record_id in ids:
        case_act(client, public_id, "add_record", {"record": record_id})
    html = client.get(f"/staff/cases/{public_id}").get_data(as_text=True)
    records_part = html.split('id="case-records"')[1].split('id="case-single"')[0]
    single_part = html.split('id="case-single"')[1].split('id="case-timeline"')[0]
    assert "독립된 출처 2건" in records_part  # the place: the victim (sent twice) and a witness
    assert "독립된 출처 1건" in records_part  # the person: one resending of the victim's account
    assert "한 출처에만 근거한 것" in single_part and "박영호" in single_part and "온성 집결소" not in single_part
    assert victim.public_id in single_part  # its source is the original, with its duplicate


def test_a_case_page_lists_a_few_sources_of_a_record_and_sends_to_its_page_for_all(client, app, auth):
    """A place can rest on thousands of items: the case page lists SOURCES_SHOWN of them under
    the record, counts them all, and links to the record's page, which lists every one."""
    from app.staff.case_views import SOURCES_SHOWN
    auth.login()
    items = [SubmissionFactory(source_connection="witness") for _ in range(SOURCES_SHOWN + 2)]
    with app.app_context():
        place = records.create(db.session, None, RecordInput(kind="place", name="온성 집결소"))
        for item in items:
            db.session.add(RecordLink(record_id=place.id, submission_id=item.id, role="place"))
        db.session.commit()
        place_id = place.public_id
    public_id = new_case(client)
    case_act(client, public_id, "add_record", {"record": place_id})
    html = client.get(f"/staff/cases/{public_id}").get_data(as_text=True)
    records_part = html.split('id="case-records"')[1].split('id="case-single"')[0]
    assert f"독립된 출처 {len(items)}건" in records_part
    listed = [item for item in items if f'href="/staff/submissions/{item.public_id}"' in records_part]
    assert len(listed) == SOURCES_SHOWN
    assert f'href="/staff/records/{place_id}#links">그 밖에 2건은 기록 페이지에</a>' in records_part
    record_page = client.get(f"/staff/records/{place_id}").get_data(as_text=True)
    assert all(f'href="/staff/submissions/{item.public_id}"' in record_page for item in items)


def test_the_timeline_orders_events_and_items_by_date(client, app, auth):
    auth.login()
    late = SubmissionFactory(when_precision="day", when_date=date(2020, 3, 5), when_year=None)
    early = SubmissionFactory(when_precision="year", when_year=2018)
    undated = SubmissionFactory(when_precision="unknown", when_year=None)
    with app.app_context():
        event = records.create(db.session, None, RecordInput(kind="event", name="구타 사건", when_precision="month",
                                                             when_year=2019, when_month=12))
        db.session.commit()
        event_id = event.public_id
    public_id = new_case(client)
    for item in (undated, late, early):
        case_act(client, public_id, "add_submission", {"submission": item.public_id})
    case_act(client, public_id, "add_record", {"record": event_id})
    html = client.get(f"/staff/cases/{public_id}").get_data(as_text=True)
    timeline = html.split('id="case-timeline"')[1].split('id="case-notes"')[0]
    order = [timeline.index(marker) for marker in (early.public_id, event_id, late.public_id, undated.public_id)]
    assert order == sorted(order), order
    # One wording of a date with its precision, as on the records pages.
    assert "2019년 12월경" in timeline and "2018년경" in timeline and "2020년 3월 5일" in timeline
    assert "시기 모름" in timeline


def test_the_item_page_shows_its_cases_and_adds_it_to_one(client, app, auth):
    auth.login()
    item = SubmissionFactory()
    public_id = new_case(client)
    closed = new_case(client, title="끝난 사안", status="closed")
    page = client.get(f"/staff/submissions/{item.public_id}").get_data(as_text=True)
    assert f'<option value="{public_id}"' in page and closed not in page  # closed cases are not offered
    response = post_form(client, f"/staff/submissions/{item.public_id}/cases", {"item_case-case": public_id},
                         page_url=f"/staff/submissions/{item.public_id}")
    assert response.status_code == 302 and response.headers["Location"].endswith("#item-cases")
    page = client.get(f"/staff/submissions/{item.public_id}").get_data(as_text=True)
    assert f'href="/staff/cases/{public_id}"' in page and TITLE in page
    assert "case.submission_added" in audit_actions(app)


def test_the_item_page_offers_the_latest_open_cases_and_takes_any_other_by_its_number(client, app, auth,
                                                                                     monkeypatch):
    """The list unseals each title it offers, so it is cut (ITEM_CASE_CHOICES); an older open
    case is still added by its number, a closed one is refused, and a wrong number is said."""
    from app.staff import case_views
    monkeypatch.setattr(case_views, "ITEM_CASE_CHOICES", 2)
    auth.login()
    item = SubmissionFactory()
    oldest, middle, newest = (new_case(client, title=f"사안 {n}") for n in range(3))
    closed = new_case(client, title="끝난 사안", status="closed")
    item_url = f"/staff/submissions/{item.public_id}"
    page = client.get(item_url).get_data(as_text=True)
    assert f'<option value="{newest}"' in page and f'<option value="{middle}"' in page
    assert f'<option value="{oldest}"' not in page
    assert 'name="item_case-number"' in page and "가장 최근에 바뀐 진행 중인 사안 2건만" in page

    def add(number):
        response = post_form(client, f"{item_url}/cases", {"item_case-number": number}, page_url=item_url)
        assert response.status_code == 302
        return client.get(item_url).get_data(as_text=True)

    page = add(f" {oldest.lower()} ")  # typed as people type it
    assert f'href="/staff/cases/{oldest}"' in page and "사안에 추가되었습니다" in page
    page = add(closed)
    assert "종결되었습니다" in page and f'href="/staff/cases/{closed}"' not in page.split('id="item-cases"')[1]
    page = add("C0000000000")
    assert "C0000000000 번호의 사안이 없습니다" in page
    page = add("C" * 21)  # longer than any case number: said so, not "choose a case"
    assert "사안을 선택해 주세요" not in page and "최대 20자" in page
    with app.app_context():
        members = set(db.session.scalars(sa.select(Case.public_id).join(
            case_submission, case_submission.c.case_id == Case.id)))
    assert members == {oldest}


def test_a_case_made_through_the_pages_keeps_nothing_readable_at_rest(client, app, auth):
    """A copy of every table and file after a case was made, changed and noted through the
    forms: no title, summary or note in any of them (audit log included)."""
    auth.login()
    public_id = new_case(client)
    case_act(client, public_id, "edit", {"title": TITLE + " 수정", "summary": SUMMARY + " 추가",
                                         "status": "building", "lead": "", "version": "1"})
    case_act(client, public_id, "note", {"body": NOTE})
    at_rest = everything_at_rest(app)
    for secret in (TITLE, SUMMARY, NOTE, "박영호", "집결소"):
        assert secret.encode() not in at_rest, secret
    assert public_id.encode() in at_rest  # the scan does see what is stored in the clear


def test_taking_out_an_unknown_item_says_so(client, app, auth):
    auth.login()
    public_id = new_case(client)
    refused = case_act(client, public_id, "remove_submission", {"submission": "NOPE1234"})
    assert refused.status_code == 422 and "이 번호의 건이 없습니다." in refused.get_data(as_text=True)
