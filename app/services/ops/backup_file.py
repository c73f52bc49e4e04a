"""Backups as a procedure: one encrypted file per backup, kept N days, restored atomically,
and drilled (README "Backups"; SECURITY.md "Backups").

make()     the backup directory of backup.create (database copy, files.tar, manifest) is made in
           a staging folder beside BACKUP_DIR's files, put in one tar padded with zeros, encrypted
           to the org public key (app/sealed/backups.py) into `moksori-YYYY-MM-DD.backup`, and the
           staging folder removed. The last backup (name, time, size, SHA-256 of the ciphertext)
           is recorded for the admin page and for the drill without the code.
restore()  decrypt and check everything into a scratch database and a scratch folder; only when
           every row count, file hash and the audit chain agree is the live database and folder
           switched (the old ones kept aside). A failure before the switch changes nothing.
drill()    the same into scratch places that are always removed, and a record of the result.
"""
from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import tarfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.models import Base
from app.models.base import engine_of, utcnow
from app.sealed import backups as sealed
from app.sealed import keys
from app.services import settings
from app.services.files.hashing import sha256_file
from app.services.ops import backup
from app.services.ops.backup import DUMPS, FILES, MANIFEST, BackupError
from app.services.ops.retention import LOCK_FILE

NAME = re.compile(r"^moksori-(\d{4}-\d{2}-\d{2})(?:-(\d+))?\.backup$")
LAST_BACKUP, LAST_DRILL, MADE = "backup.last", "backup.last_drill.", "backup.made"  # LAST_DRILL + kind
DRILL_KINDS = ("full", "structure")
ARCHIVE = "archive.tar"


@dataclass
class Made:
    path: Path
    manifest: dict
    size: int
    sha256: str
    removed: list[str] = field(default_factory=list)


def _private_dir(path: Path) -> Path:
    path.mkdir(mode=0o700, parents=True)
    return path


def backups_in(folder: str | Path) -> list[Path]:
    """Backup files in `folder`, oldest first (by the date in the name, then the number)."""
    found = []
    for path in Path(folder).glob("moksori-*.backup"):
        match = NAME.match(path.name)
        if match:
            found.append((match.group(1), int(match.group(2) or 1), path))
    return [path for _, _, path in sorted(found)]


def _free_name(folder: Path, day: date) -> Path:
    path, number = folder / f"moksori-{day.isoformat()}.backup", 1
    while path.exists():
        number += 1
        path = folder / f"moksori-{day.isoformat()}-{number}.backup"
    return path


def _remove_leftovers(folder: Path) -> None:
    """Staging folders and unfinished files of a run that was killed."""
    for path in folder.glob(".staging-*"):
        shutil.rmtree(path, ignore_errors=True)
    for path in folder.glob("moksori-*.backup.part"):
        path.unlink(missing_ok=True)


def _archive(staging: Path, target: Path) -> None:
    """The backup directory as one tar, padded with zeros to its size class."""
    with tarfile.open(target, "w") as archive:
        for name in (MANIFEST, *[n for n in DUMPS.values() if (staging / n).exists()], FILES):
            archive.add(staging / name, arcname=name, recursive=False)
    with open(target, "r+b") as handle:
        handle.truncate(sealed.padded_archive_length(target.stat().st_size))


