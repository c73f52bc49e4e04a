"""`moksori export verify FILE.zip`: does a case file still say what the portal exported?

Layers, each catching what the one before cannot:
1. every file against manifest.json (size, SHA-256), and nothing unlisted in the ZIP;
2. the manifest's signature (manifest.sig, Ed25519 with signing-key.pem), and that key is this
   installation's: a file and its manifest line changed together are caught without the database;
3. the trusted timestamps: each piece's proof folds from its bytes in the ZIP to a root, and that
   root's token verifies against the roots the case file ships (stamps.check); each batch's
   audit-log head is still in the log, unchanged;
4. each item's custody.json against the audit log: no event missing, none changed;
5. the manifest against the database: the items exist, each attachment's hash is the one
   recorded at intake, no attachment is missing;
6. the whole ZIP against the `export.completed` audit event of its export id.
"""
from __future__ import annotations

import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.models import Attachment, AuditEvent
from app.sealed import signing, vault
from app.sealed.keys import Keyring
from app.services.audit import event_intact
from app.services.evidence import custody, stamps
from app.services.evidence.casefile import MANIFEST, MANIFEST_FORMAT, PUBLIC_KEY, SIGNATURE
from app.services.files.hashing import blocks, sha256_file, sha256_of
from app.services.intake.reports import find_by_public_id


@dataclass
class Verification:
    checked_files: int = 0
    differences: list[str] = field(default_factory=list)
    export_event_id: int | None = None
    # The hashes recorded at intake are sealed: compared only when the keys were given.
    intake_hashes_checked: bool = False
    signed_by: str | None = None  # the signing key's fingerprint, when the signature holds
    proofs: int = 0
    tokens: int = 0
    custody_events: int = 0

    @property
    def ok(self) -> bool:
        return not self.differences


def _entry_digest(archive: zipfile.ZipFile, name: str) -> tuple[int, str]:
    with archive.open(name) as entry:
        return sha256_of(blocks(entry))


def _check_files(archive: zipfile.ZipFile, manifest: dict, result: Verification) -> None:
    listed = {entry["path"]: entry for entry in manifest.get("files", [])}
    present = set(archive.namelist()) - {MANIFEST, SIGNATURE}
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


def _check_signature(session: Session, archive: zipfile.ZipFile, manifest_bytes: bytes, result: Verification) -> None:
    names = set(archive.namelist())
    if SIGNATURE not in names or PUBLIC_KEY not in names:
        result.differences.append(f"{SIGNATURE}: the case file is not signed ({SIGNATURE} or {PUBLIC_KEY} missing)")
        return
    try:
        public = signing.public_from_pem(archive.read(PUBLIC_KEY))
    except ValueError:
        result.differences.append(f"{PUBLIC_KEY}: not an Ed25519 public key")
        return
    if not signing.valid(public, manifest_bytes, archive.read(SIGNATURE)):
        result.differences.append(f"{SIGNATURE}: the signature over {MANIFEST} does not verify with {PUBLIC_KEY} "
                                  "(the manifest or the signature was changed)")
        return
    if signing.known(session, public) is None:
        result.differences.append(f"{PUBLIC_KEY}: signed with a key that is not this installation's "
                                  f"(fingerprint {signing.fingerprint(public)})")
        return
    result.signed_by = signing.fingerprint(public)


def _check_stamps(session: Session, archive: zipfile.ZipFile, result: Verification) -> None:
    checked = stamps.check(archive)
    result.differences += checked.problems
    result.proofs, result.tokens = checked.proofs, checked.tokens
    for head in checked.audit_heads:
        event = session.get(AuditEvent, int(head["audit_event"]))
        stamped = f"{head['token']} shows it existed at {head['stamped_at'].isoformat()}"
        if event is None:
            result.differences.append(f"audit event {head['audit_event']}: missing from the audit log, but {stamped}")
        elif event.hash != head["audit_hash"] or not event_intact(event):
            result.differences.append(f"audit event {head['audit_event']}: differs from the one {stamped} "
                                      "(the log was rewritten)")


def _check_custody(session: Session, archive: zipfile.ZipFile, manifest: dict, result: Verification) -> None:
    names = set(archive.namelist())
    for public_id in manifest.get("items", []):
        where = f"{public_id}/custody.json"
        if where not in names:
            result.differences.append(f"{where}: missing")
            continue
        try:
            data = json.loads(archive.read(where))
        except (ValueError, zipfile.BadZipFile):
            result.differences.append(f"{where}: unreadable")
            continue
        result.custody_events += len(data.get("events", []))
        result.differences += custody.check(session, data, where)


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
            manifest_bytes = archive.read(MANIFEST)
            manifest = json.loads(manifest_bytes)
        except (KeyError, ValueError, zipfile.BadZipFile) as exc:
            result.differences.append(f"{MANIFEST}: missing or unreadable ({exc})")
            return result
        if manifest.get("format") != MANIFEST_FORMAT:
            result.differences.append(f"{MANIFEST}: unknown format {manifest.get('format')!r}")
            return result
        _check_files(archive, manifest, result)
        try:
            _check_signature(session, archive, manifest_bytes, result)
            _check_stamps(session, archive, result)
            _check_custody(session, archive, manifest, result)
        except (zipfile.BadZipFile, OSError, EOFError) as exc:  # a damaged entry: named above by _check_files
            result.differences.append(f"{path.name}: an entry cannot be read ({exc})")
    _check_database(session, manifest, result, keyring)
    _check_export_hash(session, manifest, sha256_file(path), result)
    return result
