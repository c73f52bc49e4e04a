"""An installation from before sealing migrates: revision 0010 adds the sealed columns,
`flask keys seal-existing` seals every plaintext row and file with the public key alone,
revision 0011 drops the plaintext (and refuses while any is left). Officers read everything
back; the old search index, with its syllables, is gone; a submitter's old receipt code still
works: claimed once by its HMAC, its key is wrapped for it by the next officer session."""
from __future__ import annotations

import io
import json
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from app.extensions import db
from app.models import Submission
from app.sealed import crypto, installation, keys, signing
from app.security import hash_receipt_code
from app.services.files.attachments import path_for
from config import TestingConfig
from tests import factories
from tests.conftest import AuthActions, spare_app
from tests.factories import UserFactory
from tests.helpers import act, post_form

CODE = "1234567812345678"
PDF = b"%PDF-1.4\nold testimony file\n"


def legacy_field(text: str, place: str) -> bytes:
    """A field as versions before sealing wrote it: AES-GCM under the installation's field key."""
    field_key = installation.derive_keys(installation.parse_master_key(TestingConfig.DATA_ENCRYPTION_KEY)).field
    return crypto.aead_encrypt(field_key, text.encode(), place.encode())


@pytest.fixture
def old_app(tmp_path):
    """A second instance; the test pushes its app context only around database work, so that
    its requests get contexts (and sessions) of their own."""
    with spare_app(tmp_path, "old") as application:
        yield application


def old_rows(app) -> None:
    """What version 0009 stored: plaintext texts, the installation key's encryption, an HMAC."""
    now = datetime.now(UTC)
    meta = sa.MetaData()
    table = {name: sa.Table(name, meta, autoload_with=db.engine) for name in ("submission", "message", "note",
                                                                               "attachment")}
    contact = legacy_field(json.dumps({"alias": "옛 철수", "handle": "@old-handle", "notice_email": ""}),
                           "submission.contact")
    sid = db.session.execute(sa.insert(table["submission"]).values(
        public_id="OLDITEM001", kind="report", receipt_hash=hash_receipt_code(CODE), status="rejected", locale="ko",
        created_at=now, updated_at=now, narrative="옛날 방식으로 저장된 증언입니다", place="옛 혜산",
        status_reason="옛 사유", contact_encrypted=contact, may_contact=True)).inserted_primary_key[0]
    db.session.execute(sa.insert(table["message"]).values(submission_id=sid, author="staff", body="옛 답장입니다",
                                                          created_at=now))
    db.session.execute(sa.insert(table["note"]).values(submission_id=sid, body="옛 메모", created_at=now))
    stored = "ab" * 16
    path = path_for(app.config["UPLOAD_DIR"], stored)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as handle:
        installation.write_legacy_file(io.BytesIO(PDF), handle)  # the installation's file key
    db.session.execute(sa.insert(table["attachment"]).values(
        submission_id=sid, stored_name=stored,
        original_name_encrypted=legacy_field("옛 파일.pdf", "attachment.original_name"),
        media_type="application/pdf", size=len(PDF), sha256="0" * 64, received_sha256="0" * 64, created_at=now,
        added_by="submitter", metadata_stripped=False))
    if db.engine.dialect.name == "sqlite":
        db.session.execute(sa.text("INSERT INTO submission_search (rowid, document) VALUES (:i, '옛날 날방')"),
                           {"i": sid})
    else:
        db.session.execute(sa.text("INSERT INTO submission_search (submission_id, part, document) "
                                   "VALUES (:i, 0, '옛날 날방')"), {"i": sid})
    db.session.commit()


def test_an_old_installation_is_sealed_and_keeps_working(old_app, tmp_path, monkeypatch):
    app = old_app
    monkeypatch.setattr(signing, "create", lambda session: None)  # its table comes with 0020
    with app.app_context():
        upgrade(revision="0009")
        old_rows(app)
        upgrade(revision="0010")
        with pytest.raises(SystemExit):
            upgrade()  # 0011 will not drop plaintext that was never sealed (Flask-Migrate exits, saying why)
        db.session.remove()
        db.engine.dispose()  # the refused migration's connection, and its lock, go
    runner = app.test_cli_runner()
    assert runner.invoke(args=["keys", "seal-existing"]).exit_code != 0  # no keys yet: the first admin makes them
    with app.app_context():
        keyring, _code = keys.create_keys(db.session, "cli")
        db.session.commit()
    sealed = runner.invoke(args=["keys", "seal-existing"])
    assert sealed.exit_code == 0, sealed.output
    assert "sealed 1 submissions, 1 messages, 1 notes, 1 files" in sealed.output
    with app.app_context():
        upgrade()
        raw = b"".join(p.read_bytes() for p in (tmp_path / "old-uploads").rglob("*") if p.is_file())
        assert b"old testimony" not in raw
        for text in ("옛날 방식", "옛 혜산", "옛 사유", "옛 답장", "옛 메모", "@old-handle"):
            for table in ("submission", "message", "note"):
                rows = db.session.execute(sa.text(f"SELECT * FROM {table}")).all()
                assert not any(text in str(value) for row in rows for value in row), (text, table)
        assert "submission_search" not in sa.inspect(db.session.connection()).get_table_names()  # 0016 dropped it
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Submission)
                                 .where(Submission.search_pending.is_(False))) == 0

    factories.use_keys(keyring)
    with app.app_context():  # the factory makes the account in this instance
        UserFactory(email="officer@example.org", contact=True)
    officer, submitter = app.test_client(), app.test_client()
    auth = AuthActions(app, officer)
    # The old receipt code is found once by its HMAC; its key waits for an officer's session.
    assert post_form(submitter, "/ko/receipt", {"code": CODE}).status_code == 302
    waiting = submitter.get("/ko/receipt/status").get_data(as_text=True)
    assert "새 보호 방식으로 옮기는 중" in waiting and "옛 답장" not in waiting
    auth.login(email="officer@example.org")  # this session wraps the key for the code
    page = officer.get("/staff/submissions/OLDITEM001").get_data(as_text=True)
    for text in ("옛날 방식으로 저장된 증언입니다", "옛 혜산", "옛 사유", "옛 답장", "옛 메모", "옛 파일.pdf"):
        assert text in page
    assert "@old-handle" in act(officer, "OLDITEM001", "reveal", {}).get_data(as_text=True)
    assert officer.get("/staff/submissions/OLDITEM001/files/1").data == PDF
    assert "OLDITEM001" in officer.get("/staff/", query_string={"q": "증언"}).get_data(as_text=True)
    again = app.test_client()
    assert post_form(again, "/ko/receipt", {"code": CODE}).status_code == 302
    assert "옛 답장입니다" in again.get("/ko/receipt/status").get_data(as_text=True)
    with app.app_context():
        legacy = sa.text("SELECT count(*) FROM submission WHERE receipt_legacy_hash IS NOT NULL")
        assert db.session.scalar(legacy) == 0