def make(session: Session, upload_dir: str, backup_dir: str | Path, keep_days: int | None = None,
         pg_dump: str = "pg_dump", now: datetime | None = None) -> Made:
    """Write one encrypted backup into `backup_dir`; then remove those older than keep_days
    (never the newest). Needs the organization's keys to exist (their public half)."""
    folder, now = Path(backup_dir), now or utcnow()
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    _remove_leftovers(folder)
    if not keys.keys_exist(session):
        raise BackupError("the organization's keys do not exist yet, and a backup is sealed to them: create the "
                          "first admin (`moksori users create EMAIL --role admin`) first")
    staging = folder / f".staging-{secrets.token_hex(6)}"
    target = _free_name(folder, now.date())
    part = target.with_name(target.name + ".part")
    try:
        manifest = backup.create(session, upload_dir, staging / "backup", pg_dump)
        _archive(staging / "backup", staging / ARCHIVE)
        header, file_key = sealed.new_header(session, now.date().isoformat())
        session.rollback()
        with open(staging / ARCHIVE, "rb") as source, open(os.open(part, os.O_WRONLY | os.O_CREAT | os.O_EXCL,
                                                                   0o600), "wb") as out:
            sealed.write(source, out, header, file_key)
            out.flush()
            os.fsync(out.fileno())
        os.replace(part, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        part.unlink(missing_ok=True)
    made = Made(target, manifest, target.stat().st_size, sha256_file(target))
    known = settings.read_value(session, MADE) or {}
    known[target.name] = made.sha256
    if keep_days is not None:
        made.removed = prune(folder, keep_days, now)
    present = {path.name for path in backups_in(folder)}
    settings.write_value(session, MADE, {name: digest for name, digest in known.items() if name in present})
    settings.write_value(session, LAST_BACKUP, {"name": target.name, "created_at": now.isoformat(),
                                                "bytes": made.size, "files": manifest["files"]})
    session.commit()
    return made


def prune(folder: Path, keep_days: int, now: datetime) -> list[str]:
    """Remove backups whose date is more than keep_days ago; the newest always stays."""
    cutoff = (now - timedelta(days=keep_days)).date().isoformat()
    removed = []
    for path in backups_in(folder)[:-1]:
        match = NAME.match(path.name)
        if match and match.group(1) < cutoff:
            path.unlink()
            removed.append(path.name)
    return removed


# --- opening a backup into scratch places -------------------------------------------------------

def _decrypt(session: Session, path: Path, code: str, target: Path) -> None:
    """The whole archive, authenticated to its last segment before anything is read from it."""
    try:
        keys.org_keys(session)
        current: Session | None = session
    except sa.exc.DBAPIError:  # a database not migrated yet (a new server): only the header's wrap
        session.rollback()
        current = None
    with open(path, "rb") as source, open(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as out:
        try:
            for segment in sealed.open_body(source, code, current):
                out.write(segment)
        except sealed.BackupKeyError as error:
            raise BackupError(f"{path.name}: {error}") from None


def _unpack(session: Session, path: Path, code: str, staging: Path) -> dict:
    _decrypt(session, path, code, staging / ARCHIVE)
    inner = _private_dir(staging / "backup")
    with tarfile.open(staging / ARCHIVE) as archive:
        members = archive.getmembers()
        allowed = {MANIFEST, FILES, *DUMPS.values()}
        if any(m.name not in allowed or not m.isfile() for m in members):
            raise BackupError(f"{path.name} holds something a Moksori backup does not: it was altered; not restored")
        for member in members:
            member.mode = 0o600
        archive.extractall(inner, members=members)  # nosec B202 # four known names, regular files (above)
    (staging / ARCHIVE).unlink()
    return backup._read_manifest(inner)


@dataclass
class Scratch:
    """A scratch database and upload folder holding a backup, checked; removed unless switched."""

    url: sa.engine.URL
    uploads: Path
    manifest: dict
    problems: list[str]
    sqlite_path: Path | None = None
    pg_name: str | None = None


def _scratch_db_name(live: sa.engine.URL, purpose: str, prefix: str | None) -> str:
    start = prefix if prefix is not None else f"{live.database}_"
    return f"{start}{purpose}_{secrets.token_hex(4)}"


def _admin_engine(url: sa.engine.URL) -> sa.Engine:
    return sa.create_engine(url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool, hide_parameters=True)


def _admin_execute(live: sa.engine.URL, statement: str) -> None:
    """One statement outside a transaction (CREATE/DROP DATABASE), on a connection of its own."""
    engine = _admin_engine(live)
    try:
        with engine.connect() as connection:
            connection.execute(sa.text(statement))
    finally:
        engine.dispose()


def _drop_pg(live: sa.engine.URL, name: str) -> None:
    """A scratch database always goes: WITH (FORCE) (PostgreSQL 13+) also ends a backend of ours
    that is still closing after its client hung up, which a plain DROP refuses under load."""
    try:
        _admin_execute(live, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    except sa.exc.ProgrammingError:  # before PostgreSQL 13: no FORCE
        _admin_execute(live, f'DROP DATABASE IF EXISTS "{name}"')


@contextmanager
def scratch(session: Session, path: Path, code: str, staging: Path, purpose: str, *, pg_restore: str = "pg_restore",
            db_prefix: str | None = None, sqlite_beside: Path | None = None) -> Iterator[Scratch]:
    """Decrypt `path` and load it into a new database and folder under `staging`; check rows,
    files (opened with the keys the code unlocks) and the audit chain. Everything is removed when
    the block ends unless the caller moved it (restore)."""
    live = engine_of(session).url
    dialect = engine_of(session).dialect.name
    manifest = _unpack(session, path, code, staging)
    if manifest["database"] != dialect:
        raise BackupError(f"the backup is of a {manifest['database']} database, this instance uses {dialect}")
    if manifest["key_check"] != backup.key_check():
        raise BackupError("this instance has a different DATA_ENCRYPTION_KEY: the restored files and the audit "
                          "chain could not be read. Set the key the backup was made with.")
    uploads = _private_dir(staging / "uploads")
    with tarfile.open(staging / "backup" / FILES) as archive:
        backup.extract_safely(archive, uploads)
    for restored in uploads.rglob("*"):  # folders the archive names only by their files: as the app makes them
        restored.chmod(0o700 if restored.is_dir() else 0o600)
    found = Scratch(live, uploads, manifest, [])
    if dialect == "sqlite":
        found.sqlite_path = (sqlite_beside or staging) / f".{purpose}-{secrets.token_hex(4)}.sqlite3"
        found.url = sa.engine.make_url(f"sqlite:///{found.sqlite_path}")
    else:
        found.pg_name = _scratch_db_name(live, purpose, db_prefix)
        found.url = live.set(database=found.pg_name)
        _admin_execute(live, f'CREATE DATABASE "{found.pg_name}" TEMPLATE template0 ENCODING \'UTF8\'')
    engine = sa.create_engine(found.url, hide_parameters=True)
    try:
        dump = staging / "backup" / DUMPS[dialect]
        if dialect == "sqlite":
            backup._load_sqlite(engine, dump)
            found.sqlite_path.chmod(0o600)  # type: ignore[union-attr]
        else:
            backup._load_postgresql(engine, dump, pg_restore)
        with Session(engine) as checking:
            found.problems = backup.check(checking, str(uploads), manifest)
            keyring = _unlock(checking, session, code)
            if keyring is None:
                found.problems.append("the recovery code does not open the keys inside the backup")
            else:
                found.problems += backup.check_files(checking, str(uploads), keyring)
        engine.dispose()
        yield found
    finally:
        engine.dispose()
        if found.sqlite_path is not None:
            found.sqlite_path.unlink(missing_ok=True)
        if found.pg_name is not None:
            _drop_pg(live, found.pg_name)


def _unlock(restored: Session, live: Session, code: str) -> keys.Keyring | None:
    """The keys inside the backup, opened with the code current when it was made; or with
    today's code of this installation (the same key pairs, re-wrapped by a rotation), whose wraps
    then replace the older ones in the restored copy, so that today's code is the one it takes."""
    try:
        return keys.unlock_with_recovery(restored, code)
    except keys.KeysError:
        pass
    try:
        keyring = keys.unlock_with_recovery(live, code)
        current = keys.org_keys(live)
    except (keys.KeysError, sa.exc.DBAPIError):
        live.rollback()
        return None
    for kind, row in keys.org_keys(restored).items():
        if kind not in current or current[kind].public_key != row.public_key:
            return None
        row.recovery_wrapped, row.recovery_salt = current[kind].recovery_wrapped, current[kind].recovery_salt
        row.recovery_params, row.recovery_created_at = current[kind].recovery_params, current[kind].recovery_created_at
    restored.commit()
    live.rollback()
    return keyring


# --- restore --------------------------------------------------------------------------------------

@dataclass
class Restored:
    manifest: dict
    aside: list[str]


def filled_tables(engine: sa.Engine, upload_dir: Path) -> list[str]:
    with engine.connect() as connection:
        counts = backup.table_counts(connection)
    filled = [name for name in Base.metadata.tables if counts.get(name) and name not in backup.SEEDED_TABLES]
    if any(p.is_file() and p.name != LOCK_FILE for p in upload_dir.rglob("*")):
        filled.append(str(upload_dir))
    return filled


def restore(session: Session, upload_dir: str, path: str | Path, code: str, *, replace: bool = False,
            pg_restore: str = "pg_restore", db_prefix: str | None = None) -> Restored:
    """Restore the backup file at `path`: everything into scratch places first, checked, then
    switched. The live database and folder are kept aside (their names are returned)."""
    path, uploads = Path(path), Path(upload_dir)
    if interrupted_switch(uploads) is not None:
        raise BackupError("an earlier restore was cut off while switching: run `moksori backup finish-restore` "
                          "first (it finishes that restore)")
    engine = engine_of(session)
    session.close()
    if uploads.exists() and not replace:
        filled = filled_tables(engine, uploads)
        if filled:
            raise BackupError(f"this instance is not empty ({', '.join(filled)}): add --replace to restore over it "
                              "(what is there now is kept aside, not deleted)")
    engine.dispose()
    uploads.parent.mkdir(parents=True, exist_ok=True)
    staging = _private_dir(uploads.parent / f".moksori-restore-{secrets.token_hex(6)}")
    live_sqlite = Path(engine.url.database) if engine.dialect.name == "sqlite" else None  # type: ignore[arg-type]
    try:
        with scratch(session, path, code, staging, "restore", pg_restore=pg_restore, db_prefix=db_prefix,
                     sqlite_beside=live_sqlite.parent if live_sqlite else None) as ready:
            if ready.problems:
                raise BackupError("the backup does not check out: " + "; ".join(ready.problems))
            session.close()  # the checks read the live keys: no connection of ours may stay open
            engine.dispose()
            aside = _switch(engine, uploads, ready, staging)
            ready.sqlite_path, ready.pg_name = None, None  # now the live ones: not removed
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    engine.dispose()
    return Restored(ready.manifest, aside)


# --- the switch -----------------------------------------------------------------------------------
# The switch is several renames (the folder aside, the scratch folder in, the database aside and
# the scratch one in). Before the first, a journal naming every place is written and synced
# beside the upload folder; each step looks before it moves, so running the plan again after a
# crash (power lost, the process killed) finishes it: `moksori backup finish-restore`, which
# `doctor` and every later restore ask for while the journal is there. The scratch copies were
# checked in full before the journal was written, so an interrupted switch goes forward, never
# back.

SWITCH_JOURNAL = ".moksori-restore-switch.json"


@dataclass
class SwitchPlan:
    uploads: str
    scratch_uploads: str
    moved: str  # where the live folder goes, if there is one
    staging: str
    sqlite_live: str | None = None
    sqlite_before: str | None = None
    sqlite_scratch: str | None = None
    pg_live: str | None = None
    pg_before: str | None = None
    pg_scratch: str | None = None

    def aside(self, folder_moved: bool) -> list[str]:
        places = [self.moved] if folder_moved else []
        if self.sqlite_before and Path(self.sqlite_before).exists():
            places.append(self.sqlite_before)
        if self.pg_before:
            places.append(f"database {self.pg_before}")
        return places


def journal_path(upload_dir: str | Path) -> Path:
    return Path(upload_dir).parent / SWITCH_JOURNAL


def _write_journal(path: Path, plan: SwitchPlan) -> None:
    temporary = path.with_suffix(".part")
    with open(temporary, "w", encoding="utf-8") as handle:
        json.dump(asdict(plan), handle)
        handle.flush()
        os.fsync(handle.fileno())
    os.chmod(temporary, 0o600)
    os.replace(temporary, path)
    _sync_dir(path.parent)


def _sync_dir(folder: Path) -> None:
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _switch(engine: sa.Engine, uploads: Path, ready: Scratch, staging: Path) -> list[str]:
    """Put the scratch folder and database in the live ones' places; the live ones go aside."""
    stamp = f"{utcnow():%Y%m%dT%H%M%S}_{secrets.token_hex(2)}"
    plan = SwitchPlan(uploads=str(uploads), scratch_uploads=str(ready.uploads), staging=str(staging),
                      moved=str(uploads.with_name(f"{uploads.name}.before-restore-{stamp}")))
    if ready.sqlite_path is not None:
        live = Path(engine.url.database)  # type: ignore[arg-type]
        for suffix in ("-wal", "-journal"):
            if Path(f"{live}{suffix}").exists() and Path(f"{live}{suffix}").stat().st_size:
                raise BackupError(f"{live}{suffix} exists: something still uses the database. Stop the services "
                                  "(systemctl stop moksori moksori-outbox) and run the restore again")
        plan.sqlite_live, plan.sqlite_scratch = str(live), str(ready.sqlite_path)
        plan.sqlite_before = str(live.with_name(f"{live.name}.before-restore-{stamp}"))
    else:
        plan.pg_live, plan.pg_scratch = engine.url.database, ready.pg_name
        plan.pg_before = f"{engine.url.database}_before_restore_{stamp.lower()}"
    folder_moved = uploads.exists()
    journal = journal_path(uploads)
    _write_journal(journal, plan)
    try:
        _carry_out(plan, engine.url)
    except BackupError:
        _undo_folder(plan)  # only the database step refuses (it is in use): nothing else moved yet
        journal.unlink(missing_ok=True)
        raise
    journal.unlink()
    _sync_dir(journal.parent)
    return plan.aside(folder_moved)


def _undo_folder(plan: SwitchPlan) -> None:
    uploads, moved = Path(plan.uploads), Path(plan.moved)
    if uploads.exists() and not Path(plan.scratch_uploads).exists():
        os.rename(uploads, plan.scratch_uploads)
    if moved.exists() and not uploads.exists():
        os.rename(moved, uploads)


def _carry_out(plan: SwitchPlan, url: sa.engine.URL) -> None:
    """Every step of the plan that is not done yet; each looks before it moves (so a second run
    after a crash does only what is left). The database goes first: it is the step that may be
    refused (PostgreSQL will not rename a database in use), and then nothing has moved."""
    if plan.pg_scratch is not None:
        _switch_postgresql(url, plan)
    elif plan.sqlite_scratch is not None and Path(plan.sqlite_scratch).exists():
        live, before = Path(plan.sqlite_live), Path(plan.sqlite_before)  # type: ignore[arg-type]
        if live.exists() and not before.exists():
            os.link(live, before)
        os.replace(plan.sqlite_scratch, live)  # atomic: the database is the old or the new, never half
    uploads, scratch_uploads = Path(plan.uploads), Path(plan.scratch_uploads)
    if scratch_uploads.exists():
        if uploads.exists():
            os.rename(uploads, plan.moved)
        os.rename(scratch_uploads, uploads)
    _sync_dir(uploads.parent)


def _pg_names(connection) -> set[str]:
    return set(connection.execute(sa.text("SELECT datname FROM pg_database")).scalars())


def _switch_postgresql(url: sa.engine.URL, plan: SwitchPlan) -> None:
    live, before, scratch_name = plan.pg_live, plan.pg_before, plan.pg_scratch
    engine = _admin_engine(url.set(database="postgres"))
    try:
        with engine.connect() as connection:
            names = _pg_names(connection)
            if scratch_name not in names:
                return  # done before
            if live in names:
                try:
                    connection.execute(sa.text(f'ALTER DATABASE "{live}" RENAME TO "{before}"'))
                except sa.exc.DBAPIError as error:
                    raise BackupError(f"the database {live} could not be switched ({type(error.orig).__name__}): "
                                      "stop everything that uses it (systemctl stop moksori moksori-outbox and the "
                                      "moksori timers) and run the restore again") from None
            connection.execute(sa.text(f'ALTER DATABASE "{scratch_name}" RENAME TO "{live}"'))
    finally:
        engine.dispose()


def interrupted_switch(upload_dir: str | Path) -> SwitchPlan | None:
    """The plan of a restore whose switch was cut off, if there is one."""
    path = journal_path(upload_dir)
    if not path.exists():
        return None
    return SwitchPlan(**json.loads(path.read_text(encoding="utf-8")))


def finish_switch(session: Session, upload_dir: str | Path) -> list[str] | None:
    """Finish a restore's switch that was cut off (None when there is none): the rest of its
    steps, then the staging folder and the journal removed. Returns the places kept aside."""
    plan = interrupted_switch(upload_dir)
    if plan is None:
        return None
    engine = engine_of(session)
    session.close()
    engine.dispose()
    _carry_out(plan, engine.url)
    engine.dispose()
    shutil.rmtree(plan.staging, ignore_errors=True)
    journal_path(upload_dir).unlink()
    return plan.aside(Path(plan.moved).exists())


# --- drill --------------------------------------------------------------------------------------

@dataclass
class DrillResult:
    ok: bool
    kind: str  # "full" (with the recovery code) or "structure" (without it)
    backup: str | None
    summary: str
    problems: list[str]


def drill(session: Session, backup_dir: str | Path, code: str | None, *, pg_restore: str = "pg_restore",
          db_prefix: str | None = None, path: str | Path | None = None) -> DrillResult:
    """Check the newest backup (or `path`) and record the result. With the code: restore into
    scratch and check everything; without: what needs no private key."""
    found = [Path(path)] if path else backups_in(backup_dir)
    if not found:
        result = DrillResult(False, "full" if code else "structure", None, "no backup found", ["no backup found"])
    elif code is None:
        result = _drill_structure(session, found[-1])
    else:
        result = _drill_full(session, found[-1], code, pg_restore, db_prefix)
    session.rollback()
    settings.write_value(session, LAST_DRILL + result.kind, {"at": utcnow().isoformat(), "ok": result.ok,
                                                             "backup": result.backup, "summary": result.summary})
    session.commit()
    return result


def _drill_structure(session: Session, path: Path) -> DrillResult:
    try:
        org_public = keys.public_key(session, "org")
    except keys.KeysError:
        org_public = None
    with open(path, "rb") as source:
        problems = sealed.check_structure(source, path.stat().st_size, org_public)
    recorded = (settings.read_value(session, MADE) or {}).get(path.name)
    if recorded is None:
        problems.append("no SHA-256 was recorded when this backup was made (made elsewhere?)")
    elif recorded != sha256_file(path):
        problems.append("the file differs from the one written (its SHA-256 changed since)")
    summary = ("header, sealed key and SHA-256 as written; contents not opened (needs the recovery code)"
               if not problems else "; ".join(problems))
    return DrillResult(not problems, "structure", path.name, summary, problems)


def _drill_full(session: Session, path: Path, code: str, pg_restore: str, db_prefix: str | None) -> DrillResult:
    staging = _private_dir(path.parent / f".staging-drill-{secrets.token_hex(6)}")
    try:
        with scratch(session, path, code, staging, "drill", pg_restore=pg_restore, db_prefix=db_prefix) as ready:
            problems = ready.problems
            tables = ready.manifest["tables"]
            summary = (f"{sum(tables.values())} rows in {len(tables)} tables, {ready.manifest['files']} files opened "
                       "and matching their sealed hashes, audit chain intact" if not problems
                       else "; ".join(problems))
    except BackupError as error:
        problems, summary = [str(error)], str(error)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return DrillResult(not problems, "full", path.name, summary, problems)


def status(session: Session) -> dict:
    """What the admin page shows: the newest backup and the last drill of each kind (None when
    there was none)."""
    return {"backup": settings.read_value(session, LAST_BACKUP),
            **{kind: settings.read_value(session, LAST_DRILL + kind) for kind in DRILL_KINDS}}


def page_status(session: Session, now: datetime | None = None) -> dict:
    """status() with times as datetimes and the newest backup's age; `stale`: a backup older than
    two days, a full drill older than 35 days (it is due monthly)."""
    found, now = status(session), now or utcnow()
    newest = found["backup"]
    if newest:
        made_at = datetime.fromisoformat(newest["created_at"])
        newest = {**newest, "created_at": made_at, "age": now - made_at, "stale": now - made_at > timedelta(days=2)}
    drills: dict[str, dict | None] = {}
    for kind in DRILL_KINDS:
        if found[kind]:
            at = datetime.fromisoformat(found[kind]["at"])
            drills[kind] = {**found[kind], "at": at, "stale": now - at > timedelta(days=35)}
        else:
            drills[kind] = None
    return {"backup": newest, **drills}
