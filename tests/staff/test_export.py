"""Case-file exports and bulk queue exports, through the real forms with CSRF on."""
from __future__ import annotations

import codecs
import csv
import hashlib
import io
import json
import os
import tracemalloc
import zipfile

import sqlalchemy as sa

from app.extensions import db
from app.models import Attachment, AuditEvent, Submission
from app.sealed import vault
from tests.factories import HANDLE, SubmissionFactory
from tests.helpers import act, audit_actions, hidden_fields, jpeg_with_gps, pdf_bytes, post_form

PDF = pdf_bytes("testimony of 2019")


def export_item(client, public_id, include_contact=False):
    return act(client, public_id, "export", {"include_contact": "y"} if include_contact else {})


def _setup_item(auth, contact_access=False):
    """A report with four files (three of them named alike), contact details, a message each
    way and a note; the officer logged in."""
    item = SubmissionFactory(
        narrative="<script>alert(1)</script> 회령 보위부에서 고문을 당했습니다.", categories=["V02.1", "V03"],
        province="KP-09", with_contact_details=True, with_thread=True, with_notes=True,
        files=[("증언.pdf", PDF), ("증언.PDF", pdf_bytes("2")), ("증언.pdf", pdf_bytes("3")),
               ("사진.jpg", jpeg_with_gps())],
    )
    auth.login(contact_access=contact_access)
    return item.public_id


def _contents(archive: zipfile.ZipFile) -> dict[str, bytes]:
    return {name: archive.read(name) for name in archive.namelist()}


def test_case_file_round_trip_then_one_changed_byte_fails(client, app, auth, runner, tmp_path, org_keys):
    public_id = _setup_item(auth)
    response = export_item(client, public_id)
    assert response.status_code == 200 and response.mimetype == "application/zip"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    body = response.data
    path = tmp_path / "case.zip"
    path.write_bytes(body)
    archive = zipfile.ZipFile(path)
    files = _contents(archive)
    folder = public_id
    names = set(files)
    assert {f"{folder}/submission.json", f"{folder}/submission.html", f"{folder}/audit.json",
            f"{folder}/messages.json", f"{folder}/notes.json", "manifest.json"} <= names
    # Hangul names kept, clashes (also by case) numbered
    assert {f"{folder}/files/증언.pdf", f"{folder}/files/증언 (2).PDF", f"{folder}/files/증언 (3).pdf",
            f"{folder}/files/사진.jpg"} <= names
    assert files[f"{folder}/files/증언.pdf"] == PDF
    doc = json.loads(files[f"{folder}/submission.json"])
    assert [c["code"] for c in doc["categories"]] == ["V02.1", "V03"]
    assert doc["categories"][0]["label_ko"] == "고문"
    assert doc["categories"][0]["huridocs_types_of_acts"] == ["020111110000"]
    assert doc["where"]["province"]["code"] == "KP-09" and doc["where"]["province"]["label_en"] == "North Hamgyong"
    assert doc["where"]["province"]["label_ko"] != doc["where"]["province"]["label_en"]
    assert "contact_details" not in doc and doc["contact_details_included"] is False
    assert all(HANDLE.encode() not in content for content in files.values())
    html = files[f"{folder}/submission.html"].decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>alert" not in html
    assert 'lang="ko"' in html and 'lang="en"' in html
    messages = json.loads(files[f"{folder}/messages.json"])
    assert [m["body"] for m in messages] == ["날짜를 기억하시나요?", "2019년 3월이었습니다."]
    assert [n["body"] for n in json.loads(files[f"{folder}/notes.json"])] == ["교차 확인 필요"]
    trail = {e["action"] for e in json.loads(files[f"{folder}/audit.json"])}
    assert {"submission.created", "message.sent", "submission.followup", "note.added", "submission.exported"} <= trail
    # the manifest repeats the hashes recorded at intake
    manifest = json.loads(files["manifest.json"])
    with app.app_context():
        recorded = {a.id: vault.open_attachment(a, vault.staff_key(org_keys.keyring, a.submission)).sha256
                    for a in db.session.scalars(sa.select(Attachment))}
        completed = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "export.completed"))
    listed = {e["attachment_id"]: e["sha256"] for e in manifest["files"] if e["kind"] == "attachment"}
    assert listed == recorded
    for entry in manifest["files"]:
        assert hashlib.sha256(files[entry["path"]]).hexdigest() == entry["sha256"]
        assert len(files[entry["path"]]) == entry["size"]
    assert json.loads(completed.details)["sha256"] == hashlib.sha256(body).hexdigest()
    assert completed.target_id == manifest["export_id"]

    result = runner.invoke(args=["export", "verify", str(path)])
    assert result.exit_code == 0, result.output
    assert "OK" in result.output and "hashes recorded at intake are sealed" in result.output
    with_keys = runner.invoke(args=["export", "verify", str(path), "--recovery-code-stdin"], input=org_keys.code + "\n")
    assert with_keys.exit_code == 0 and "and the hashes recorded at intake;" in with_keys.output

    # one byte of one file changed (the ZIP rebuilt, so only the content differs)
    tampered = tmp_path / "tampered.zip"
    with zipfile.ZipFile(tampered, "w") as out:
        for name, content in files.items():
            if name == f"{folder}/files/증언.pdf":
                content = content[:-1] + bytes([content[-1] ^ 1])
            out.writestr(name, content)
    result = runner.invoke(args=["export", "verify", str(tampered)])
    assert result.exit_code == 1
    assert f"{folder}/files/증언.pdf: SHA-256" in result.output
    assert "recorded at export" in result.output

    # a byte flipped in the raw ZIP: reported, never a traceback
    raw = bytearray(body)
    offset = body.index(PDF[:8]) if PDF[:8] in body else len(body) // 3
    raw[offset] ^= 0xFF
    broken = tmp_path / "broken.zip"
    broken.write_bytes(bytes(raw))
    result = runner.invoke(args=["export", "verify", str(broken)])
    assert result.exit_code == 1 and "Traceback" not in result.output


