"""The one step of the import that belongs to the group core: one validated row → one
submission from the group, through create_group_report (intake.py) like the group's report form.

The importer (import_jobs.py) knows only the RowCreator contract below. The creator runs in the
import's background thread, where there is no request and no group session: the group's public
key (to which each row's content key is also sealed) is taken from the uploading request's
session and handed in here. The private key never leaves the request."""
from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from app.models import PartnerGroup, Submission
from app.sealed import vault
from app.services.files.attachments import PreparedFile
from app.services.groups.intake import create_group_report
from app.services.groups.sheet_import import ValidatedRow

# create_row_submission(session, row, files) -> Submission: adds one sealed submission with its
# files to the session and flushes; never commits (the import commits all rows at once). Its
# files are on submission.attachments, so a failed import can remove what it wrote.
RowCreator = Callable[[Session, ValidatedRow, list[PreparedFile]], Submission]


def row_creator(group_id: int, locale: str, upload_dir: str, *, group_public_key: bytes) -> RowCreator:
    """The creator of the group's submissions. create_group_report checks that intake is open
    and that the group is active with this key, as the import's transaction reads it when it
    starts storing (a suspension after that does not stop an import already storing: its rows
    are the group's from before). The officers' notice is queued with the first row only."""
    first = [True]

    def create_row_submission(session: Session, row: ValidatedRow, files: list[PreparedFile]) -> Submission:
        group = session.get(PartnerGroup, group_id)
        if group is None:
            raise ValueError("the group is gone")
        texts = {"narrative": row.narrative, **{name: row.facets.get(name) for name in vault.SEALED_FACETS}}
        submission = create_group_report(
            session, group, group_public_key, texts, row.facets, row.category_codes, files, upload_dir,
            locale=locale, keep_image_metadata=row.keep_metadata,
            consents={"consent_un": row.consent_un, "consent_accountability": row.consent_accountability,
                      "consent_publication": row.consent_publication},
            notify_officers=first[0])
        first[0] = False
        return submission

    return create_row_submission
