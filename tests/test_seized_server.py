"""The promise of SECURITY.md, attacked: a copy of everything at rest, taken while no officer
is logged in — the database (file or dump), the upload folder, the configuration with
SECRET_KEY and DATA_ENCRYPTION_KEY, the session store — shows no account text, place,
perpetrator text, message, note, reason, contact detail, file content or file name, in any
encoding, and no key the configuration holds opens any sealed value. Then an officer logs in
and reads everything back exactly, and the submitter reads the officer's reply.

The workload goes through the real forms (CSRF on), on SQLite and on PostgreSQL."""
from __future__ import annotations

import base64
import hashlib
import io
import json
import subprocess
from pathlib import Path

import pytest
import sqlalchemy as sa
from cryptography.exceptions import InvalidTag

from app.extensions import db
from app.models import Attachment, Case, CaseNote, KeySession, Record, RecordLink, Submission
from app.sealed import crypto, installation
from app.services.ops import backup
from tests.helpers import act, pdf_bytes, post_form, receipt_code, submit_report
from tests.smtp import deliver

# Rare syllables: no taxonomy label, template or translation contains any pair of them.
HANGUL = "뷁뛟쀍똠"
MARKERS = {
    "account": f"{HANGUL} 보위부에서 있었던 일 ACCOUNTMARK7731",
    "place": "PLACEMARK7731 회령 근처",
    "perpetrator": "PERPMARK7731 김 소좌",
    "when": "WHENMARK7731 겨울",
    "alias": "ALIASMARK7731",
    "handle": "@handlemark7731",
    "safe_times": "SAFEMARK7731 저녁",
    "notice": "noticemark7731@example.org",
    "organization": "ORGMARK7731 단체",
    "contact_message": "CONTACTMSGMARK7731 만나고 싶습니다",
    "file_name": "FILENAMEMARK7731 증언.pdf",
    "file_content": "FILECONTENTMARK7731",
    "followup": "FOLLOWUPMARK7731 더 적습니다",
    "followup_file": "FOLLOWFILEMARK7731.txt",
    "reply": "REPLYMARK7731 답장입니다",
    "note": "NOTEMARK7731 내부 메모",
    "reason": "REASONMARK7731 사유",
    "hold": "HOLDMARK7731 보존 사유",
    # Records, links and cases (issue 22): made through the officers' pages.
    "person_name": "RECNAMEMARK7731 박철",
    "person_alias": "RECALIASMARK7731",
    "person_description": "RECDESCMARK7731 보위부 반탐과",
    "passage": "LINKPASSAGEMARK7731 심문했다",
    "case_title": "CASETITLEMARK7731 회령 사안",
    "case_summary": "CASESUMMARKMARK7731 요약",
    "case_note": "CASENOTEMARK7731 메모",
}


def encodings(text: str) -> list[bytes]:
    """The marker as a database file, a dump or a log might hold it."""
    raw = text.encode()
    found = [raw, text.encode("utf-16-le"), text.encode("utf-16-be"), raw.hex().encode(), raw.hex().upper().encode()]
    for shift in range(3):  # base64 of the marker at each alignment inside a longer value
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            chunk = encode(b"\0" * shift + raw)[4 if shift else 0:-4]
            found.append(chunk)
    return found


