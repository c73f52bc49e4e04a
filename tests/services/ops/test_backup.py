"""Backups through the real commands: `backup create` writes one file encrypted to the
organization key (no plaintext in it), `backup restore` with the recovery code restores into
scratch places and switches only when everything checks out, `backup drill` finds a damaged
backup. On SQLite and (with TEST_DATABASE_URL) on PostgreSQL."""
from __future__ import annotations

import io
import json
import os
import tarfile
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from app.extensions import db
from app.models import Attachment, AuditEvent, Submission
from app.sealed import backups as sealed
from app.sealed import vault
from app.services.audit import verify
from app.services.files.attachments import read_chunks
from app.services.files.hashing import sha256_of
from app.services.ops import backup, backup_file
from tests.conftest import spare_app
from tests.factories import SubmissionFactory
from tests.helpers import jpeg_with_gps, pdf_bytes

NARRATIVE = "보위부 구류장에서 조사를 받으며 고문을 당했다고 증언합니다 (backup test)"
PDF = pdf_bytes("backup-test-file-7Q3")


@pytest.fixture
def target_app(tmp_path):
    """A second instance: its own database and upload directory, the same data key."""
    with spare_app(tmp_path, "restored") as application:
        application.config["BACKUP_SCRATCH_DB_PREFIX"] = "helper_backup_"
        yield application


@pytest.fixture(autouse=True)
def scratch_prefix(app):
    app.config["BACKUP_SCRATCH_DB_PREFIX"] = "helper_backup_"


def _fill():
    """Two reports, three files, contact details, a thread, a note and an evidence hold."""
    SubmissionFactory(narrative=NARRATIVE, with_contact_details=True, with_thread=True, with_notes=True, on_hold=True,
                      files=[("증언.pdf", PDF), ("사진.jpg", jpeg_with_gps())])
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
    counts.pop("app_setting", None)  # the backup's own record is written after the copy
    return {"counts": counts, "hashes": hashes, "chain": (chain.ok, chain.checked)}


def _create(runner, folder: Path) -> Path:
    made = runner.invoke(args=["backup", "create", str(folder)])
    assert made.exit_code == 0, made.output
    return backup_file.backups_in(folder)[-1]


def _uploads(app) -> dict[str, bytes]:
    root = Path(app.config["UPLOAD_DIR"])
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()} if root.exists() else {}


def _submissions(app) -> int:
    with app.app_context():
        if "submission" not in sa.inspect(db.engine).get_table_names():
            return -1
        count = db.session.scalar(sa.select(sa.func.count()).select_from(Submission))
        db.session.rollback()
        db.engine.dispose()
        return count


def test_a_backup_is_one_file_without_plaintext(app, runner, tmp_path, org_keys):
    _fill()
    path = _create(runner, tmp_path / "backups")
    assert path.name.startswith("moksori-") and path.name.endswith(".backup")
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    data = path.read_bytes()
    for plain in (NARRATIVE.encode(), NARRATIVE[:10].encode(), PDF[:64], PDF[-64:], b"SQLite format 3\x00", b"PGDMP",
                  b"ustar", b"manifest.json", b"files.tar", b"submission"):
        assert plain not in data, plain
    # The size is a multiple of an eighth of its power of two (at least 1 MiB): the order of magnitude.
    body = 8 + int.from_bytes(data[4:8], "big")
    assert data[body:body + 4] == b"MKS2" and (len(data) - body - 12) // (1024 * 1024 + 16) >= 1
    # The staging folder is gone; the record the admin page shows is there.
    assert [p.name for p in path.parent.iterdir()] == [path.name]
    with app.app_context():
        assert backup_file.status(db.session)["backup"]["name"] == path.name


