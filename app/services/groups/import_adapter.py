"""The one step of the import that belongs to the group core: one validated row → one
submission from the group.

The importer (import_jobs.py) knows only the RowCreator contract below. Until the group core
(app/services/groups/intake.py, issue 23) is merged, row_creator() builds a sealed report the
way app/services/intake/reports.py does, without a receipt code (a group follows its reports
up in its own space, not by code) and without committing. When merging, row_creator() is
re-pointed at app.services.groups.intake.create_group_report.
"""
from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from app.models import Submission
from app.models.base import utcnow
from app.sealed import commitments, vault
from app.services import audit
from app.services.files.attachments import PreparedFile, store
from app.services.groups.sheet_import import ValidatedRow
from app.services.intake import notices
from app.services.intake.reports import COLUMN_FACETS, IntakeClosed, intake_open, new_public_id
from app.services.taxonomy import categories_by_code

# create_row_submission(session, row, files) -> Submission: adds one sealed submission with its
# files to the session and flushes; never commits (the import commits all rows at once).
RowCreator = Callable[[Session, ValidatedRow, list[PreparedFile]], Submission]


def row_creator(group_id: int, locale: str, upload_dir: str) -> RowCreator:
    """The creator of the group's submissions. Re-pointed at create_group_report on merging.
    What is the same for every row is asked once per import: whether intake is open, and the
    officers' "a new item is waiting" notice (queued once, as a second would be deduplicated)."""
    first = [True]

    def create_row_submission(session: Session, row: ValidatedRow, files: list[PreparedFile]) -> Submission:
        if first[0] and not intake_open(session):
            raise IntakeClosed()
        submission = Submission(
            kind="report", status="new", locale=locale, search_pending=True,
            categories=categories_by_code(session, row.category_codes), may_contact=False,
            last_submitter_activity_at=utcnow(),
            **{name: row.facets.get(name) for name in COLUMN_FACETS if name in row.facets},
            consent_un=row.consent_un, consent_accountability=row.consent_accountability,
            consent_publication=row.consent_publication, keep_image_metadata=row.keep_metadata,
        )
        submission.public_id = new_public_id()
        texts = {"narrative": row.narrative, **{name: row.facets.get(name) for name in vault.SEALED_FACETS}}
        key = vault.seal_new(session, submission, texts)
        session.add(submission)
        session.flush()
        commitments.commit_account(session, submission, key)
        for prepared in files:
            store(session, submission, prepared, upload_dir, key)
        audit.record(session, "group", "submission.created", "submission", submission.public_id,
                     {"kind": "report", "files": len(files), "import": True, "group": group_id})
        if first[0]:
            notices.notify_new_item(session, submission)
            first[0] = False
        return submission

    return create_row_submission
