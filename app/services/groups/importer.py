"""Receiving a group's upload: check the sheet and the ZIP completely, stage the files sealed,
then hand the rows to a background job (import_jobs.py). Any problem stores nothing."""
from __future__ import annotations

from collections.abc import Callable
from typing import IO

from flask import Flask
from sqlalchemy.orm import scoped_session

from app.models import GroupImport
from app.services.groups import import_jobs
from app.services.groups.import_adapter import RowCreator
from app.services.groups.sheet_import import Limits, check_files, read_sheet
from app.services.refusal import Refused


class ImportBusy(Refused):
    """reason "busy": the group has an import under way."""


def receive(app: Flask, sessions: scoped_session, group_id: int, lang: str, sheet_name: str, sheet: bytes,
            archive: IO[bytes] | None, limits: Limits, describe: Callable[[str, str], str],
            creator: RowCreator, upload_dir: str) -> GroupImport:
    """Raises sheet_import.Invalid (every row's problems), SheetRefused, ZipRefused or ImportBusy;
    on success the import has started and its row is returned."""
    session = sessions()
    if import_jobs.running_for(session, group_id) is not None:
        raise ImportBusy("busy")
    rows, errors = read_sheet(session, sheet_name, sheet, lang, limits)
    token = import_jobs.new_token()
    staging = import_jobs.Staging(upload_dir, token)
    try:
        files = check_files(rows, errors, archive, lang, limits, describe, staging.keep)
        session.rollback()  # end the read before the job's row is written (SQLite's one writer)
        import_jobs.sweep_staging(upload_dir)
        return import_jobs.start(app, sessions, token, group_id, rows, files, staging, creator, upload_dir)
    except BaseException:
        staging.discard()
        raise
