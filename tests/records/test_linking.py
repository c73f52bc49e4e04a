"""Linking an item to records from the officer's item page (issue 22, item 2), through the real
forms with CSRF on: link a record found by a search, link a suggestion, create one in place,
remove a link; duplicates and over-long passages refused with what was typed kept; the audit
log and the tables at rest hold no name and no passage; the submitter sees nothing of it."""
from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import AuditEvent, Record, RecordLink, Submission
from app.services.records import records
from app.services.records.records import RecordInput
from tests.factories import SubmissionFactory, UserFactory
from tests.helpers import act, audit_actions, post_form
from tests.test_sealed_at_rest import rows_at_rest

NARRATIVE = ("2019년 겨울에 회령 보위부에 잡혀갔습니다. 그때 박영호 지도원이 저를 심문했습니다.\n"
             "그 다음 전거리교화소로 보내졌습니다.")
NOTE = "Pak Yong-ho 라는 이름은 다른 제보에도 나옴"


def make_record(app, kind: str, name: str, aliases=(), **codes) -> str:
    with app.app_context():
        record = records.create(db.session, None, RecordInput(kind=kind, name=name, aliases=list(aliases), **codes))
        db.session.commit()
        return record.public_id


def page(client, item: str, query: str | None = None) -> str:
    url = f"/staff/submissions/{item}" + (f"?records={query}" if query else "")
    response = client.get(url)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def link(client, item: str, record: str, role: str | None = None, passage: str = "", origin: str = "found",
         query: str = ""):
    prefix = f"{origin}-{record}"
    data = {"origin": origin, f"{prefix}-passage": passage}
    if role is not None:
        data[f"{prefix}-role"] = role
    if origin == "found":
        data["records"] = query
    page_url = f"/staff/submissions/{item}" + (f"?records={query}" if query else "")
    return post_form(client, f"/staff/submissions/{item}/records/link/{record}", data, page_url=page_url)


def create_in_place(client, item: str, **fields):
    return post_form(client, f"/staff/submissions/{item}/records/new",
                     {f"newrecord-{k}": v for k, v in fields.items()}, page_url=f"/staff/submissions/{item}")


def links_of(app, item: str) -> list[tuple[str, str]]:
    with app.app_context():
        return [(record, role) for record, role in db.session.execute(
            sa.select(Record.public_id, RecordLink.role).join(RecordLink.record).join(RecordLink.submission)
            .where(Submission.public_id == item).order_by(RecordLink.id))]


def item_state(app, item: str):
    with app.app_context():
        return db.session.execute(sa.select(Submission.version, Submission.updated_at)
                                  .where(Submission.public_id == item)).one()


def section(html: str) -> str:
    return html.split('id="records"')[1].split("</section>")[0]


def test_link_a_record_found_by_a_search(client, app, auth):
    item = SubmissionFactory(narrative=NARRATIVE).public_id
    person = make_record(app, "person", "박영호", ["Pak Yong-ho"], person_role="perpetrator", agency="state_security")
    other = make_record(app, "person", "김순희", person_role="victim")
    auth.login()
    version, updated = item_state(app, item)

    found = section(page(client, item, "pak"))
    assert f'action="/staff/submissions/{item}/records/link/{person}"' in found
    assert f"/records/link/{other}" not in found  # a search for "pak" does not find 김순희
    # A person's role is a choice among the involvement roles, starting from their usual part.
    assert re.search(rf'<select[^>]*name="found-{person}-role"', found)
    assert '<option selected value="perpetrator">' in found

    response = link(client, item, person, "perpetrator", "박영호 지도원이 저를 심문했습니다.", query="pak")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/staff/submissions/{item}?records=pak#records")
    assert links_of(app, item) == [(person, "perpetrator")]
    shown = section(page(client, item))
    assert "박영호" in shown and "가해자" in shown and "박영호 지도원이 저를 심문했습니다." in shown
    assert "글자 그대로" not in shown  # the passage is in the text
    assert f'<a href="/staff/records/{person}">박영호</a>' in shown  # the record's own page
    # Linking is not a change of the item: no open form goes stale; retention counts from it.
    new_version, new_updated = item_state(app, item)
    assert new_version == version and new_updated > updated
    assert act(client, item, "status", {"status": "in_review", "version": str(version)}).status_code == 302
    assert links_of(app, item) == [(person, "perpetrator")]
    assert "record.linked" in audit_actions(app)