def test_contact_details_only_when_ticked_and_audited(client, app, auth):
    public_id = _setup_item(auth, contact_access=True)
    body = export_item(client, public_id, include_contact=True).data
    doc = json.loads(zipfile.ZipFile(io.BytesIO(body)).read(f"{public_id}/submission.json"))
    assert doc["contact_details"]["handle"] == HANDLE and doc["contact_details"]["alias"] == "철수"
    with app.app_context():
        started = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "export.started"))
        assert json.loads(started.details)["include_contact"] is True
        exported = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "submission.exported"))
        assert exported.target_id == public_id and json.loads(exported.details)["include_contact"] is True


def test_export_needs_csrf_and_login(client, app, auth):
    public_id = SubmissionFactory().public_id
    assert client.post(f"/staff/submissions/{public_id}/export").status_code in (302, 400)  # CSRF, then the gate
    assert client.get("/staff/export/queue.csv").status_code == 302  # to the login page
    auth.login()
    assert client.post(f"/staff/submissions/{public_id}/export", data={}).status_code == 400
    assert "export.started" not in audit_actions(app)


def test_selection_export_and_unknown_ids(client, app, auth, runner, tmp_path):
    first, second = SubmissionFactory().public_id, SubmissionFactory(files=[("문서.pdf", PDF)]).public_id
    auth.login()
    bad = post_form(client, "/staff/export", {"ids": f"{first}, NOPE42"})
    html = bad.get_data(as_text=True)
    assert bad.status_code == 422 and "NOPE42" in html and "찾을 수 없습니다" in html
    assert f"{first}, NOPE42" in html  # what was typed is kept
    empty = post_form(client, "/staff/export", {"ids": "  "})
    assert empty.status_code == 422 and "export.started" not in audit_actions(app)
    # the queue's checkboxes send one `ids` field per item
    page = client.get("/staff/export").get_data(as_text=True)
    response = client.post("/staff/export", data={**hidden_fields(page), "ids": [first, second.lower()]})
    assert response.status_code == 200
    path = tmp_path / "two.zip"
    path.write_bytes(response.data)
    names = zipfile.ZipFile(path).namelist()
    assert f"{first}/submission.json" in names and f"{second}/files/문서.pdf" in names
    assert json.loads(zipfile.ZipFile(path).read("manifest.json"))["items"] == [first, second]
    assert runner.invoke(args=["export", "verify", str(path)]).exit_code == 0
    # the queue's bulk form (prefixed token, "PUBLICID:version" values) can post here as it is,
    # through its own button; the staff menu links to the export page
    queue = client.get("/staff/").get_data(as_text=True)
    assert 'formaction="/staff/export"' in queue and "선택한 건의 사건 기록 내려받기 (ZIP)" in queue
    assert '<a href="/staff/export">사건 기록 내려받기</a>' in queue
    token = hidden_fields(page)["csrf_token"]
    from_queue = client.post("/staff/export", data={"bulk-csrf_token": token, "bulk-items": [f"{second}:3"]})
    assert from_queue.status_code == 200
    assert json.loads(zipfile.ZipFile(io.BytesIO(from_queue.data)).read("manifest.json"))["items"] == [second]


