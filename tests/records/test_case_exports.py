"""Exports of a case: the case file with records and links (verified, and a tampered
records.json refused), Uwazi's CSV import checked against Uwazi's rules, HURIDOCS ESF, the
audit, and who may export. Routes are called directly with CSRF on (the case page that
will link them comes separately)."""
from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import zipfile

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import AuditEvent
from app.services.spreadsheet import FORMULA_START
from tests.factories import UserFactory
from tests.helpers import hidden_fields
from tests.records.case_builder import NOTE, PASSAGE, TITLE, build_case


@pytest.fixture
def built(app, org_keys):
    with app.app_context():
        return build_case(org_keys.keyring)


def _token(client) -> str:
    """The session's CSRF token, from a page every staff account can open."""
    page = client.get("/staff/account")
    assert page.status_code == 200
    return next(value for name, value in hidden_fields(page.get_data(as_text=True)).items()
                if name.endswith("csrf_token"))


def export(client, case_id, what, data=None, token=True):
    payload = {"csrf_token": _token(client)} if token else {}
    return client.post(f"/staff/cases/{case_id}/export/{what}", data={**payload, **(data or {})})


def _events(app, action):
    with app.app_context():
        return [(e.target_id, json.loads(e.details or "{}"))
                for e in db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action))]


def test_case_file_carries_records_links_and_verifies_then_tampering_fails(client, app, auth, built, runner,
                                                                           tmp_path):
    auth.login()
    response = export(client, built.case, "case-file.zip")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    assert response.headers["Cache-Control"] == "no-store"
    assert built.case in response.headers["Content-Disposition"] and "%" not in response.headers["Content-Disposition"]
    body = response.data
    archive = zipfile.ZipFile(io.BytesIO(body))
    names = set(archive.namelist())
    assert {f"{pid}/submission.json" for pid in built.submissions} <= names
    case = json.loads(archive.read("case/case.json"))
    assert (case["title"], case["status"]["code"], case["submissions"]) == (TITLE, "building", built.submissions)
    assert [n["body"] for n in json.loads(archive.read("case/notes.json"))] == [NOTE]
    docs = {r["id"]: r for r in json.loads(archive.read("case/records.json"))["records"]}
    assert docs[built.perpetrator]["name"] == "박영호" and docs[built.perpetrator]["agency"]["code"] == "state_security"
    assert docs[built.place]["aliases"] == ["전거리 교화소", "Chongori"]
    assert docs[built.place]["facility_type"]["label_ko"] != docs[built.place]["facility_type"]["label_en"]
    assert (docs[built.witness]["in_export_because"], docs[built.linked_only]["in_export_because"],
            docs[built.event]["in_export_because"]) == ("referenced", "linked", "case")
    event = docs[built.event]
    assert event["place"] == built.place and [c["code"] for c in event["categories"]] == ["V02.1", "V03"]
    assert event["when"]["precision"]["code"] == "month" and event["when"]["text"] == "2019년 겨울"
    assert {(i["person"], i["role"]["code"]) for i in event["involvements"]} == {
        (built.victim, "victim"), (built.perpetrator, "perpetrator"), (built.witness, "witness"),
        (built.official, "official")}
    links = json.loads(archive.read("case/links.json"))["links"]
    assert {"submission": built.submissions[0], "record": built.event, "role": "event", "passage": PASSAGE} \
        .items() <= links[0].items()
    assert len(links) == 4
    manifest = json.loads(archive.read("manifest.json"))
    assert manifest["case"] == built.case and manifest["items"] == built.submissions
    listed = {entry["path"] for entry in manifest["files"]}
    assert {"case/records.json", "case/links.json", "case/case.json", "case/notes.json"} <= listed
    proofs = json.loads(archive.read("timestamps/proofs.json"))
    assert {u["file"] for u in proofs["uncovered"]} == {"case/records.json", "case/links.json", "case/case.json",
                                                         "case/notes.json"}
    assert all("nothing was committed" in u["reason"] for u in proofs["uncovered"])

    path = tmp_path / "case.zip"
    path.write_bytes(body)
    result = runner.invoke(args=["export", "verify", str(path)])
    assert result.exit_code == 0, result.output

    tampered = tmp_path / "tampered.zip"
    with zipfile.ZipFile(tampered, "w") as out:
        for name in archive.namelist():
            content = archive.read(name)
            if name == "case/records.json":
                content = content.replace("박영호".encode(), "홍길동".encode())
            out.writestr(name, content)
    result = runner.invoke(args=["export", "verify", str(tampered)])
    assert result.exit_code == 1 and "case/records.json: SHA-256" in result.output

    # the manifest rewritten to match: the signature no longer holds
    forged = tmp_path / "forged.zip"
    manifest_bytes = archive.read("manifest.json")
    changed = archive.read("case/records.json").replace("박영호".encode(), "홍길동".encode())
    for entry in manifest["files"]:
        if entry["path"] == "case/records.json":
            old = entry["sha256"]
            manifest_bytes = manifest_bytes.replace(old.encode(), hashlib.sha256(changed).hexdigest().encode())
    with zipfile.ZipFile(forged, "w") as out:
        for name in archive.namelist():
            out.writestr(name, changed if name == "case/records.json" else
                         manifest_bytes if name == "manifest.json" else archive.read(name))
    result = runner.invoke(args=["export", "verify", str(forged)])
    assert result.exit_code == 1 and "manifest.sig" in result.output

    exported = _events(app, "case.exported")
    assert [(target, details["format"]) for target, details in exported] == [(built.case, "case_file")]
    assert {target for target, _ in _events(app, "submission.exported")} == set(built.submissions)


