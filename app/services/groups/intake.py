"""A partner group's testimony becomes a submission: sealed to the org key like every
submission, its content key also sealed to the group's public key, and no receipt code (the
group reads its submissions in its own space)."""
from __future__ import annotations

from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.models import PartnerGroup, Submission
from app.models.base import utcnow
from app.sealed import commitments, vault
from app.sealed import groups as sealed_groups
from app.services import audit
from app.services.files.attachments import FileWrites, PreparedFile, store
from app.services.intake import notices
from app.services.intake.reports import (
    COLUMN_FACETS,
    IntakeClosed,
    intake_open,
    new_public_id,
    refuse_resubmission,
    token_hash,
)
from app.services.taxonomy import categories_by_code

CONSENTS = ("consent_un", "consent_accountability", "consent_publication")


def create_group_report(session: Session, group: PartnerGroup, group_public_key: bytes,
                        texts: dict[str, str | None], facets: dict[str, Any], categories: list[str],
                        files: list[PreparedFile], upload_dir: str, *, locale: str = "ko",
                        consents: dict[str, bool] | None = None, keep_image_metadata: bool = False,
                        form_token: str | None = None, writes: FileWrites | None = None,
                        actor: str | None = None, notify_officers: bool = True) -> Submission:
    """Add one report of `group` and its files; flushes, never commits (the caller's
    transaction holds it: reports.all_or_nothing for one testimony, the spreadsheet import for
    all its rows at once).

    Exact signature: create_group_report(session, group, group_public_key, texts, facets,
    categories, files, upload_dir, *, locale="ko", consents=None, keep_image_metadata=False,
    form_token=None, writes=None, actor=None) -> Submission

    - texts: "narrative" (required, non-empty) and the sealed facets of app/facets.py
      (vault.SEALED_FACETS: "place", "when_text", "perpetrator_text"), missing ones None;
    - facets: the column facets (reports.COLUMN_FACETS: when_precision, when_date, province, …),
      codes as the report form gives them; others are ignored;
    - categories: category codes (unknown codes are ignored, as the report form's);
    - files: PreparedFile (services/files/attachments.prepare), metadata already handled;
    - consents: {"consent_un", "consent_accountability", "consent_publication"} → bool;
    - form_token: the one-time form token (a second POST of the same form is refused by the
      unique hash); writes: where the files written are noted, for removal on rollback;
    - notify_officers: queue the officers' "a new item is waiting" (the spreadsheet import asks
      for it with its first row only: a second would be deduplicated anyway, at two queries a row).

    Raises IntakeClosed before the organization's keys exist, ValueError for a group that has
    not joined or is suspended, or for an empty narrative."""
    if not intake_open(session):
        raise IntakeClosed()
    if group.status != "active" or group.public_key is None or group_public_key != group.public_key:
        raise ValueError("the group cannot send: not joined, suspended, or another group's key")
    if not (texts.get("narrative") or "").strip():
        raise ValueError("a report needs its narrative")
    if form_token is not None:
        refuse_resubmission(session, form_token)
    chosen = consents or {}
    submission = Submission(
        kind="report", status="new", locale=locale, search_pending=True, group_id=group.id,
        categories=categories_by_code(session, categories), may_contact=False,
        last_submitter_activity_at=utcnow(), keep_image_metadata=keep_image_metadata,
        form_token_hash=token_hash(form_token) if form_token else None,
        **{name: facets[name] for name in COLUMN_FACETS if name in facets},
        **{name: bool(chosen.get(name)) for name in CONSENTS},
    )
    sealed_texts = {"narrative": texts["narrative"], **{name: texts.get(name) for name in vault.SEALED_FACETS}}
    for _ in range(5):  # a public id collision is astronomically rare: a new one is drawn
        submission.public_id = new_public_id()
        key = vault.seal_new(session, submission, sealed_texts)
        submission.key_for_group = sealed_groups.seal_item_key(group_public_key, key)
        try:
            with session.begin_nested():
                session.add(submission)
                session.flush()
            break
        except IntegrityError:
            if form_token is not None:
                refuse_resubmission(session, form_token)  # a concurrent double click won the race
            continue
    else:
        raise RuntimeError("could not allocate a unique public id")
    commitments.commit_account(session, submission, key)
    for prepared in files:
        store(session, submission, prepared, upload_dir, key, added_by="submitter", writes=writes)
    # As for any report: the submission's audit trail goes into case files, which must not name
    # the group unless it agreed (evidence/content.py source); group_id already links them here.
    audit.record(session, actor or "submitter", "submission.created", "submission",
                 submission.public_id, {"kind": "report", "files": len(files)})
    if notify_officers:
        notices.notify_new_item(session, submission)
    return submission