def sqlite_bytes(url: str) -> bytes:
    path = Path(sa.engine.make_url(url).database)
    return b"".join(p.read_bytes() for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm")) if p.exists())


def postgres_dump(url: str) -> bytes:
    engine_url = sa.engine.make_url(url)
    args, env = backup._pg_args(engine_url)
    done = subprocess.run(["pg_dump", "--format=plain", *args, engine_url.database], env=env, capture_output=True,
                          check=True)
    return done.stdout


def seized_copy(app) -> bytes:
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    with app.app_context():
        db.session.remove()
        db.engine.dispose()  # SQLite: everything checkpointed or in the -wal file we copy
    database = postgres_dump(url) if url.startswith("postgresql") else sqlite_bytes(url)
    files = b"".join(p.read_bytes() for p in sorted(Path(app.config["UPLOAD_DIR"]).rglob("*")) if p.is_file())
    config = json.dumps({key: str(value) for key, value in app.config.items()}).encode()
    return database + files + config


def configuration_keys(app) -> list[bytes]:
    """Every key the configuration holds, and what the app derives from it."""
    secret = app.config["SECRET_KEY"].encode()
    master = installation.parse_master_key(app.config["DATA_ENCRYPTION_KEY"])
    derived = installation.derive_keys(master)
    candidates = [master, derived.field, derived.file, derived.receipt, hashlib.sha256(secret).digest()]
    for key in (master, hashlib.sha256(secret).digest()):
        candidates += [crypto.hkdf(key, label) for label in (b"field", b"file", b"search tokens", b"key session")]
    return candidates


def sealed_values(app) -> list[tuple[bytes, bytes]]:
    """(sealed value, the place it is bound to): every sealed column, with the right place, so
    that only the key decides whether it opens."""
    with app.app_context():
        values = []
        for row in db.session.scalars(sa.select(Submission)):
            pid = row.public_id
            for column, place in (("key_for_org", "submission.key"), ("key_for_receipt", "submission.receipt_key"),
                                  ("content_sealed", "submission.content"),
                                  ("status_reason_sealed", "submission.status_reason"),
                                  ("evidence_hold_reason_sealed", "submission.evidence_hold_reason"),
                                  ("contact_sealed", "submission.contact"), ("notice_sealed", "submission.notice")):
                if getattr(row, column):
                    values.append((getattr(row, column), f"{place}:{pid}".encode()))
            values += [(m.body_sealed, f"message.body:{m.id}:{m.author}:{pid}".encode()) for m in row.messages]
            values += [(n.body_sealed, f"note.body:{n.id}:{pid}".encode()) for n in row.notes]
            values += [(a.name_sealed, f"attachment.name:{a.stored_name}:{pid}".encode()) for a in row.attachments]
            values += [(a.hashes_sealed, f"attachment.hashes:{a.stored_name}:{pid}".encode()) for a in row.attachments]
        for table, rows in (("record", db.session.scalars(sa.select(Record))),
                            ("case", db.session.scalars(sa.select(Case)))):
            for thing in rows:
                values += [(thing.key_for_org, f"{table}.key:{thing.public_id}".encode()),
                           (thing.content_sealed, f"{table}.content:{thing.public_id}".encode())]
        for link in db.session.scalars(sa.select(RecordLink)):
            if link.passage_sealed:
                place = f"record_link.passage:{link.id}:{link.record_id}:{link.submission_id}"
                values.append((link.passage_sealed, place.encode()))
        values += [(note.body_sealed, f"case_note.body:{note.id}:{note.case_id}".encode())
                   for note in db.session.scalars(sa.select(CaseNote))]
        db.session.rollback()
    return values


def opens(key: bytes, blob: bytes, place: bytes) -> bool:
    """Does `key` open the value, as a symmetric key or as the private key it is sealed to,
    bound to its place as a padded value or as one from before padding?"""
    for attempt in (crypto.aead_decrypt, crypto.unseal):
        for bound in (crypto.PADDED + place, place):
            try:
                attempt(key, blob, bound)
                return True
            except (InvalidTag, ValueError):
                pass
    return False


def workload(app, client, auth, runner, smtp_server) -> dict:
    submitter, other = app.test_client(), app.test_client()
    pdf = pdf_bytes(MARKERS["file_content"])
    page = submit_report(submitter, narrative=MARKERS["account"], place=MARKERS["place"],
                         perpetrator_text=MARKERS["perpetrator"], when_precision="approximate",
                         when_text=MARKERS["when"], province="KP-09", contact_alias=MARKERS["alias"],
                         contact_channel="signal", contact_handle=MARKERS["handle"],
                         contact_safe_times=MARKERS["safe_times"], notice_email=MARKERS["notice"],
                         files=[(MARKERS["file_name"], pdf)])
    code = receipt_code(page.get_data(as_text=True)).replace(" ", "")
    contact = post_form(other, "/ko/contact", {"alias": MARKERS["alias"], "language": "ko", "topic": "evidence",
                                                "channel": "signal", "handle": MARKERS["handle"],
                                                "organization": MARKERS["organization"],
                                                "message": MARKERS["contact_message"]})
    assert contact.status_code == 200
    assert post_form(submitter, "/ko/receipt", {"code": code}).status_code == 302
    followup = post_form(submitter, "/ko/receipt/status", {"body": MARKERS["followup"]},
                         files=[(MARKERS["followup_file"], MARKERS["file_content"].encode() + b" 2")])
    assert followup.status_code == 302
    post_form(submitter, "/ko/receipt/leave", {}, page_url="/ko/receipt/status")

    auth.login(email="night-shift@example.org", contact_access=True)
    with app.app_context():
        public_id = db.session.scalar(sa.select(Submission.public_id).where(Submission.kind == "report"))
    assert act(client, public_id, "message", {"body": MARKERS["reply"]}).status_code == 302
    assert act(client, public_id, "note", {"body": MARKERS["note"]}).status_code == 302
    version = lambda: str(db_version(app, public_id))  # noqa: E731  (read fresh before each change)
    assert act(client, public_id, "status", {"status": "in_review", "version": version()}).status_code == 302
    assert act(client, public_id, "status", {"status": "rejected", "reason": MARKERS["reason"],
                                             "version": version()}).status_code == 302
    held = post_form(client, f"/staff/submissions/{public_id}/hold",
                     {"hold-reason": MARKERS["hold"], "hold-hold": "y"}, page_url=f"/staff/submissions/{public_id}")
    assert held.status_code == 302
    assert public_id in client.get("/staff/", query_string={"q": HANGUL[:2]}).get_data(as_text=True)
    assert client.get("/staff/export/queue.csv", query_string={"q": HANGUL[:2]}).status_code == 200
    assert act(client, public_id, "reveal", {}).status_code == 200
    record, case = records_and_case(client, public_id)
    deliver(runner)  # the "new message" notice is sent, and its address forgotten
    assert smtp_server.received
    auth.logout()
    return {"public_id": public_id, "code": code, "pdf": pdf, "record": record, "case": case}


def records_and_case(client, public_id: str) -> tuple[str, str]:
    """A person record with aliases, linked to the item with a passage; a case gathering both,
    with a note — each through its page."""
    made = post_form(client, "/staff/records/new?kind=person", {
        "name": MARKERS["person_name"], "aliases": MARKERS["person_alias"], "person_role": "perpetrator",
        "agency": "state_security", "description": MARKERS["person_description"]})
    assert made.status_code == 302, made.get_data(as_text=True)[:500]
    record = made.headers["Location"].rsplit("/", 1)[1]
    prefix = f"found-{record}"
    linked = post_form(client, f"/staff/submissions/{public_id}/records/link/{record}",
                       {"origin": "found", "records": "RECALIASMARK7731", f"{prefix}-role": "perpetrator",
                        f"{prefix}-passage": MARKERS["passage"]},
                       page_url=f"/staff/submissions/{public_id}?records=RECALIASMARK7731")
    assert linked.status_code == 302, linked.get_data(as_text=True)[:500]
    opened = post_form(client, "/staff/cases/new", {"title": MARKERS["case_title"], "summary": MARKERS["case_summary"],
                                                     "status": "open"})
    assert opened.status_code == 302
    case = opened.headers["Location"].rsplit("/", 1)[1]
    for action, data in (("add_submission", {"submission": public_id}), ("add_record", {"record": record}),
                         ("note", {"body": MARKERS["case_note"]})):
        done = post_form(client, f"/staff/cases/{case}/{action}", {f"{action}-{k}": v for k, v in data.items()},
                         page_url=f"/staff/cases/{case}")
        assert done.status_code == 302, (action, done.get_data(as_text=True)[:500])
    return record, case


def db_version(app, public_id: str) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(Submission.version).where(Submission.public_id == public_id))


