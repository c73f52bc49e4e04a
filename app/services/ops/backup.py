"""Backups: a consistent copy of the database and the encrypted files, and loading one.

This is the inside of a backup: backup_file.py puts this directory into one file encrypted to
the organization key, and restores and drills through scratch places. The directory is:
  manifest.json      format, time, database kind, migration revision, row count per table,
                     SHA-256 of the two files below, and a check value of the data key
  database.sqlite3   SQLite: written with SQLite's online backup API (consistent while in use)
  database.pgdump    PostgreSQL: `pg_dump --format=custom`, taken in an exported snapshot so
                     the row counts in the manifest describe exactly what was dumped
  files.tar          UPLOAD_DIR as it is: the files stay encrypted
The data key is never written into a backup: a restore needs DATA_ENCRYPTION_KEY besides the
recovery code (SECURITY.md "Backups"). Backups and purges take the same
maintenance lock, so a purge never deletes files between the database copy and the tar.
"""
from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess  # nosec B404 # pg_dump and pg_restore, run without a shell (_run)
import tarfile
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session, joinedload

from app.models import Attachment, Base
from app.models.base import engine_of, utcnow
from app.sealed import installation, vault
from app.sealed.keys import Keyring
from app.services import audit
from app.services.files.attachments import read_chunks
from app.services.files.hashing import sha256_file, sha256_of
from app.services.ops.retention import LOCK_FILE, maintenance_lock

FORMAT = "moksori-backup/1"
MANIFEST = "manifest.json"
FILES = "files.tar"
DUMPS = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
# Rows a freshly migrated instance already has: restoring over them is still "into an empty instance".
SEEDED_TABLES = {"category", "alembic_version"}


class BackupError(RuntimeError):
    """A backup or restore that cannot go ahead; the message says why and what to do."""


key_check = installation.key_check



def table_counts(connection) -> dict[str, int]:
    names = sa.inspect(connection).get_table_names()
    return {name: connection.scalar(sa.select(sa.func.count()).select_from(sa.table(name))) for name in sorted(names)}


def _revisions(counts: dict, connection) -> list[str]:
    if "alembic_version" not in counts:
        return []
    return sorted(connection.scalars(sa.text("SELECT version_num FROM alembic_version")))


def _pg_args(url: sa.engine.URL) -> tuple[list[str], dict]:
    """libpq arguments; the password goes through the environment, never the command line."""
    args = []
    if url.host:
        args += ["--host", url.host]
    if url.port:
        args += ["--port", str(url.port)]
    if url.username:
        args += ["--username", url.username]
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = url.password
    return args, env


def _tool(program: str, label: str) -> str:
    path = shutil.which(program)
    if path is None:
        raise BackupError(
            f"{label} was not found (looked for {program!r}). PostgreSQL backups need the PostgreSQL client "
            f"tools of the server's major version: install them (Debian: apt-get install postgresql-client) "
            f"or set the {label.upper()} environment variable to the program's path.")
    return path


def _run(command: list[str], env: dict) -> None:
    # An argument list without a shell: the program is pg_dump or pg_restore (or what the operator set
    # in PG_DUMP/PG_RESTORE); the arguments are paths and the database URL this code built.
    done = subprocess.run(command, env=env, capture_output=True, text=True)  # nosec B603
    if done.returncode != 0:
        raise BackupError(f"{Path(command[0]).name} failed (exit {done.returncode}): {done.stderr.strip()[-2000:]}")


def _dump_sqlite(engine: sa.Engine, target: Path) -> tuple[dict, list[str]]:
    source_path = engine.url.database
    if not source_path or source_path == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up")
    source, copy = sqlite3.connect(source_path), sqlite3.connect(target)
    try:
        source.backup(copy)  # the online backup API: a consistent copy while the portal runs
    finally:
        source.close()
        copy.close()
    copy_engine = sa.create_engine(f"sqlite:///{target}", hide_parameters=True)
    try:
        with copy_engine.connect() as connection:
            counts = table_counts(connection)
            return counts, _revisions(counts, connection)
    finally:
        copy_engine.dispose()


def _dump_postgresql(engine: sa.Engine, target: Path, pg_dump: str) -> tuple[dict, list[str]]:
    program = _tool(pg_dump, "pg_dump")
    args, env = _pg_args(engine.url)
    with engine.connect().execution_options(isolation_level="REPEATABLE READ") as connection, connection.begin():
        snapshot = connection.scalar(sa.text("SELECT pg_export_snapshot()"))
        counts = table_counts(connection)
        revisions = _revisions(counts, connection)
        # pg_dump joins our snapshot: it dumps exactly the rows just counted.
        _run([program, "--format=custom", "--no-owner", "--no-privileges", f"--snapshot={snapshot}",
              "--file", str(target), *args,
              engine.url.database], env)  # type: ignore[list-item]  # our URLs name a database; None would fail
    return counts, revisions


