"""`flask backup create` then `flask backup restore` into an empty instance loses nothing:
row counts, attachment hashes and the audit chain, on SQLite and (with TEST_DATABASE_URL) on
PostgreSQL, where the restore goes into a separate database."""
from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from app.extensions import db
from app.models import Attachment
from app.sealed import vault
from app.services.audit import verify
from app.services.files.attachments import read_chunks
from app.services.files.hashing import sha256_of
from app.services.ops import backup
from tests.conftest import spare_app
from tests.factories import SubmissionFactory
from tests.helpers import jpeg_with_gps, pdf_bytes


@pytest.fixture
def target_app(tmp_path):
    """A second, empty instance: its own database and upload directory, the same data key."""
    with spare_app(tmp_path, "restored") as application:
        yield application


def _fill():
    """Two reports, three files, contact details, a thread, a note and an evidence hold."""
    SubmissionFactory(with_contact_details=True, with_thread=True, with_notes=True, on_hold=True,
                      files=[("증언.pdf", pdf_bytes("1")), ("사진.jpg", jpeg_with_gps())])
    SubmissionFactory(narrative="두 번째 제보", files=[("문서.pdf", pdf_bytes("2"))])


def _snapshot(app, keyring) -> dict:
    with app.app_context():
        with db.engine.connect() as connection:
            counts = backup.table_counts(connection)
        hashes = {}
        for attachment in db.session.scalars(sa.select(Attachment).order_by(Attachment.id)):
            key = vault.staff_key(keyring, attachment.submission)
            vault.open_attachment(attachment, key)
            found = sha256_of(read_chunks(attachment.stored_name, app.config["UPLOAD_DIR"], key))[1]
            hashes[attachment.id] = (found, attachment.sha256)
        chain = verify(db.session)
        db.session.rollback()
    return {"counts": counts, "hashes": hashes, "chain": (chain.ok, chain.checked)}


@pytest.mark.parametrize("migrated_first", [False, True], ids=["blank-database", "migrated-database"])
def test_backup_restore_round_trip(app, runner, target_app, tmp_path, migrated_first, org_keys):
    _fill()
    before = _snapshot(app, org_keys.keyring)
    assert before["chain"][0] and len(before["hashes"]) == 3
    assert all(found == recorded for found, recorded in before["hashes"].values())

    path = tmp_path / "backup"
    created = runner.invoke(args=["backup", "create", str(path)])
    assert created.exit_code == 0, created.output
    manifest = json.loads((path / "manifest.json").read_text())
    assert manifest["tables"]["submission"] == 2 and manifest["files"] == 3
    assert app.config["DATA_ENCRYPTION_KEY"] not in (path / "manifest.json").read_text()
    assert runner.invoke(args=["backup", "create", str(path)]).exit_code == 1  # never over an old backup

    if migrated_first:
        with target_app.app_context():
            upgrade(revision="heads")
    # With the recovery code the restore opens every file and checks it against its hash.
    restored = target_app.test_cli_runner().invoke(args=["backup", "restore", str(path), "--recovery-code-stdin"],
                                                   input=org_keys.code + "\n")
    assert restored.exit_code == 0, restored.output
    assert "file hashes" in restored.output
    after = _snapshot(target_app, org_keys.keyring)
    assert after["counts"] == before["counts"]
    assert after["hashes"] == before["hashes"]
    assert after["chain"] == before["chain"]

    again = target_app.test_cli_runner().invoke(args=["backup", "restore", str(path)])
    assert again.exit_code == 1 and "not empty" in again.output


def test_restore_refuses_a_damaged_backup_or_another_key(runner, target_app, tmp_path):
    _fill()
    path = tmp_path / "backup"
    assert runner.invoke(args=["backup", "create", str(path)]).exit_code == 0
    tar = path / "files.tar"
    data = bytearray(tar.read_bytes())
    data[600] ^= 1
    tar.write_bytes(bytes(data))
    result = target_app.test_cli_runner().invoke(args=["backup", "restore", str(path)])
    assert result.exit_code == 1 and "files.tar" in result.output

    other = tmp_path / "other"
    assert runner.invoke(args=["backup", "create", str(other)]).exit_code == 0
    manifest = json.loads((other / "manifest.json").read_text())
    manifest["key_check"] = "0" * 16
    (other / "manifest.json").write_text(json.dumps(manifest))
    result = target_app.test_cli_runner().invoke(args=["backup", "restore", str(other)])
    assert result.exit_code == 1 and "DATA_ENCRYPTION_KEY" in result.output