def test_restore_with_the_code_into_fresh_places(app, runner, target_app, tmp_path, org_keys):
    _fill()
    before = _snapshot(app, org_keys.keyring)
    assert before["chain"][0] and len(before["hashes"]) == 3
    path = _create(runner, tmp_path / "backups")
    with target_app.app_context():
        upgrade(revision="heads")  # a migrated, empty instance
    cli = target_app.test_cli_runner()
    restored = cli.invoke(args=["backup", "restore", str(path)], input=org_keys.code + "\n")
    assert restored.exit_code == 0, restored.output
    assert "file hashes and the audit chain match" in restored.output
    _drop_aside(target_app, restored.output)
    after = _snapshot(target_app, org_keys.keyring)
    assert _restored_event(target_app) == ("cli", "backup.restored", path.name)
    assert after == _plus_one_event(before)
    assert not list(Path(target_app.config["UPLOAD_DIR"]).parent.glob(".moksori-restore-*"))
    for file in Path(target_app.config["UPLOAD_DIR"]).rglob("*"):
        assert file.stat().st_uid == os.getuid()
        assert file.stat().st_mode & 0o077 == 0

    # Over a filled instance only with --replace; what was there is kept aside.
    again = cli.invoke(args=["backup", "restore", str(path)], input=org_keys.code + "\n")
    assert again.exit_code == 1 and "not empty" in again.output and "--replace" in again.output
    replaced = cli.invoke(args=["backup", "restore", str(path), "--replace"], input=org_keys.code + "\n")
    assert replaced.exit_code == 0, replaced.output
    assert "kept aside" in replaced.output
    assert _snapshot(target_app, org_keys.keyring) == _plus_one_event(before)
    _drop_aside(target_app, replaced.output)


def _plus_one_event(snapshot: dict) -> dict:
    """What a restore gives back: the backup's data, and one more audit event saying so."""
    ok, checked = snapshot["chain"]
    counts = {**snapshot["counts"], "audit_event": snapshot["counts"]["audit_event"] + 1}
    return {**snapshot, "counts": counts, "chain": (ok, checked + 1)}


def _restored_event(application) -> tuple:
    with application.app_context():
        event = db.session.scalars(sa.select(AuditEvent).order_by(AuditEvent.id.desc())).first()
        found = (event.actor, event.action, event.target_id)
        db.session.rollback()
        db.engine.dispose()
        return found


def _drop_aside(application, output: str) -> None:
    """Databases a PostgreSQL restore kept aside are this test's to drop."""
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        return
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        for line in output.splitlines():
            if "kept aside" in line and "database " in line:
                name = line.split("database ", 1)[1].strip()
                connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
    engine.dispose()


