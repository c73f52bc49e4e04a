"""Records, links, cases (issue 22) and partner groups (issue 23) under attack: every field of
every new form hostile — refused or done, never a 5xx, never markup in the answer — and the free
text that is kept (a record's names and description, a link's passage, a case's title, summary
and note, a group's name and an officer's message to it) stored as sent and escaped wherever it
is shown. Each payload names the run's seed (ATTACK_SEED) for replay."""
from __future__ import annotations

import re

import sqlalchemy as sa

from app.extensions import db
from app.models import Case, Record, RecordLink
from app.sealed import records as sealed
from app.services.records import records
from app.services.records.records import RecordInput
from tests.attack import checks, strings
from tests.attack.checks import post_hostile as _post
from tests.attack.surface import QUERY_PARAMETERS, hostile_everywhere, surfaces_for
from tests.factories import SubmissionFactory
from tests.groups.pages import create_group, join
from tests.helpers import post_form


def _renamed(data: dict, old: str, new: str) -> dict:
    return {name.replace(old, new, 1): value for name, value in data.items()}


def _made(app, kind: str, name: str) -> str:
    with app.app_context():
        record = records.create(db.session, None, RecordInput(kind=kind, name=name))
        db.session.commit()
        return record.public_id


def test_every_record_link_and_case_form_hostile(app, client, auth, org_keys):
    item = SubmissionFactory(narrative="박영호 지도원이 심문했습니다").public_id
    person, event = _made(app, "person", "박영호"), _made(app, "event", "심문")
    auth.login()
    opened = post_form(client, "/staff/cases/new", {"title": "사안", "status": "open"})
    case = opened.headers["Location"].rsplit("/")[-1]
    page = f"/staff/submissions/{item}"
    for payload in strings.sample(2, salt="records"):
        text = payload.text
        for surface in surfaces_for("staff.record_new"):
            kind = {"PersonForm": "person", "PlaceForm": "place", "EventForm": "event"}[surface.form.__name__]
            _post(client, f"/staff/records/new?kind={kind}", hostile_everywhere(app, surface, text), payload,
                  page_url=f"/staff/records/new?kind={kind}")
        record_page = f"/staff/records/{event}"
        _post(client, f"{record_page}/edit", hostile_everywhere(app, surfaces_for("staff.record_edit")[2], text),
              payload, page_url=f"{record_page}/edit")
        _post(client, f"{record_page}/involvements", hostile_everywhere(
            app, surfaces_for("staff.record_involve")[0], text), payload, page_url=record_page)
        _post(client, f"{record_page}/involvements/1/remove", hostile_everywhere(
            app, surfaces_for("staff.record_uninvolve")[0], text), payload, page_url=record_page)
        link = _renamed(hostile_everywhere(app, surfaces_for("staff.link_record")[0], text), "found-RECORD",
                        f"found-{person}")
        _post(client, f"{page}/records/link/{person}", {**link, "origin": text}, payload, page_url=page)
        _post(client, f"{page}/records/new", hostile_everywhere(app, surfaces_for("staff.create_and_link")[0], text),
              payload, page_url=page)
        _post(client, f"{page}/records/unlink/1", _renamed(hostile_everywhere(
            app, surfaces_for("staff.unlink_record")[0], text), "unlink-LINK", "unlink-1"), payload, page_url=page)
        _post(client, "/staff/cases/new", hostile_everywhere(app, surfaces_for("staff.case_new")[0], text), payload,
              page_url="/staff/cases/new")
        for surface in surfaces_for("staff.case_action"):
            _post(client, f"/staff/cases/{case}/{surface.prefix}", hostile_everywhere(app, surface, text), payload,
                  page_url=f"/staff/cases/{case}")
        _post(client, f"{page}/cases", hostile_everywhere(app, surfaces_for("staff.item_add_to_case")[0], text),
              payload, page_url=page)
        for name in ("case-file.zip", "uwazi.zip", "esf.json"):
            response = post_form(client, f"/staff/cases/{case}/export/{name}", {"include_contact": text},
                                 page_url=f"/staff/cases/{case}")
            assert response.status_code < 500, checks.where(payload, f"the {name} export")
        # Every query string these pages read, hostile.
        value = text[:2000]
        for endpoint, path in (("staff.records", "/staff/records"),
                               ("staff.records_timeline", "/staff/records/timeline"),
                               ("staff.record", record_page), ("staff.record_new", "/staff/records/new"),
                               ("staff.cases_list", "/staff/cases"), ("staff.case", f"/staff/cases/{case}"),
                               ("staff.submission", page)):
            response = client.get(path, query_string={name: value for name in QUERY_PARAMETERS[endpoint]})
            assert response.status_code < 500, checks.where(payload, f"GET {path}")
            checks.assert_escaped(response.get_data(as_text=True), [payload], f"GET {path} (hostile query)",
                                  shown=False)