@pytest.fixture
def seized(app, client, auth, runner, smtp_server):
    state = workload(app, client, auth, runner, smtp_server)
    with app.app_context():  # every session has ended: logged out, receipt page closed
        assert db.session.scalar(sa.select(sa.func.count()).select_from(KeySession)) == 0
    return state, seized_copy(app)


def test_a_seized_server_shows_no_testimony_identity_or_file(app, seized):
    state, copy = seized
    for name, marker in MARKERS.items():
        for encoded in encodings(marker):
            assert encoded not in copy, f"{name} found in the copy as {encoded[:40]!r}"
    # Not even a file's fingerprint: a hash in the clear would confirm that a known file was sent.
    digest = hashlib.sha256(state["pdf"]).hexdigest()
    assert digest.encode() not in copy and digest.upper().encode() not in copy
    assert hashlib.sha256(state["pdf"]).digest() not in copy
    for pair in (HANGUL[i:i + 2] for i in range(len(HANGUL) - 1)):  # the search index holds no syllables
        assert pair.encode() not in copy and pair.encode("utf-16-le") not in copy


def test_no_key_in_the_configuration_opens_a_sealed_value(app, seized, org_keys):
    values = sealed_values(app)
    assert len(values) >= 18
    # The places are right: the org key (which no configuration holds) opens what is sealed to it
    # (the record's and the case's keys, the passage and the case note among them).
    assert sum(opens(org_keys.keyring.org, blob, place) for blob, place in values) >= 9
    for key in configuration_keys(app):
        assert not any(opens(key, blob, place) for blob, place in values)
        with app.app_context():  # nor any file, under the installation's old file key or these
            for path in Path(app.config["UPLOAD_DIR"]).rglob("*/*"):
                with pytest.raises((InvalidTag, ValueError)):
                    b"".join(crypto.decrypt_stream(io.BytesIO(path.read_bytes()), key))
                with pytest.raises((InvalidTag, ValueError)):
                    b"".join(installation.legacy_file_chunks(io.BytesIO(path.read_bytes())))