def test_wrong_code_truncated_or_tampered_backups_are_refused_before_anything_is_switched(
        app, runner, target_app, tmp_path, org_keys):
    _fill()
    path = _create(runner, tmp_path / "backups")
    SubmissionFactory(narrative="이미 있는 제보", files=[("있던.pdf", pdf_bytes("live"))])
    with target_app.app_context():
        upgrade(revision="heads")
    # The target holds data of its own, which every refused restore must leave as it was.
    target_uploads = Path(target_app.config["UPLOAD_DIR"])
    target_uploads.mkdir(parents=True, exist_ok=True)
    (target_uploads / "live-file").write_bytes(b"live")
    cli = target_app.test_cli_runner()
    data = path.read_bytes()
    segment = 1024 * 1024 + 16
    body = data.index(b"MKS2") + 12
    whole_segments = data[:body + (len(data) - body - 1) // segment * segment]  # the final segment dropped
    middle = len(data) // 2
    cases = {"wrong code": (data, "0000-0000-0000-0000-0000-0000"),
             "truncated": (data[:-4096], org_keys.code),
             "cut after a segment": (whole_segments if len(whole_segments) > body else data[:body], org_keys.code),
             "flipped body byte": (data[:middle] + bytes([data[middle] ^ 1]) + data[middle + 1:], org_keys.code),
             "header altered": (data.replace(b'"date":"', b'"date":"1', 1), org_keys.code)}
    for label, (content, code) in cases.items():
        broken = tmp_path / f"broken-{label.replace(' ', '-')}.backup"
        broken.write_bytes(content)
        result = cli.invoke(args=["backup", "restore", str(broken), "--replace"], input=code + "\n")
        assert result.exit_code == 1, (label, result.output)
        assert "nothing was switched" in result.output and f"moksori backup restore {broken}" in result.output, label
        if label == "wrong code":
            assert "does not open" in result.output
        assert _uploads(target_app) == {"live-file": b"live"}, label
        assert _submissions(target_app) == 0, label
        assert not list(target_uploads.parent.glob(".moksori-restore-*")), label


@pytest.mark.parametrize("where", ["database", "files", "check"])
def test_a_failure_halfway_changes_nothing_and_says_what_to_run(app, runner, target_app, tmp_path, org_keys,
                                                               monkeypatch, where):
    _fill()
    path = _create(runner, tmp_path / "backups")
    with target_app.app_context():
        upgrade(revision="heads")
    live_before = _snapshot(target_app, org_keys.keyring)
    target_uploads = Path(target_app.config["UPLOAD_DIR"])
    target_uploads.mkdir(parents=True, exist_ok=True)
    (target_uploads / "live-file").write_bytes(b"live")

    def fail(*args, **kwargs):
        raise OSError(28, "No space left on device")

    target = {"database": "_load_sqlite" if not os.environ.get("TEST_DATABASE_URL") else "_load_postgresql",
              "files": "safe_members", "check": "check_files"}[where]
    monkeypatch.setattr(backup, target, fail)
    result = target_app.test_cli_runner().invoke(args=["backup", "restore", str(path), "--replace"],
                                                 input=org_keys.code + "\n")
    assert result.exit_code == 1
    assert "nothing was switched" in result.output and "No space left" in result.output
    assert f"run: moksori backup restore {path} --replace" in result.output
    assert _uploads(target_app) == {"live-file": b"live"}
    assert _snapshot(target_app, org_keys.keyring) == live_before
    assert not list(target_uploads.parent.glob(".moksori-restore-*"))
    assert not list(target_uploads.parent.glob("*.before-restore-*"))
    url = os.environ.get("TEST_DATABASE_URL")
    if url:  # the scratch database was dropped
        engine = sa.create_engine(url)
        with engine.connect() as connection:
            left = connection.scalars(sa.text("SELECT datname FROM pg_database WHERE datname LIKE 'helper_backup_%'"))
            assert list(left) == []
        engine.dispose()


class PowerLost(BaseException):
    """A crash: not an Exception, so no handler of the restore sees it (as with a killed process)."""


def test_a_restore_cut_off_while_switching_is_finished_by_finish_restore(app, runner, target_app, tmp_path, org_keys,
                                                                         monkeypatch):
    _fill()
    before = _snapshot(app, org_keys.keyring)
    path = _create(runner, tmp_path / "backups")
    with target_app.app_context():
        upgrade(revision="heads")
    target_uploads = Path(target_app.config["UPLOAD_DIR"])
    target_uploads.mkdir(parents=True, exist_ok=True)
    (target_uploads / "live-file").write_bytes(b"live")

    # The power goes out after the database and the live folder were switched, before the
    # restored folder is moved in: the clean-up a crash skips is skipped too.
    real_rename = os.rename

    def rename(source, target):
        if Path(target) == target_uploads:
            raise PowerLost()
        real_rename(source, target)

    monkeypatch.setattr(backup_file.os, "rename", rename)
    monkeypatch.setattr(backup_file.shutil, "rmtree", lambda *args, **kwargs: None)
    cli = target_app.test_cli_runner()
    with pytest.raises(PowerLost):
        cli.invoke(args=["backup", "restore", str(path), "--replace"], input=org_keys.code + "\n")
    monkeypatch.undo()
    app.config["BACKUP_SCRATCH_DB_PREFIX"] = target_app.config["BACKUP_SCRATCH_DB_PREFIX"] = "helper_backup_"
    assert not target_uploads.exists() and backup_file.interrupted_switch(target_uploads) is not None

    # Everything says what to do, and another restore will not start over it.
    doctor = cli.invoke(args=["doctor"])
    assert "backup finish-restore" in doctor.output and doctor.exit_code == 2
    again = cli.invoke(args=["backup", "restore", str(path), "--replace"], input=org_keys.code + "\n")
    assert again.exit_code == 1 and "finish-restore" in again.output

    finished = cli.invoke(args=["backup", "finish-restore"])
    assert finished.exit_code == 0 and "is finished" in finished.output, finished.output
    assert "kept aside" in finished.output
    assert backup_file.interrupted_switch(target_uploads) is None
    assert not list(target_uploads.parent.glob(".moksori-restore-*"))
    _drop_aside(target_app, finished.output)
    assert _snapshot(target_app, org_keys.keyring) == _plus_one_event(before)
    assert _restored_event(target_app)[:2] == ("cli", "backup.restored")
    assert cli.invoke(args=["backup", "finish-restore"]).output.startswith("no restore was cut off")


def test_drill_reports_ok_and_catches_a_tampered_file(app, runner, tmp_path, org_keys, client, auth):
    _fill()
    folder = tmp_path / "backups"
    app.config["BACKUP_DIR"] = str(folder)
    _create(runner, folder)
    drill = runner.invoke(args=["backup", "drill"], input=org_keys.code + "\n")
    assert drill.exit_code == 0, drill.output
    assert "full drill ok" in drill.output and "3 files opened" in drill.output
    assert [p.name for p in folder.iterdir()] == [backup_file.backups_in(folder)[-1].name]  # cleaned up
    unattended = runner.invoke(args=["backup", "drill", "--without-code"])
    assert unattended.exit_code == 0 and "contents not opened" in unattended.output, unattended.output
    with app.app_context():  # each made, and each drill with its kind and result, is in the audit chain
        events = [(e.action, json.loads(e.details)) for e in db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.target_type == "backup").order_by(AuditEvent.id))]
        db.session.rollback()
    assert [action for action, _ in events] == ["backup.created", "backup.drilled", "backup.drilled"]
    assert [details.get("kind") for _, details in events[1:]] == ["full", "structure"]
    assert all(details.get("ok") for _, details in events[1:]) and events[0][1]["files"] == 3

    auth.login(role="admin")
    html = client.get("/admin/settings").get_data(as_text=True)
    assert "가장 최근 백업: moksori-" in html and "전체 복원 점검" in html
    assert "복구 코드 없이 한 마지막 월간 확인" in html
    assert "성공" in html and "notice error" not in html

    # An encrypted file damaged on the server before the backup: the full drill names it.
    with app.app_context():
        attachment = db.session.scalars(sa.select(Attachment).order_by(Attachment.id)).first()
        stored = next(Path(app.config["UPLOAD_DIR"]).rglob(attachment.stored_name))
        damaged = attachment.id
        db.session.rollback()
    content = bytearray(stored.read_bytes())
    content[40] ^= 1
    stored.write_bytes(bytes(content))
    newest = _create(runner, folder)
    failed = runner.invoke(args=["backup", "drill"], input=org_keys.code + "\n")
    assert failed.exit_code == 1 and f"attachment {damaged}" in failed.output, failed.output
    html = client.get("/admin/settings").get_data(as_text=True)
    assert "실패" in html and f"attachment {damaged}" in html

    # A byte changed in the backup file itself: the drill without the code sees it from the SHA-256.
    data = bytearray(newest.read_bytes())
    data[-100] ^= 1
    newest.write_bytes(bytes(data))
    assert runner.invoke(args=["backup", "drill", "--without-code"]).exit_code == 1
    assert runner.invoke(args=["backup", "drill"], input=org_keys.code + "\n").exit_code == 1