def test_missing_pg_dump_is_explained(app):
    with pytest.raises(backup.BackupError, match="PostgreSQL client tools"):
        backup._tool("/nonexistent/pg_dump", "pg_dump")


def _rewrite_files(path, add) -> None:
    """Replace the backup's files.tar by one that `add(archive)` writes, with a matching manifest
    (as someone who altered both would)."""
    import hashlib
    import io
    import tarfile

    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        add(archive, tarfile, io)
    (path / "files.tar").write_bytes(buffer.getvalue())
    manifest = json.loads((path / "manifest.json").read_text())
    manifest["sha256"]["files.tar"] = hashlib.sha256(buffer.getvalue()).hexdigest()
    (path / "manifest.json").write_text(json.dumps(manifest))


def _member(tarfile, io, archive, name, kind=None, target=""):
    info = tarfile.TarInfo(name)
    if kind:
        info.type, info.linkname = kind, target
        archive.addfile(info)
    else:
        info.size = 4
        archive.addfile(info, io.BytesIO(b"data"))


@pytest.mark.parametrize("python", ["3.11.4+", "3.11.2"])
@pytest.mark.parametrize("bad", ["../outside", "/etc/evil", "link", "hardlink", "fifo"])
def test_restore_refuses_an_archive_that_leads_outside_the_upload_folder(runner, target_app, tmp_path, monkeypatch,
                                                                         python, bad):
    """Python 3.11.2 (Debian 12) has no tarfile filter: the restore checks every member itself
    first, on both, and a bad member restores nothing at all."""
    import tarfile

    if python == "3.11.2":
        monkeypatch.delattr(tarfile, "data_filter", raising=False)
    _fill()
    path = tmp_path / "backup"
    assert runner.invoke(args=["backup", "create", str(path)]).exit_code == 0

    def add(archive, tarfile, io):
        _member(tarfile, io, archive, "ok-file")
        if bad == "link":
            _member(tarfile, io, archive, "innocent", tarfile.SYMTYPE, "/etc/passwd")
        elif bad == "hardlink":
            _member(tarfile, io, archive, "innocent", tarfile.LNKTYPE, "../../etc/passwd")
        elif bad == "fifo":
            _member(tarfile, io, archive, "innocent", tarfile.FIFOTYPE)
        else:
            _member(tarfile, io, archive, bad)

    _rewrite_files(path, add)
    result = target_app.test_cli_runner().invoke(args=["backup", "restore", str(path)])
    assert result.exit_code == 1 and "this backup was altered" in result.output, result.output
    assert not list(tmp_path.glob("**/ok-file")) and not (tmp_path / "outside").exists()
    with target_app.app_context():  # the database was not restored either
        assert "attachment" not in sa.inspect(db.engine).get_table_names() or db.session.scalar(
            sa.select(sa.func.count()).select_from(Attachment)) == 0


def test_restore_works_without_the_tarfile_filter(app, runner, target_app, tmp_path, monkeypatch, org_keys):
    """The round trip on Debian 12's Python 3.11.2, which lacks tarfile's filter= (3.11.4)."""
    import tarfile

    monkeypatch.delattr(tarfile, "data_filter", raising=False)
    _fill()
    path = tmp_path / "backup"
    assert runner.invoke(args=["backup", "create", str(path)]).exit_code == 0
    restored = target_app.test_cli_runner().invoke(args=["backup", "restore", str(path), "--recovery-code-stdin"],
                                                  input=org_keys.code + "\n")
    assert restored.exit_code == 0, restored.output
    assert _snapshot(target_app, org_keys.keyring)["hashes"] == _snapshot(app, org_keys.keyring)["hashes"]
