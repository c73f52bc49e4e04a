"""Storing a checked import: every row a submission, in one transaction, in the background.

A validated sheet may name a hundred files, and 500 sealed submissions take seconds, so the
upload's request stages the prepared files and returns at once to a status page; a thread of
the same process then stores every row in ONE transaction (a failure stores nothing) and the
status page says how far it got.

Staging is sealed. The prepared files (after metadata removal) are written to
UPLOAD_DIR/import-staging/<job>/ encrypted under a fresh random key that exists only in this
process's memory; the rows themselves are held only in memory. A copy of the server taken
during an import finds ciphertext under random names whose key was never written anywhere,
and the group_import row holds counts and a state only. The price: if the process dies during
an import, nothing can resume it (the key died with it); the status page then says the import
was interrupted and asks for the upload again, and the next import removes the dead staging.

Progress: always kept in memory (the status page, served by the same process, reads it first:
on SQLite the import's transaction holds the database's one write lock, app/database.py, so a
page that asked the database would wait for the end). On PostgreSQL it is also written to the
row every PROGRESS_EVERY rows on a connection of its own, for a status page that another
worker process serves.
"""
from __future__ import annotations

import contextlib
import json
import logging
import secrets
import shutil
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Session, scoped_session

from app.models import GroupImport, PartnerGroup
from app.models.base import engine_of, utcnow
from app.sealed.staging import EphemeralKey
from app.services.files.attachments import PreparedFile, path_for
from app.services.files.filetypes import FileType
from app.services.groups.import_adapter import RowCreator
from app.services.groups.sheet_import import ValidatedRow

log = logging.getLogger(__name__)

STAGING = "import-staging"
LEASE = timedelta(minutes=10)  # an import of 500 rows takes seconds; after this its process died
PROGRESS_EVERY = 25


@dataclass
class StagedFile:
    """A prepared file held encrypted on disk until its row is stored."""

    path: Path
    name: str
    file_type: FileType
    received_sha256: str
    metadata_stripped: bool