def test_old_backups_are_removed_after_keep_days_but_never_the_newest(app, tmp_path, org_keys):
    from datetime import timedelta

    from app.models.base import utcnow

    _fill()
    folder = tmp_path / "backups"
    with app.app_context():
        now = utcnow()
        for days_ago in (20, 15, 3):
            backup_file.make(db.session, app.config["UPLOAD_DIR"], folder, None, now=now - timedelta(days=days_ago))
        made = backup_file.make(db.session, app.config["UPLOAD_DIR"], folder, 14, now=now)
        assert len(made.removed) == 2
        assert len(backup_file.backups_in(folder)) == 2
        oldest, newest = backup_file.backups_in(folder)
        assert backup_file.prune(folder, 1, now + timedelta(days=30)) == [oldest.name]
        assert backup_file.backups_in(folder) == [newest]


def test_a_backup_forged_with_the_public_key_is_still_checked(app, runner, target_app, tmp_path, org_keys):
    """Anyone with the public key (and the recovery wrap, which the database holds) can make a
    file that decrypts: the restore still checks the archive, its members and the audit chain."""
    _fill()
    staging = tmp_path / "forged"
    with app.app_context():
        backup.create(db.session, app.config["UPLOAD_DIR"], staging / "backup")
        with tarfile.open(staging / "backup" / "files.tar", "a") as archive:
            info = tarfile.TarInfo("../outside")
            info.size = 4
            archive.addfile(info, io.BytesIO(b"data"))
        import json
        manifest = json.loads((staging / "backup" / "manifest.json").read_text())
        manifest["sha256"]["files.tar"] = backup.sha256_file(staging / "backup" / "files.tar")
        (staging / "backup" / "manifest.json").write_text(json.dumps(manifest))
        backup_file._archive(staging / "backup", staging / "archive.tar")
        header, file_key = sealed.new_header(db.session, "2026-01-01")
        db.session.rollback()
    forged = tmp_path / "moksori-2026-01-01.backup"
    with open(staging / "archive.tar", "rb") as source, open(forged, "wb") as out:
        sealed.write(source, out, header, file_key)
    result = target_app.test_cli_runner().invoke(args=["backup", "restore", str(forged)], input=org_keys.code + "\n")
    assert result.exit_code == 1 and "this backup was altered" in result.output, result.output
    assert not (tmp_path / "outside").exists() and _uploads(target_app) == {}