def test_a_place_is_linked_as_the_place_and_a_passage_not_in_the_text_is_flagged(client, app, auth):
    item = SubmissionFactory(narrative=NARRATIVE).public_id
    place = make_record(app, "place", "전거리교화소", province="KP-09", facility_type="kyohwaso")
    auth.login()
    found = section(page(client, item, "전거리"))
    assert f'name="found-{place}-role" value="place"' in found  # no choice to make
    assert link(client, item, place, None, "저는 요덕으로 갔습니다.", query="전거리").status_code == 302
    shown = section(page(client, item))
    assert links_of(app, item) == [(place, "place")]
    assert "저는 요덕으로 갔습니다." in shown and "본문에서 글자 그대로 찾을 수 없음" in shown
    # Found again, it says it is linked and offers no second link.
    again = section(page(client, item, "전거리")).split('id="find-title"')[1]
    assert "이 건에 이미 연결되어 있습니다." in again and f"/records/link/{place}" not in again
    # A role that is not a place's is refused.
    refused = link(client, item, place, "victim", "", query="전거리")
    assert refused.status_code == 422
    assert "이 건에서 이 기록이 맡은 역할을 골라 주세요" in refused.get_data(as_text=True)


def test_suggestions_name_records_whose_name_or_alias_occurs_and_no_others(client, app, auth):
    item = SubmissionFactory(narrative=NARRATIVE, notes=(NOTE,)).public_id
    by_name = make_record(app, "place", "전거리교화소")
    by_alias = make_record(app, "person", "박영호 (보위원)", ["Pak Yong-ho"], person_role="official")
    unrelated = make_record(app, "place", "요덕 관리소", ["15호 관리소"])
    auth.login()
    html = section(page(client, item))
    suggested = html.split('id="suggested-title"')[1].split('id="find-title"')[0]
    assert by_name in suggested and by_alias in suggested and unrelated not in suggested
    assert "이 글에 나오는 기록" in html
    # The passage starts as the sentence that names the record; the role as the usual part.
    sentence = "그 다음 전거리교화소로 보내졌습니다."
    assert re.search(rf'id="suggested-{by_name}-passage"[^>]*>\s*{sentence}</textarea>', suggested)
    assert re.search(rf'id="suggested-{by_alias}-passage"[^>]*>\s*{NOTE}</textarea>', suggested)
    assert '<option selected value="official">' in suggested

    response = link(client, item, by_alias, "official", NOTE, origin="suggested")
    assert response.status_code == 302 and response.headers["Location"].endswith("#records")
    assert links_of(app, item) == [(by_alias, "official")]
    after = section(page(client, item))
    assert by_alias not in after.split('id="suggested-title"')[1].split('id="find-title"')[0]  # linked: listed above


def test_create_a_record_in_place_and_link_it(client, app, auth):
    item = SubmissionFactory(narrative=NARRATIVE).public_id
    auth.login()
    response = create_in_place(client, item, kind="person", name="최명철", role="witness",
                               passage="그때 박영호 지도원이 저를 심문했습니다.")
    assert response.status_code == 302 and response.headers["Location"].endswith("#records")
    with app.app_context():
        record = db.session.scalar(sa.select(Record))
        assert (record.kind, record.person_role, record.created_by_id is not None) == ("person", "witness", True)
    assert links_of(app, item) == [(record.public_id, "witness")]
    assert audit_actions(app)[-2:] == ["record.created", "record.linked"]
    assert "최명철" in section(page(client, item))

    event = create_in_place(client, item, kind="event", name="2019년 겨울 심문", role="")
    assert event.status_code == 302
    assert [role for _, role in links_of(app, item)] == ["witness", "event"]


@pytest.mark.parametrize(("fields", "message"), [
    ({"kind": "person", "name": "이름만", "role": ""}, "이 건에서 이 기록이 맡은 역할을 골라 주세요"),
    ({"kind": "person", "name": "", "role": "victim"}, "이름이나 제목을 적어 주세요"),
    ({"kind": "animal", "name": "이름만", "role": ""}, "보기 중에서 하나를 선택해 주세요"),
])
def test_a_refused_creation_keeps_what_was_typed_and_makes_nothing(client, app, auth, fields, message):
    item = SubmissionFactory(narrative=NARRATIVE).public_id
    auth.login()
    response = create_in_place(client, item, passage="적어 둔 대목", **fields)
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and message in html
    assert "적어 둔 대목" in html and (not fields["name"] or f'value="{fields["name"]}"' in html)
    assert re.search(r'<details class="record-new" open>', html)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Record)) == 0
    assert links_of(app, item) == []


def test_remove_a_link(client, app, auth):
    item = SubmissionFactory(narrative=NARRATIVE).public_id
    person = make_record(app, "person", "박영호")
    auth.login()
    assert link(client, item, person, "perpetrator", query="박영호").status_code == 302
    link_id = re.search(rf'action="/staff/submissions/{item}/records/unlink/(\d+)"', page(client, item)).group(1)
    assert client.get(f"/staff/submissions/{item}/records/unlink/{link_id}").status_code == 405
    response = post_form(client, f"/staff/submissions/{item}/records/unlink/{link_id}", {},
                         page_url=f"/staff/submissions/{item}")
    assert response.status_code == 302 and links_of(app, item) == []
    assert audit_actions(app)[-1] == "record.unlinked"
    # A link of another item is not removed through this one's address.
    other = SubmissionFactory().public_id
    assert link(client, other, person, "victim", query="박영호").status_code == 302
    with app.app_context():
        other_link = db.session.scalar(sa.select(RecordLink.id))
    stranger = post_form(client, f"/staff/submissions/{item}/records/unlink/{other_link}", {},
                         page_url=f"/staff/submissions/{item}")
    assert stranger.status_code == 404 and links_of(app, other) == [(person, "victim")]