# --- Uwazi's documented CSV rules (huridocs/uwazi app/api/csv, wiki "Import CSV") -------------------

LANG_COLUMN = re.compile(r"^(?P<name>.+)__(?P<lang>ko|en)$")
WITH_LANGUAGE = {"text", "markdown", "select", "multiselect", "link", "nested"}
DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _uwazi_safe_name(label: str) -> str:
    return re.sub(r"[^a-z0-9]", "_", label.strip(), flags=re.IGNORECASE).lower()


def check_uwazi(files: dict[str, bytes]) -> dict[str, list[dict]]:
    """Every rule a file must keep for Uwazi to import it as meant; returns the rows by template."""
    spec = json.loads(files["templates.json"])
    thesauri = {t["key"]: t["values"] for t in spec["thesauri"]}
    for key, values in thesauri.items():
        for lang in ("ko", "en"):
            labels = [value["label"][lang].strip().lower() for value in values]
            assert len(labels) == len(set(labels)), (key, lang)  # one term per normalized label
            assert not any("|" in label or "::" in label for label in labels), key
    rows_by_template: dict[str, list[dict]] = {}
    titles_by_template: dict[str, set[str]] = {}
    for template in spec["templates"]:
        body = files[template["file"]]
        assert not body.startswith(b"\xef\xbb\xbf")  # a BOM would rename the first column
        rows = list(csv.DictReader(io.StringIO(body.decode("utf-8"))))
        header = next(csv.reader(io.StringIO(body.decode("utf-8"))))
        assert header[0] == "title" and len(header) == len(set(header))
        props = {p["name"]: p for p in template["properties"]}
        for prop in template["properties"]:
            assert prop["name"] == _uwazi_safe_name(prop["label"]["en"])  # Uwazi derives the key from the label
        plain, languages = set(), {}
        for column in header:
            assert _uwazi_safe_name(column) == column  # Uwazi maps headers through safeName
            match = LANG_COLUMN.match(column)
            if match:
                languages.setdefault(match["name"], set()).add(match["lang"])
            else:
                plain.add(column)
        assert not plain & set(languages)  # never both a plain and language columns
        for name, langs in languages.items():
            assert langs == {"ko", "en"} and props[name]["type"] in WITH_LANGUAGE
        assert set(props) == (plain | set(languages)) - {"title"}
        for row in rows:
            assert row["title"].strip() and "|" not in row["title"]
            for cell in row.values():
                assert not cell.startswith(FORMULA_START), cell
            for name, prop in props.items():
                if prop["type"] in ("select", "multiselect"):
                    cells = {lang: row[f"{name}__{lang}"] for lang in ("ko", "en")}
                    split = {lang: [v for v in cell.split("|") if v] for lang, cell in cells.items()}
                    assert len(split["ko"]) == len(split["en"])  # translations pair up by position
                    if prop["type"] == "select":
                        assert len(split["en"]) <= 1
                    for ko, en in zip(split["ko"], split["en"], strict=True):
                        assert {"ko": ko, "en": en} in [v["label"] for v in thesauri[prop["thesaurus"]]]
                elif prop["type"] == "date" and row[name]:
                    assert DAY.match(row[name])
                elif prop["type"] == "daterange" and row[name]:
                    start, end = row[name].split(":")
                    assert DAY.match(start) and DAY.match(end) and start <= end
        rows_by_template[template["key"]] = rows
        titles_by_template[template["key"]] = {row["title"] for row in rows}
        assert len(titles_by_template[template["key"]]) == len(rows)  # relationships find entities by title
    for order, template in enumerate(spec["templates"]):
        assert spec["import_order"][order]["file"] == template["file"]
        for prop in template["properties"]:
            if prop["type"] == "relationship":
                # imported earlier (or this file): Uwazi would create a bare entity for an unknown title
                earlier = [t["key"] for t in spec["templates"][:order + 1]]
                assert prop["template"] in earlier
                for row in rows_by_template[template["key"]]:
                    for title in filter(None, row[prop["name"]].split("|")):
                        assert title in titles_by_template[prop["template"]], title
    return rows_by_template