def test_missing_pg_dump_is_explained(app):
    with pytest.raises(backup.BackupError, match="PostgreSQL client tools"):
        backup._tool("/nonexistent/pg_dump", "pg_dump")


def test_after_a_recovery_code_rotation_old_backups_open_with_the_old_code_elsewhere(
        app, runner, target_app, tmp_path, org_keys):
    _fill()
    folder = tmp_path / "backups"
    app.config["BACKUP_DIR"] = str(folder)
    old = _create(runner, folder)
    rotated = runner.invoke(args=["keys", "rotate-recovery", "--no-backup-now"], input=org_keys.code + "\n")
    assert rotated.exit_code == 0, rotated.output
    assert "open only with" in rotated.output and "--backup-now" in rotated.output
    new_code = rotated.output.split("RECOVERY CODE / 복구 코드", 1)[1].split()[0]
    assert new_code != org_keys.code
    # On this server today's code opens the old backup (the same key pair, re-wrapped) ...
    drill = runner.invoke(args=["backup", "drill", str(old)], input=new_code + "\n")
    assert drill.exit_code == 0, drill.output
    # ... on a new server only the code that was current when it was made.
    cli = target_app.test_cli_runner()
    refused = cli.invoke(args=["backup", "restore", str(old)], input=new_code + "\n")
    assert refused.exit_code == 1 and "does not open" in refused.output
    restored = cli.invoke(args=["backup", "restore", str(old)], input=org_keys.code + "\n")
    assert restored.exit_code == 0, restored.output
    _drop_aside(target_app, restored.output)

    # --backup-now makes one that opens with the new code anywhere.
    again = runner.invoke(args=["keys", "rotate-recovery", "--backup-now"], input=new_code + "\n")
    assert again.exit_code == 0 and "it opens with the new code" in again.output, again.output
    newest_code = again.output.split("RECOVERY CODE / 복구 코드", 1)[1].split()[0]
    newest = backup_file.backups_in(folder)[-1]
    assert newest != old
    replaced = cli.invoke(args=["backup", "restore", str(newest), "--replace"], input=newest_code + "\n")
    assert replaced.exit_code == 0, replaced.output
    _drop_aside(target_app, replaced.output)


def test_the_admin_page_warns_of_an_old_backup_and_an_overdue_drill(app, runner, tmp_path, org_keys):
    from datetime import timedelta

    from app.models.base import utcnow

    _fill()
    folder = tmp_path / "backups"
    app.config["BACKUP_DIR"] = str(folder)
    _create(runner, folder)
    assert runner.invoke(args=["backup", "drill"], input=org_keys.code + "\n").exit_code == 0
    with app.app_context():
        fresh = backup_file.page_status(db.session)
        later = backup_file.page_status(db.session, utcnow() + timedelta(days=36))
        db.session.rollback()
    assert not fresh["backup"]["stale"] and not fresh["full"]["stale"] and fresh["structure"] is None
    assert later["backup"]["stale"] and later["full"]["stale"] and later["backup"]["age"] > timedelta(days=35)