def test_hostile_names_passages_and_case_texts_are_stored_as_sent_and_escaped(app, client, auth, org_keys):
    item = SubmissionFactory(narrative="증언").public_id
    auth.login()
    payloads = [p for p in strings.sample(4, salt="records-stored") if 0 < len(checks.stored_form(p.text)) <= 200]
    for payload in payloads:
        text = payload.text
        made = post_form(client, "/staff/records/new?kind=person",
                         {"name": text, "aliases": text, "description": text, "person_role": "witness"})
        assert made.status_code == 302, checks.where(payload, "a person record")
        record = made.headers["Location"].rsplit("/", 1)[1]
        page = f"/staff/submissions/{item}"
        linked = post_form(client, f"{page}/records/link/{record}",
                           {"origin": "found", f"found-{record}-role": "witness", f"found-{record}-passage": text},
                           page_url=page)
        assert linked.status_code == 302, checks.where(payload, "a link's passage")
        opened = post_form(client, "/staff/cases/new", {"title": text, "summary": text, "status": "open"})
        assert opened.status_code == 302, checks.where(payload, "a case")
        case = opened.headers["Location"].rsplit("/", 1)[1]
        noted = post_form(client, f"/staff/cases/{case}/note", {"note-body": text}, page_url=f"/staff/cases/{case}")
        assert noted.status_code == 302, checks.where(payload, "a case note")
        post_form(client, f"/staff/cases/{case}/add_record", {"add_record-record": record},
                  page_url=f"/staff/cases/{case}")

        with app.app_context():  # stored exactly as the form's documented normalization leaves it
            row = sealed.open_content(org_keys.keyring, db.session.scalar(
                sa.select(Record).where(Record.public_id == record)))
            assert (row.name, row.aliases, row.description) == (checks.stored_form(text),
                                                                  [checks.stored_form(text)],
                                                                  checks.stored_form(text)), \
                checks.where(payload, "the stored record")
            link = sealed.open_passage(org_keys.keyring, db.session.scalar(
                sa.select(RecordLink).order_by(RecordLink.id.desc()).limit(1)))
            assert link.passage == checks.stored_form(text), checks.where(payload, "the stored passage")
            kept = sealed.open_content(org_keys.keyring, db.session.scalar(
                sa.select(Case).where(Case.public_id == case)))
            assert kept.title == checks.stored_form(text), checks.where(payload, "the stored case title")
            db.session.rollback()
        for where in (f"/staff/records/{record}", f"/staff/records/{record}/edit", "/staff/records", page,
                      f"/staff/cases/{case}", "/staff/cases"):
            checks.assert_escaped(client.get(where).get_data(as_text=True), [payload], where)


def test_group_forms_hostile(app, auth, client):
    admin = app.test_client()
    auth.login("admin", client=admin, contact_access=True)
    for payload in strings.sample(2, salt="groups"):
        text = payload.text
        _post(admin, "/admin/groups/new", hostile_everywhere(app, surfaces_for("admin.group_new")[0], text), payload,
              page_url="/admin/groups")
        for path, endpoint in (("/ko/group", "public.group"), ("/ko/group/join", "public.group_join"),
                               ("/ko/group/recover", "public.group_recover")):
            _post(client, path, hostile_everywhere(app, surfaces_for(endpoint)[0], text), payload, page_url=path)
    stored = [p for p in strings.sample(3, salt="groups-stored") if 0 < len(checks.stored_form(p.text)) <= 200]
    for payload in stored:  # a hostile group name and contacts: kept, and escaped on the admin's pages
        response = post_form(admin, "/admin/groups/new", {"name": payload.text, "contacts": payload.text},
                             page_url="/admin/groups")
        assert response.status_code == 200, checks.where(payload, "a new group")
        checks.assert_escaped(admin.get("/admin/groups").get_data(as_text=True), [payload], "the admin's groups")

    code = create_group(admin)
    number, _recovery = join(client, code)
    assert re.fullmatch(r"[0-9A-Z-]+", number)
    officer = app.test_client()
    auth.login(client=officer)
    for payload in strings.sample(2, salt="group-space"):
        text = payload.text
        _post(client, "/ko/group/space/new", hostile_everywhere(app, surfaces_for("public.group_new")[0], text),
              payload, page_url="/ko/group/space/new")
        for surface in surfaces_for("public.group_settings"):
            _post(client, "/ko/group/space/settings", hostile_everywhere(app, surface, text), payload,
                  page_url="/ko/group/space/settings")
        group_page = f"/staff/groups/{number}"
        message = post_form(officer, group_page, hostile_everywhere(app, surfaces_for("staff.group")[0], text),
                            page_url=group_page)
        assert message.status_code < 500, checks.where(payload, "a message to the group")
        checks.assert_escaped(client.get("/ko/group/space").get_data(as_text=True), [payload], "the group's space")
        checks.assert_escaped(officer.get(group_page).get_data(as_text=True), [payload], "the staff group page")