def test_uwazi_export_keeps_uwazi_import_rules(client, app, auth, built):
    auth.login()
    response = export(client, built.case, "uwazi.zip")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    assert response.headers["Cache-Control"] == "no-store" and "uwazi" in response.headers["Content-Disposition"]
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    files = {name: archive.read(name) for name in archive.namelist()}
    assert set(files) == {"templates.json", "1-places.csv", "2-persons.csv", "3-events.csv", "4-testimonies.csv"}
    rows = check_uwazi(files)
    spec = json.loads(files["templates.json"])
    assert spec["instructions"]["ko"] != spec["instructions"]["en"]
    types = {p["type"] for t in spec["templates"] for p in t["properties"]}
    assert {"text", "markdown", "select", "multiselect", "date", "daterange", "relationship"} <= types
    persons = {row["moksori_id"]: row for row in rows["person"]}
    assert persons[built.perpetrator]["title"] == f"박영호 ({built.perpetrator})"
    assert persons[built.perpetrator]["other_names"] == "박 지도원|보위원"  # a text property is never split
    # in a title a | would split the relationship cells that name it
    assert persons[built.linked_only]["title"] == f"정명수/정씨 ({built.linked_only})"
    assert {row["title"]: row for row in rows["testimony"]}[built.submissions[1]]["persons"] == \
        persons[built.linked_only]["title"]
    assert persons[built.perpetrator]["agency__en"].startswith("State security")
    assert persons[built.perpetrator]["agency__ko"] != persons[built.perpetrator]["agency__en"]
    event = rows["event"][0]
    assert event["date"] == "2019-12-01:2019-12-31" and event["date_precision__en"] == "Month"
    assert event["violations__ko"] == "고문|자의적 체포·구금 및 불공정 재판"
    assert event["violations__en"] == "Torture|Arbitrary arrest, detention and unfair trial"
    assert event["place"] == f"전거리교화소 ({built.place})"
    assert event["victims"] == f"김영철 ({built.victim})" and event["witnesses"] == f"이순희 ({built.witness})"
    assert event["description"] == "'-겨울 내내 구타"  # a formula-like start is neutralized
    testimony = {row["title"]: row for row in rows["testimony"]}[built.submissions[0]]
    assert testimony["account"].startswith("전거리교화소에서") and testimony["consent_accountability__en"] == "Yes"
    assert testimony["events"] == f"2019년 겨울 구타 ({built.event})" and PASSAGE in testimony["passages"]
    assert testimony["persons"] == f"박영호 ({built.perpetrator})"
    assert [(t, d["format"]) for t, d in _events(app, "case.exported")] == [(built.case, "uwazi")]