class Staging:
    """One import's sealed staging: a folder of files encrypted under a key held in memory only."""

    def __init__(self, upload_dir: str, token: str):
        self.folder = Path(upload_dir) / STAGING / token
        self._key = EphemeralKey(b"moksori group import staging")

    def keep(self, prepared: PreparedFile) -> StagedFile:
        self.folder.mkdir(parents=True, exist_ok=True)
        stored = secrets.token_hex(16)
        path = self.folder / stored
        with open(path, "wb") as target:
            target.write(self._key.seal(stored, prepared.data))
        return StagedFile(path, prepared.name, prepared.file_type, prepared.received_sha256,
                          prepared.metadata_stripped)

    def load(self, staged: StagedFile) -> PreparedFile:
        blob = staged.path.read_bytes()
        data = self._key.open(staged.path.name, blob)
        return PreparedFile(staged.name, data, staged.file_type, staged.received_sha256, staged.metadata_stripped)

    def discard(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


@dataclass
class Progress:
    group_id: int
    total: int
    done: int = 0
    state: str = "running"
    failure: str | None = None
    submissions: list[str] = field(default_factory=list)
    thread: threading.Thread | None = None


_jobs: dict[str, Progress] = {}  # this process's imports, by token


def sweep_staging(upload_dir: str) -> None:
    """Remove the staging of imports whose process died (older than the lease)."""
    root = Path(upload_dir) / STAGING
    cutoff = time.time() - LEASE.total_seconds()
    if root.is_dir():
        for folder in root.iterdir():
            if folder.name not in _jobs and folder.stat().st_mtime < cutoff:
                shutil.rmtree(folder, ignore_errors=True)


def running_for(session: Session, group_id: int) -> GroupImport | None:
    """The group's import under way, if any: one at a time per group."""
    return session.scalar(sa.select(GroupImport).where(
        GroupImport.group_id == group_id, GroupImport.state == "running", GroupImport.lease_until > utcnow()))


def new_token() -> str:
    return secrets.token_urlsafe(18)


def start(app: Flask, sessions: scoped_session, token: str, group_id: int, rows: list[ValidatedRow],
          files: dict[tuple[str, bool], StagedFile], staging: Staging, creator: RowCreator,
          upload_dir: str) -> GroupImport:
    """Record the job (committed) and store its rows in a background thread, in a session of
    `sessions` (the app's scoped sessions: the thread gets one of its own)."""
    session = sessions()
    job = GroupImport(token=token, group_id=group_id, state="running", rows_total=len(rows), rows_done=0,
                      lease_until=utcnow() + LEASE)
    session.add(job)
    session.commit()
    for ended in [key for key, known in _jobs.items() if known.state != "running"]:
        del _jobs[ended]  # their status is in the database now
    progress = _jobs[token] = Progress(group_id, len(rows))
    # Not a daemon: a worker that is stopped gracefully (a restart) lets the import finish
    # first, within gunicorn's graceful timeout, instead of dropping it as "interrupted".
    progress.thread = threading.Thread(target=_run, name="group-import", daemon=False,
                                       args=(app, sessions, job.id, progress, rows, files, staging, creator,
                                             upload_dir))
    progress.thread.start()
    return job


def _publish(engine: sa.Engine, job_id: int, done: int) -> None:
    """Rows done, on a connection of its own (PostgreSQL only: see the module's docstring)."""
    with contextlib.suppress(Exception), engine.begin() as connection:
        connection.execute(sa.update(GroupImport).where(GroupImport.id == job_id).values(rows_done=done))


class GroupSuspended(Exception):
    """The group was suspended while its import was being stored: nothing of it is kept."""


def _still_active(session: Session, group_id: int) -> None:
    """A fresh read of the group's status (PostgreSQL's READ COMMITTED sees a suspension an
    admin committed meanwhile; on SQLite the import's write lock keeps any from committing)."""
    status = session.scalar(sa.select(PartnerGroup.status).where(PartnerGroup.id == group_id))
    if status != "active":
        raise GroupSuspended


def _store_rows(session: Session, app: Flask, job_id: int, progress: Progress, rows: list[ValidatedRow],
                files: dict[tuple[str, bool], StagedFile], staging: Staging, creator: RowCreator,
                written: list[str]) -> None:
    engine = engine_of(session)
    publish = engine.dialect.name != "sqlite"
    for index, row in enumerate(rows, start=1):
        prepared = [staging.load(files[(name, row.keep_metadata)]) for name in row.files]
        submission = creator(session, row, prepared)
        written.extend(attachment.stored_name for attachment in submission.attachments)
        progress.submissions.append(submission.public_id)
        progress.done = index
        if index % PROGRESS_EVERY == 0:
            _still_active(session, progress.group_id)  # a suspended group's import stops here
            if publish:
                _publish(engine, job_id, index)
    _still_active(session, progress.group_id)  # and is never committed
    job = session.get(GroupImport, job_id)
    if job is None:
        raise RuntimeError("the import's row is gone")
    job.state, job.rows_done, job.finished_at = "done", len(rows), utcnow()
    job.submissions = json.dumps(progress.submissions)
    session.commit()


def _run(app: Flask, sessions: scoped_session, job_id: int, progress: Progress, rows: list[ValidatedRow],
         files: dict[tuple[str, bool], StagedFile], staging: Staging, creator: RowCreator, upload_dir: str) -> None:
    with app.app_context():
        session = sessions()
        written: list[str] = []
        try:
            _store_rows(session, app, job_id, progress, rows, files, staging, creator, written)
            progress.state = "done"
        except Exception as failure:
            session.rollback()
            for stored_name in written:  # files of a transaction that never committed
                with contextlib.suppress(OSError):
                    path_for(upload_dir, stored_name).unlink(missing_ok=True)
            if isinstance(failure, GroupSuspended):
                log.warning("a group import stopped: the group was suspended; nothing of it was stored")
                code = "group_suspended"
            else:
                log.exception("a group import failed; nothing of it was stored")
                code = "store_failed"
            progress.state, progress.failure, progress.submissions = "failed", code, []
            _mark_failed(session, job_id, code)
        finally:
            staging.discard()
            rows.clear()
            sessions.remove()


def _mark_failed(session: Session, job_id: int, failure: str) -> None:
    with contextlib.suppress(Exception):
        session.execute(sa.update(GroupImport).where(GroupImport.id == job_id).values(
            state="failed", failure=failure, finished_at=utcnow()))
        session.commit()


@dataclass
class Status:
    token: str
    state: str  # running, done, failed
    done: int
    total: int
    failure: str | None
    submissions: list[str]
    created_at: datetime | None = None


def in_process(token: str, group_id: int) -> Status | None:
    """The status of an import this process runs, without asking the database."""
    progress = _jobs.get(token)
    if progress is None or progress.group_id != group_id or progress.state != "running":
        return None
    return Status(token, "running", progress.done, progress.total, None, [])


def status(session: Session, token: str, group_id: int) -> Status | None:
    """The import's status for its own group (None for any other group or an unknown token).
    A "running" import whose lease lapsed died with its process: it is marked interrupted."""
    if (running := in_process(token, group_id)) is not None:
        return running
    job = session.scalar(sa.select(GroupImport).where(GroupImport.token == token, GroupImport.group_id == group_id))
    if job is None:
        return None
    if job.state == "running" and job.lease_until <= utcnow() and token not in _jobs:
        job.state, job.failure, job.finished_at = "failed", "interrupted", utcnow()
        session.commit()
    return Status(job.token, job.state, job.rows_done, job.rows_total, job.failure,
                  json.loads(job.submissions or "[]"), job.created_at)


def wait(token: str, timeout: float = 120) -> None:
    """Until this process's import has ended (tests and bench/)."""
    progress = _jobs.get(token)
    if progress is not None and progress.thread is not None:
        progress.thread.join(timeout)