def _tar_files(upload_dir: Path, target: Path) -> int:
    count = 0
    with tarfile.open(target, "w") as archive:
        for path in sorted(upload_dir.rglob("*")):
            if path.is_file() and path.name != LOCK_FILE and path.suffix != ".part":
                archive.add(path, arcname=str(path.relative_to(upload_dir)), recursive=False)
                count += 1
    return count


def create(session: Session, upload_dir: str, target: str | Path, pg_dump: str = "pg_dump") -> dict:
    """Write a backup directory at `target` (new or empty); returns its manifest."""
    target = Path(target)
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise BackupError(f"{target} exists and is not an empty directory")
    engine = engine_of(session)
    dialect = engine.dialect.name
    if dialect not in DUMPS:
        raise BackupError(f"backups support SQLite and PostgreSQL, not {dialect}")
    target.mkdir(parents=True, exist_ok=True)
    # Accounts and narratives are in clear in the database copy: owner-only, like instance/.
    target.chmod(0o700)
    with maintenance_lock(session, upload_dir):
        session.rollback()
        dump = target / DUMPS[dialect]
        if dialect == "sqlite":
            counts, revisions = _dump_sqlite(engine, dump)
        else:
            counts, revisions = _dump_postgresql(engine, dump, pg_dump)
        file_count = _tar_files(Path(upload_dir), target / FILES)
    manifest = {
        "format": FORMAT, "created_at": utcnow().isoformat(), "database": dialect, "revisions": revisions,
        "tables": counts, "files": file_count, "key_check": key_check(),
        "sha256": {dump.name: sha256_file(dump), FILES: sha256_file(target / FILES)},
        "note": "The data key (DATA_ENCRYPTION_KEY) is not in this backup; restore needs the same key.",
    }
    (target / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
    for path in target.iterdir():
        path.chmod(0o600)
    return manifest


def _read_manifest(source: Path) -> dict:
    try:
        manifest = json.loads((source / MANIFEST).read_text())
    except (OSError, ValueError) as exc:
        raise BackupError(f"{source / MANIFEST} is missing or unreadable: {exc}") from exc
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{source} is not a Moksori backup (format {manifest.get('format')!r})")
    for name, expected in manifest["sha256"].items():
        if not (source / name).is_file() or sha256_file(source / name) != expected:
            raise BackupError(f"{name} is missing or does not match its SHA-256 in the manifest")
    return manifest


def _refuse_unless_empty(engine: sa.Engine, upload_dir: Path, manifest: dict) -> None:
    with engine.connect() as connection:
        counts = table_counts(connection)
        revisions = _revisions(counts, connection)
    # The models' tables only: a search index keeps bookkeeping rows even when it is empty.
    filled = [name for name in Base.metadata.tables if counts.get(name) and name not in SEEDED_TABLES]
    if filled:
        raise BackupError(f"this instance is not empty ({', '.join(filled)} have rows); restore only into an empty one")
    if revisions and revisions != manifest["revisions"]:
        raise BackupError(f"this database is migrated to {revisions}, the backup is at {manifest['revisions']}: "
                          "restore into a database that is not migrated yet, then run `moksori db upgrade`")
    if any(p.is_file() and p.name != LOCK_FILE for p in upload_dir.rglob("*")):
        raise BackupError(f"{upload_dir} already holds files; restore only into an empty instance")


def _load_sqlite(engine: sa.Engine, dump: Path) -> None:
    target = engine.url.database
    if not target or target == ":memory:":
        raise BackupError("cannot restore into an in-memory SQLite database")
    engine.dispose()  # no pooled connection may keep the old schema cached
    source, destination = sqlite3.connect(dump), sqlite3.connect(target)
    try:
        source.backup(destination)
    finally:
        source.close()
        destination.close()
    engine.dispose()


def _load_postgresql(engine: sa.Engine, dump: Path, pg_restore: str) -> None:
    program = _tool(pg_restore, "pg_restore")
    args, env = _pg_args(engine.url)
    engine.dispose()
    # --clean drops the empty tables a migrated instance already has; one transaction, so a
    # failed restore leaves the database as it was.
    _run([program, "--clean", "--if-exists", "--no-owner", "--no-privileges", "--single-transaction",
          "--exit-on-error", *args, "--dbname",
          engine.url.database, str(dump)], env)  # type: ignore[list-item]  # our URLs name a database; None would fail
    engine.dispose()


def restore(session: Session, upload_dir: str, source: str | Path, pg_restore: str = "pg_restore") -> list[str]:
    """Restore a backup into this empty instance; returns what differs afterwards (nothing, normally)."""
    source, uploads = Path(source), Path(upload_dir)
    manifest = _read_manifest(source)
    engine = engine_of(session)
    if engine.dialect.name != manifest["database"]:
        raise BackupError(f"the backup is of a {manifest['database']} database, "
                          f"this instance uses {engine.dialect.name}")
    if manifest["key_check"] != key_check():
        raise BackupError("this instance has a different DATA_ENCRYPTION_KEY: the restored files and contact "
                          "details could not be read. Set the key the backup was made with.")
    with tarfile.open(source / FILES) as archive:
        safe_members(archive)  # before anything is restored: a bad archive changes nothing
    uploads.mkdir(parents=True, exist_ok=True)
    session.close()
    with maintenance_lock(session, upload_dir):
        _refuse_unless_empty(engine, uploads, manifest)
        dump = source / DUMPS[manifest["database"]]
        if manifest["database"] == "sqlite":
            _load_sqlite(engine, dump)
        else:
            _load_postgresql(engine, dump, pg_restore)
        with tarfile.open(source / FILES) as archive:
            extract_safely(archive, uploads)
    session.close()
    return check(session, upload_dir, manifest)


def extract_safely(archive: tarfile.TarFile, destination: Path | str) -> None:
    """Extract an archive's members, each checked by safe_members() first."""
    members = safe_members(archive)
    if hasattr(tarfile, "data_filter"):  # Python 3.11.4+: CPython's own checks as well
        archive.extractall(destination, members=members, filter="data")
    else:  # Debian 12's 3.11.2: safe_members() alone (regular files and folders only)
        archive.extractall(destination, members=members)  # nosec B202 # every member checked above


def safe_members(archive: tarfile.TarFile) -> list[tarfile.TarInfo]:
    """The archive's members, each checked as `filter="data"` would (which Python has only
    from 3.11.4; Debian 12 ships 3.11.2): a regular file or a folder (no link, device or
    fifo) with a relative name without ".." or backslash; modes become 0600 and 0700. Our backups hold
    only encrypted files under random names, so anything else means the archive was altered."""
    members = archive.getmembers()
    for member in members:
        name = member.name
        parts = Path(name).parts
        if not (member.isfile() or member.isdir()):
            raise BackupError(f"{FILES} holds {name!r}, which is not a regular file or folder (a link or device): "
                              "this backup was altered; it is not restored")
        if not name or Path(name).is_absolute() or ".." in parts or "\\" in name:
            raise BackupError(f"{FILES} holds {name!r}, whose name leads outside the upload folder: this backup "
                              "was altered; it is not restored")
        member.mode = 0o600 if member.isfile() else 0o700  # as the app writes them (UMask=0077)
    return members


def check(session: Session, upload_dir: str, manifest: dict) -> list[str]:
    """Compare the restored instance with the manifest: rows and the audit chain. (The files
    are sealed: check_files opens them with the keys the recovery code unlocks.)"""
    problems = []
    with engine_of(session).connect() as connection:
        counts = table_counts(connection)
    for table, expected in manifest["tables"].items():
        if counts.get(table) != expected:
            problems.append(f"table {table}: {counts.get(table)} rows, the backup had {expected}")
    chain = audit.verify(session)
    if not chain.ok:
        problems.append(f"audit chain broken at event {chain.first_bad_id}: {chain.problem}")
    session.rollback()
    return problems


def check_files(session: Session, upload_dir: str, keyring: Keyring) -> list[str]:
    """Open every file with its submission's key and compare it with the SHA-256 recorded at intake."""
    problems = []
    for attachment in session.scalars(sa.select(Attachment).options(joinedload(Attachment.submission))
                                      .order_by(Attachment.id)):
        try:
            key = vault.staff_key(keyring, attachment.submission)
            vault.open_attachment(attachment, key)
            _, digest = sha256_of(read_chunks(attachment.stored_name, upload_dir, key))
        except Exception as exc:  # missing or damaged file: report it, check the rest
            problems.append(f"attachment {attachment.id}: cannot be read ({type(exc).__name__})")
            continue
        if digest != attachment.sha256:
            problems.append(f"attachment {attachment.id}: SHA-256 differs from the one recorded at intake")
    session.rollback()
    return problems