def test_esf_structure(client, app, auth, built):
    auth.login()
    response = export(client, built.case, "esf.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert response.headers["Cache-Control"] == "no-store"
    doc = response.get_json()
    assert doc["case"]["title"] == TITLE
    (event,) = doc["events"]
    assert (event["event_record_number"], event["event_title"]) == (built.event, "2019년 겨울 구타")
    assert (event["initial_date"], event["final_date"]) == ("2019-12-01", "2019-12-31")
    assert event["initial_date_type"]["huri_code"] == "020000000000"  # list 48: unknown day
    assert event["geographical_term"]["huri_code"] == "030131000000" and event["event_location"] == built.place
    # one act per victim and list-4 type of act: V02.1 → 020111110000, V03 → 030000000000
    assert sorted((a["victim"], a["type_of_act"]["huri_code"]) for a in doc["acts"]) == [
        (built.victim, "020111110000"), (built.victim, "030000000000")]
    assert all(a["event"] == built.event for a in doc["acts"])
    assert len(doc["involvements"]) == 2 and {i["perpetrator"] for i in doc["involvements"]} == {built.perpetrator}
    assert all(i["degree_of_involvement"]["huri_code"] == "990000000000" for i in doc["involvements"])
    assert {i["act"] for i in doc["involvements"]} == {a["act_record_number"] for a in doc["acts"]}
    assert doc["involvements"][0]["type_of_perpetrator"]["huri_code"] == "010106000000"
    persons = {p["person_record_number"]: p for p in doc["persons"]}
    assert persons[built.perpetrator]["person_name"] == "박영호"
    assert persons[built.perpetrator]["counting_unit"]["huri_code"] == "010000000000"
    assert set(persons) == {built.victim, built.perpetrator, built.witness, built.official, built.linked_only}
    sources = {s["moksori_submission"]: s for s in doc["sources"]}
    assert sources[built.submissions[0]]["source_connection_to_information"]["huri_code"] == "010100000000"
    assert sources[built.submissions[1]]["source_connection_to_information"]["huri_code"] == "010200000000"
    assert sources[built.submissions[0]]["moksori_consent"]["accountability_mechanisms"] is True
    information = doc["information"]
    witness = [i for i in information if i["source"] == built.witness]
    assert witness and witness[0]["source_connection_to_information"]["huri_code"] == "010200000000"
    linked = {(i["moksori_submission"], i["event"] or i["related_person"] or i["moksori_place"]): i
              for i in information if i["moksori_submission"]}
    assert linked[built.submissions[0], built.event]["remarks"] == PASSAGE
    assert (built.submissions[1], built.linked_only) in linked
    assert doc["moksori_other_roles"] == [{"event": built.event, "person": built.official,
                                           "role": {"code": "official", "label_ko": "관계 공무원",
                                                    "label_en": "Official"}}]
    ((target, details),) = _events(app, "case.exported")
    assert (target, details["format"]) == (built.case, "esf") and built.perpetrator in details["persons"]
    assert "박영호" not in json.dumps(_events(app, "case.exported"), ensure_ascii=False)


@pytest.mark.parametrize("what", ["case-file.zip", "uwazi.zip", "esf.json"])
def test_who_may_export(client, app, auth, built, what):
    # anonymous: to the login page (a POST without a token is refused first)
    assert export(client, built.case, what, token=False).status_code in (302, 400)
    UserFactory(email="nokeys@example.org", no_keys=True)
    auth.login(email="nokeys@example.org")
    response = export(client, built.case, what)
    assert response.status_code == 403
    assert export(client, built.case, what, token=False).status_code == 400  # CSRF
    assert _events(app, "case.exported") == [] and _events(app, "submission.exported") == []
    assert "박영호" not in response.get_data(as_text=True)


def test_unknown_case_and_contact_without_the_identity_key(client, app, auth, built):
    auth.login(contact_access=False)
    assert export(client, "CNOTACASE22", "esf.json").status_code == 404
    assert export(client, built.case, "case-file.zip", {"include_contact": "y"}).status_code == 403
    assert _events(app, "case.exported") == []


def test_partial_links_the_three_exports(app, built):
    from flask import render_template

    from app.services.evidence.case_exports import gather
    with app.test_request_context(f"/staff/cases/{built.case}/export/esf.json", method="POST"):  # a staff request
        case = gather.find_case(db.session, built.case)
        html = render_template("staff/_case_exports.html", case=case)
    for what in ("case-file.zip", "uwazi.zip", "esf.json"):
        assert f'action="/staff/cases/{built.case}/export/{what}"' in html
    assert html.count('name="csrf_token"') == 3 and TITLE not in html


def test_exports_leave_no_name_passage_or_note_on_the_server(client, app, auth, built):
    """A copy of the server taken after all three exports: the audit events, logs and upload
    folder hold ids and formats, never a word the records, links or case hold."""
    from tests.test_seized_server import encodings, seized_copy

    auth.login()
    for what in ("case-file.zip", "uwazi.zip", "esf.json"):
        assert export(client, built.case, what).status_code == 200
    copy = seized_copy(app)
    for text in ("박영호", "전거리교화소", "Chongori", PASSAGE, TITLE, NOTE, "겨울 내내 구타"):
        assert not any(encoded in copy for encoded in encodings(text)), text
    assert built.perpetrator.encode() in copy  # the audit names whose record went out, by id