def test_the_same_link_twice_is_refused_another_role_is_not(client, app, auth):
    item = SubmissionFactory(narrative=NARRATIVE).public_id
    person = make_record(app, "person", "박영호")
    auth.login()
    assert link(client, item, person, "perpetrator", query="박영호").status_code == 302
    offered = section(page(client, item, "박영호")).split('id="find-title"')[1].split("<details")[0]
    assert "이미 연결된 역할: 가해자" in offered and 'value="perpetrator"' not in offered
    # A second tab, or a colleague, sends the same link anyway: refused by the service.
    again = link(client, item, person, "perpetrator", "두 번째 대목", query="박영호")
    html = again.get_data(as_text=True)
    assert again.status_code == 422 and "이 기록은 이 건에 이미 같은 역할로 연결되어 있습니다" in html
    assert "두 번째 대목" in html
    assert link(client, item, person, "witness", query="박영호").status_code == 302
    assert links_of(app, item) == [(person, "perpetrator"), (person, "witness")]


def test_a_too_long_passage_is_refused_with_the_text_kept(client, app, auth):
    item = SubmissionFactory(narrative=NARRATIVE).public_id
    person = make_record(app, "person", "박영호")
    auth.login()
    long_passage = "심문" * 1000 + "끝"
    response = link(client, item, person, "victim", long_passage, query="박영호")
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "최대 2,000자" in html and long_passage in html
    assert 'value="박영호"' in html  # the search stays, so the form is where it was
    assert links_of(app, item) == []


def test_the_audit_log_and_the_tables_hold_no_name_and_no_passage(client, app, auth):
    item = SubmissionFactory(narrative=NARRATIVE).public_id
    person = make_record(app, "person", "박영호", ["Pak Yong-ho"])
    auth.login()
    assert link(client, item, person, "perpetrator", "지도원이 저를 심문했습니다", query="박영호").status_code == 302
    assert create_in_place(client, item, kind="place", name="청진 집결소", passage="청진에서 사흘").status_code == 302
    with app.app_context():
        events = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "record.linked")).all()
        logged = " ".join(f"{e.target_id} {e.details}" for e in events)
    assert person in logged and item in logged and '"passage_given": true' in logged
    for secret in ("박영호", "Pak", "심문", "청진", "사흘"):
        assert secret not in logged
    at_rest = b"".join(value for (table, _), values in rows_at_rest(app).items()
                       if table in {"record", "record_link", "audit_event"} for value in values)
    for secret in ("박영호", "Pak Yong-ho", "지도원이 저를 심문했습니다", "청진 집결소", "청진에서 사흘"):
        assert secret.encode() not in at_rest
    with app.app_context():
        assert all(row.passage_sealed for row in db.session.scalars(sa.select(RecordLink)))


def test_the_submitter_sees_nothing_of_the_links(client, app, auth):
    item = SubmissionFactory(narrative=NARRATIVE)
    auth.login()
    assert create_in_place(client, item.public_id, kind="person", name="정보위원", role="official",
                           passage="다른 사람이 전해 준 말").status_code == 302
    auth.logout()
    response = post_form(client, "/ko/receipt", {"code": item.receipt_code})
    assert response.status_code == 302
    status = client.get("/ko/receipt/status?show=sent").get_data(as_text=True)
    assert "박영호 지도원" in status  # the submitter's own account is there
    with app.app_context():
        record = db.session.scalar(sa.select(Record.public_id))
    for hidden in ("정보위원", "다른 사람이 전해 준 말", record, "기록 연결", "관계 공무원"):
        assert hidden not in status


def test_an_account_without_keys_gets_the_403_page(client, app, auth):
    item = SubmissionFactory(narrative=NARRATIVE).public_id
    person = make_record(app, "person", "박영호")
    UserFactory(email="nokeys@example.org", no_keys=True)
    auth.login(email="nokeys@example.org")
    for url, data in ((f"/staff/submissions/{item}/records/link/{person}",
                       {"origin": "found", f"found-{person}-role": "victim"}),
                      (f"/staff/submissions/{item}/records/new",
                       {"newrecord-kind": "person", "newrecord-name": "새 이름", "newrecord-role": "victim"})):
        response = post_form(client, url, data, page_url="/staff/")
        assert response.status_code == 403 and "열쇠 권한 없음" in response.get_data(as_text=True)
    assert links_of(app, item) == []