def test_after_the_seizure_an_officer_and_the_submitter_read_everything_back(app, client, auth, seized):
    state, _copy = seized
    auth.login(contact_access=True)
    page = client.get(f"/staff/submissions/{state['public_id']}").get_data(as_text=True)
    for name in ("account", "place", "perpetrator", "when", "followup", "reply", "note", "reason", "hold"):
        assert MARKERS[name].split(" ")[0] in page, name
    assert MARKERS["file_name"] in page and MARKERS["followup_file"] in page
    revealed = act(client, state["public_id"], "reveal", {}).get_data(as_text=True)
    for name in ("alias", "handle", "safe_times"):
        assert MARKERS[name] in revealed
    with app.app_context():
        attachment_id = db.session.scalar(sa.select(Attachment.id).order_by(Attachment.id).limit(1))
    download = client.get(f"/staff/submissions/{state['public_id']}/files/{attachment_id}")
    assert download.data == state["pdf"]
    submitter = app.test_client()
    assert post_form(submitter, "/ko/receipt", {"code": state["code"]}).status_code == 302
    status = submitter.get("/ko/receipt/status").get_data(as_text=True)
    assert MARKERS["reply"] in status and MARKERS["followup"] in status
    assert MARKERS["note"] not in status and MARKERS["reason"] not in status
    for name in ("person_name", "person_alias", "passage", "case_title"):
        assert MARKERS[name] not in status  # nothing of records or cases reaches the submitter

    # The records, the link's passage and the case, read back by an officer.
    record = client.get(f"/staff/records/{state['record']}").get_data(as_text=True)
    for name in ("person_name", "person_alias", "person_description", "passage"):
        assert MARKERS[name] in record, name
    case = client.get(f"/staff/cases/{state['case']}").get_data(as_text=True)
    for name in ("case_title", "case_summary", "case_note", "person_name"):
        assert MARKERS[name] in case, name
