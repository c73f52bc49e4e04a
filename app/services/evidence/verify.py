"""`flask export verify FILE.zip`: does a case file still say what the portal exported?

Three layers, each catching what the one before cannot:
1. every file against manifest.json (size, SHA-256), and nothing unlisted in the ZIP;
2. the manifest against the database: the items exist, each attachment's hash is the one
   recorded at intake, no attachment is missing;
3. the whole ZIP against the `export.completed` audit event of its export id, so a file and
   its manifest line changed together are still caught.
"""
from __future__ import annotations

import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.models import Attachment, AuditEvent
from app.sealed import vault
from app.sealed.keys import Keyring
from app.services.audit import event_intact
from app.services.evidence.casefile import MANIFEST, MANIFEST_FORMAT
from app.services.files.hashing import blocks, sha256_file, sha256_of
from app.services.intake.reports import find_by_public_id


@dataclass
class Verification:
    checked_files: int = 0
    differences: list[str] = field(default_factory=list)
    export_event_id: int | None = None
    # The hashes recorded at intake are sealed: compared only when the keys were given.
    intake_hashes_checked: bool = False

    @property
    def ok(self) -> bool:
        return not self.differences


def _entry_digest(archive: zipfile.ZipFile, name: str) -> tuple[int, str]:
    with archive.open(name) as entry:
        return sha256_of(blocks(entry))


def _check_files(archive: zipfile.ZipFile, manifest: dict, result: Verification) -> None:
    listed = {entry["path"]: entry for entry in manifest.get("files", [])}
    present = set(archive.namelist()) - {MANIFEST}
    for path in sorted(present - set(listed)):
        result.differences.append(f"{path}: in the ZIP but not in the manifest")
    for path, entry in listed.items():
        if path not in present:
            result.differences.append(f"{path}: listed in the manifest but missing from the ZIP")
            continue
        try:
            size, sha = _entry_digest(archive, path)
        except (zipfile.BadZipFile, OSError, EOFError) as exc:  # zipfile reports a CRC mismatch this way
            result.differences.append(f"{path}: cannot be read ({exc})")
            continue
        result.checked_files += 1
        if size != entry.get("size"):
            result.differences.append(f"{path}: size {size} bytes, manifest says {entry.get('size')}")
        if sha != entry.get("sha256"):
            result.differences.append(f"{path}: SHA-256 {sha}, manifest says {entry.get('sha256')}")


def _check_database(session: Session, manifest: dict, result: Verification, keyring: Keyring | None) -> None:
    attachments_by_item: dict[str, dict[int, dict]] = {}
    for entry in manifest.get("files", []):
        if entry.get("kind") == "attachment":
            attachments_by_item.setdefault(entry.get("item"), {})[entry.get("attachment_id")] = entry
    for public_id in manifest.get("items", []):
        item = find_by_public_id(session, public_id)
        if item is None:
            result.differences.append(f"item {public_id}: not in the database (purged, or exported elsewhere)")
            continue
        listed = attachments_by_item.get(public_id, {})
        stored = {a.id: a for a in session.scalars(sa.select(Attachment).where(Attachment.submission_id == item.id))}
        key = vault.staff_key(keyring, item) if keyring else None
        for attachment_id, entry in listed.items():
            attachment = stored.get(attachment_id)
            if attachment is None:
                result.differences.append(f"{entry['path']}: attachment {attachment_id} is not in the database")
            elif key is not None and vault.open_attachment(attachment, key).sha256 != entry.get("sha256"):
                result.differences.append(
                    f"{entry['path']}: manifest SHA-256 {entry.get('sha256')}, recorded at intake {attachment.sha256}")
        for attachment_id in sorted(set(stored) - set(listed)):
            result.differences.append(
                f"item {public_id}: attachment {attachment_id} is in the database but not in the ZIP")


def _check_export_hash(session: Session, manifest: dict, zip_sha256: str, result: Verification) -> None:
    export_id = manifest.get("export_id")
    event = session.scalar(
        sa.select(AuditEvent)
        .where(AuditEvent.action == "export.completed", AuditEvent.target_id == str(export_id))
        .order_by(AuditEvent.id.desc()).limit(1)
    )
    if event is None:
        result.differences.append(f"export {export_id}: no export.completed event in the audit log")
        return
    result.export_event_id = event.id
    if not event_intact(event):
        result.differences.append(f"audit event {event.id}: altered since it was written")
    recorded = json.loads(event.details or "{}").get("sha256")
    if recorded != zip_sha256:
        result.differences.append(f"ZIP SHA-256 {zip_sha256}, recorded at export (audit event {event.id}) {recorded}")


def verify(session: Session, path: str | Path, keyring: Keyring | None = None) -> Verification:
    """Check a case file; with the keys (the recovery code), also against the hashes sealed at intake."""
    result = Verification(intake_hashes_checked=bool(keyring))
    path = Path(path)
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        result.differences.append(f"{path.name}: not a readable ZIP file ({exc})")
        return result
    with archive:
        try:
            manifest = json.loads(archive.read(MANIFEST))
        except (KeyError, ValueError, zipfile.BadZipFile) as exc:
            result.differences.append(f"{MANIFEST}: missing or unreadable ({exc})")
            return result
        if manifest.get("format") != MANIFEST_FORMAT:
            result.differences.append(f"{MANIFEST}: unknown format {manifest.get('format')!r}")
            return result
        _check_files(archive, manifest, result)
    _check_database(session, manifest, result, keyring)
    _check_export_hash(session, manifest, sha256_file(path), result)
    return result