def test_streaming_keeps_memory_bounded(client, auth):
    size = 24 * 1024 * 1024
    # A memoryview: factory_boy formats the repr of its arguments into errors it raises and
    # catches while resolving traits, and the repr of 24 MB of bytes takes seconds each time.
    big = memoryview(b"#!AMR\n" + os.urandom(size))  # a type stored as sent: no metadata to clean
    public_id = SubmissionFactory(files=[("큰 녹음.amr", big)]).public_id
    del big
    auth.login()
    response = export_item(client, public_id)
    assert response.is_streamed
    tracemalloc.start()
    total = 0
    try:
        for chunk in response.response:
            total += len(chunk)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        response.close()
    assert total > size
    assert peak < 10 * 1024 * 1024 < size, peak  # a few 1 MiB segments at a time, never the whole file


def test_bulk_csv_and_json_parse_back(client, app, auth):
    SubmissionFactory(narrative="=HYPERLINK(\"http://x\") 회령에서 있었던 일", province="KP-09", categories=["V01.1"],
                      with_contact_details=True)
    SubmissionFactory(narrative="평양 교화소, 2019년 겨울", province=None, files=[("증언.pdf", PDF)])
    auth.login()
    response = client.get("/staff/export/queue.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.data.startswith(codecs.BOM_UTF8)
    assert HANDLE.encode() not in response.data and PDF not in response.data
    rows = list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert len(rows) == 2
    by_narrative = {row["narrative"]: row for row in rows}
    hostile = by_narrative["'=HYPERLINK(\"http://x\") 회령에서 있었던 일"]  # defused, still readable
    assert hostile["province"] == "KP-09" and hostile["province_ko"] == "함경북도" and hostile["categories"] == "V01.1"
    assert by_narrative["평양 교화소, 2019년 겨울"]["attachments"] == "1"
    data = client.get("/staff/export/queue.json")
    assert data.mimetype == "application/json"
    parsed = json.loads(data.data)
    assert len(parsed["items"]) == 2
    narratives = {i["narrative"] for i in parsed["items"]}
    assert narratives == {"=HYPERLINK(\"http://x\") 회령에서 있었던 일", "평양 교화소, 2019년 겨울"}
    assert HANDLE not in data.get_data(as_text=True)
    with app.app_context():
        with_ids = {s.public_id for s in db.session.scalars(sa.select(Submission))}
    assert {i["public_id"] for i in parsed["items"]} == with_ids == {row["public_id"] for row in rows}
    assert audit_actions(app).count("queue.exported") == 2
    # the queue's filters, from the same query string
    with app.app_context():
        db.session.execute(sa.update(Submission).where(Submission.province == "KP-09").values(status="closed"))
        db.session.commit()
    closed = client.get("/staff/export/queue.csv?status=closed").data.decode("utf-8-sig")
    filtered = list(csv.DictReader(io.StringIO(closed)))
    assert [row["status"] for row in filtered] == ["closed"] and filtered[0]["status_ko"] == "종결"
    assert len(json.loads(client.get("/staff/export/queue.json?province=KP-01").data)["items"]) == 0
