"""Case-file export: a ZIP streamed to the officer, with a manifest of every file's hash.

Streaming. zipfile writes to a sink that cannot seek, so every entry carries a data
descriptor and nothing is ever rewritten; after each write the sink is drained and its bytes
go to the client. Attachments are decrypted segment by segment (attachments.read_chunks), so
memory stays around one 1 MiB segment plus the compressor's window, whatever the file sizes.
The database is read in one short transaction per item (on SQLite every transaction holds the
write lock), never across the minutes a large download takes.

The export's own hash. The manifest cannot contain the hash of the ZIP that holds it, so the
sink hashes every byte it passes on, and when the last byte has gone out an
`export.completed` event records that SHA-256 in a fresh session (the request's session may
be mid-transaction or gone by then). The manifest names the export id, which ties the file
to that event: `moksori export verify` checks both. An `export.started` event (who, which
items, with or without contact details) is committed before the first byte.

Beside each item's files: its custody log from the audit chain (custody.py) and the bytes its
trusted timestamps committed to; in `timestamps/` every proof, token and certificate needed to
check them without the portal (stamps.py); VERIFY.txt says how, in Korean then English. The
manifest is signed last with the organization's signing key (sealed/signing.py): `manifest.sig`
is Ed25519 over the bytes of manifest.json, `signing-key.pem` the public key, checkable with
`openssl pkeyutl -verify -rawin`.
"""
from __future__ import annotations

import hashlib
import json
import re
import secrets
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask import render_template
from flask_babel import force_locale
from sqlalchemy.orm import Session

from app.i18n import org_name
from app.models import Submission, User
from app.models.base import utcnow
from app.sealed import signing, tsa, vault
from app.sealed.keys import Keyring
from app.sealed.sealing import ItemKey
from app.services import audit
from app.services.evidence import custody, stamps
from app.services.evidence.content import LANGS, ItemDocument, file_entries, label_tables, timestamp
from app.services.evidence.render import Renderer, heading_tables
from app.services.files.attachments import read_chunks

MANIFEST = "manifest.json"
MANIFEST_FORMAT = "moksori-case-file-manifest/1"
SIGNATURE = "manifest.sig"
PUBLIC_KEY = "signing-key.pem"
VERIFY = "VERIFY.txt"
SIGNATURE_COMMAND = f"openssl pkeyutl -verify -pubin -inkey {PUBLIC_KEY} -rawin -in {MANIFEST} -sigfile {SIGNATURE}"
MAX_ITEMS = 500
ID_PATTERN = re.compile(r"^[A-Z0-9]{4,16}$")


class SelectionError(ValueError):
    """reason: "empty", "too_many", "unknown" (with the ids not found)."""

    def __init__(self, reason: str, ids: list[str] | None = None):
        super().__init__(reason)
        self.reason, self.ids = reason, ids or []


@dataclass(frozen=True)
class ExportJob:
    export_id: str
    actor: str
    item_ids: tuple[int, ...]
    public_ids: tuple[str, ...]
    include_contact: bool
    started_at: datetime
    case: str | None = None  # the case's public id, for a case's file (case_exports/case_file.py)

    @property
    def filename(self) -> str:
        name = self.public_ids[0] if len(self.public_ids) == 1 else f"{len(self.public_ids)}-items"
        if self.case:
            name = self.case
        return f"case-file-{name}-{timestamp(self.started_at)}.zip"


def parse_ids(values: Iterable[str | None]) -> list[str]:
    """Public ids from form values: one per field or several split by spaces, commas or lines.
    The queue's bulk checkboxes send "PUBLICID:version"; the version is not needed here."""
    seen: dict[str, None] = {}
    for value in values:
        for token in re.split(r"[\s,;]+", value or ""):
            token = token.split(":", 1)[0]
            if token:
                seen.setdefault(token.upper(), None)
    return list(seen)


def resolve(session: Session, public_ids: list[str]) -> list[Submission]:
    if not public_ids:
        raise SelectionError("empty")
    if len(public_ids) > MAX_ITEMS:
        raise SelectionError("too_many")
    valid = [pid for pid in public_ids if ID_PATTERN.match(pid)]
    found = {s.public_id: s for s in session.scalars(sa.select(Submission).where(Submission.public_id.in_(valid)))}
    missing = [pid for pid in public_ids if pid not in found]
    if missing:
        raise SelectionError("unknown", missing)
    return [found[pid] for pid in public_ids]


def start(session: Session, actor: User, items: list[Submission], include_contact: bool) -> ExportJob:
    """Audit the export (and the contact details' inclusion) before any byte leaves; commits."""
    job = ExportJob(secrets.token_hex(8), f"user:{actor.id}", tuple(i.id for i in items),
                    tuple(i.public_id for i in items), include_contact, utcnow())
    audit.record(session, job.actor, "export.started", "export", job.export_id,
                 {"items": list(job.public_ids), "include_contact": include_contact})
    for item in items:
        audit.record(session, job.actor, "submission.exported", "submission", item.public_id,
                     {"export_id": job.export_id, "include_contact": include_contact})
    signing.ensure(session)  # an installation whose keys predate it gets its signing key now
    session.commit()
    return job


@dataclass(frozen=True)
class Trust:
    """What the case file's timestamps are checked against (TSA_CA_FILE), and whether an
    authority is configured at all (to say why pieces wait)."""

    anchors: tsa.TrustAnchors | None
    configured: bool

    @classmethod
    def from_config(cls, config) -> Trust:
        try:
            anchors = tsa.load_anchors(config.get("TSA_CA_FILE") or None)
        except tsa.AnchorsError:
            anchors = None
        return cls(anchors, bool(config.get("TSA_URLS")))


class _Sink:
    """A write-only, unseekable file for zipfile: collects, hashes and counts what it gets."""

    def __init__(self):
        self.parts: list[bytes] = []
        self.sha256 = hashlib.sha256()
        self.size = 0

    def write(self, data) -> int:
        data = bytes(data)
        self.parts.append(data)
        self.sha256.update(data)
        self.size += len(data)
        return len(data)

    def flush(self) -> None:
        pass

    def close(self) -> None:
        """zipfile never closes a file it was handed; its typed signature asks for the method."""

    def drain(self) -> bytes:
        data, self.parts = b"".join(self.parts), []
        return data


class _Writer:
    """Adds entries to the ZIP and remembers each one's size and SHA-256 for the manifest."""

    def __init__(self, when: datetime):
        self.sink = _Sink()
        self.zip = zipfile.ZipFile(self.sink, mode="w", compression=zipfile.ZIP_DEFLATED)
        self.date_time = when.timetuple()[:6]
        self.entries: list[dict] = []

    def add(self, path: str, chunks: Iterable[bytes], kind: str, size_hint: int = 0, **extra) -> Iterator[bytes]:
        info = zipfile.ZipInfo(path, self.date_time)
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o644 << 16
        info.file_size = size_hint  # lets zipfile choose ZIP64 headers for files near 4 GiB
        digest, size = hashlib.sha256(), 0
        with self.zip.open(info, mode="w") as entry:
            for chunk in chunks:
                entry.write(chunk)
                digest.update(chunk)
                size += len(chunk)
                if self.sink.parts:
                    yield self.sink.drain()
        self.entries.append({"path": path, "size": size, "sha256": digest.hexdigest(), "kind": kind, **extra})
        if self.sink.parts:
            yield self.sink.drain()

    def add_json(self, path: str, data, kind: str, **extra) -> Iterator[bytes]:
        body = json.dumps(data, ensure_ascii=False, indent=2, sort_keys=False).encode() + b"\n"
        yield from self.add(path, [body], kind, **extra)

    def close(self) -> bytes:
        self.zip.close()
        return self.sink.drain()


@dataclass
class _FileRef:
    """What read_chunks needs of an attachment, kept after the item's transaction ended."""

    stored_name: str
    key: ItemKey


def _item_parts(session: Session, item_id: int, job: ExportJob, keyring: Keyring, labels,
                headings, proofs: stamps.Stamps) -> tuple[str, list, dict]:
    """Everything about one item except file contents, read in one short transaction."""
    item = session.get(Submission, item_id)
    if item is None:  # purged since the export started: the manifest's item list shows the gap
        session.rollback()
        return "", [], {"files": [], "refs": {}}
    folder = item.public_id
    key = vault.open_for_staff(keyring, item)
    vault.open_thread(item, key, keyring)
    document = ItemDocument(session, item, labels, job.include_contact, keyring)
    files = file_entries(item, folder)
    doc = document.submission(files)
    messages = document.messages(files)
    notes = document.notes()
    kept = custody.custody(session, item.public_id)
    parts = [
        (f"{folder}/submission.json", "submission", doc),
        (f"{folder}/submission.html", "rendering",
         Renderer(headings).page(doc, messages, notes, job.export_id, kept["events"])),
        (f"{folder}/messages.json", "messages", messages),
        (f"{folder}/notes.json", "notes", notes),
        (f"{folder}/audit.json", "audit", document.audit_trail()),
        (f"{folder}/custody.json", "custody", kept),
        *((path, "piece", data) for path, data in proofs.add_item(session, item, key, keyring, files)),
    ]
    refs = {f["attachment_id"]: _FileRef(a.stored_name, key) for f, a in zip(files, item.attachments, strict=True)}
    session.rollback()  # end the transaction before the slow part: streaming the files
    return folder, parts, {"files": files, "refs": refs}


def _verify_text(job: ExportJob, proofs: stamps.Stamps, fingerprint: str) -> bytes:
    """VERIFY.txt: Korean, then English."""
    texts = []
    for lang in LANGS:
        with force_locale(lang):
            texts.append(render_template("evidence/verify.txt", export_id=job.export_id, org=org_name(),
                                         fingerprint=fingerprint, signature_command=SIGNATURE_COMMAND,
                                         batches=proofs.verify_context(), waiting=len(proofs.waiting)).strip())
    return ("\n\n----------\n\n".join(texts) + "\n").encode()


# A case's own parts (case/…): given the session and the proofs, returns (path, kind, data).
CaseParts = Callable[[Session, stamps.Stamps], list[tuple[str, str, object]]]


def stream(session_factory, job: ExportJob, upload_dir: str, keyring: Keyring,
           trust: Trust | None = None, case_parts: CaseParts | None = None) -> Iterator[bytes]:
    """Yield the ZIP, opening each item with the exporting officer's keys; when it is
    complete, record its hash in a fresh session. A case's file starts with `case_parts`."""
    trust = trust or Trust(None, False)
    labels, headings = label_tables(), heading_tables()
    writer = _Writer(job.started_at)
    proofs = stamps.Stamps(configured=trust.configured)
    with session_factory() as session:
        for path, kind, data in case_parts(session, proofs) if case_parts else []:
            yield from writer.add_json(path, data, kind, case=job.case)
        for item_id in job.item_ids:
            folder, parts, attached = _item_parts(session, item_id, job, keyring, labels, headings, proofs)
            for path, kind, data in parts:
                if isinstance(data, bytes):
                    yield from writer.add(path, [data], kind, item=folder)
                elif isinstance(data, str):
                    yield from writer.add(path, [data.encode()], kind, item=folder)
                else:
                    yield from writer.add_json(path, data, kind, item=folder)
            for entry in attached["files"]:
                ref = attached["refs"][entry["attachment_id"]]
                yield from writer.add(entry["path"], read_chunks(ref.stored_name, upload_dir, ref.key),
                                      "attachment", size_hint=entry["size"], item=folder,
                                      attachment_id=entry["attachment_id"])
        key_row = signing.current(session)
        if key_row is None:
            raise LookupError("no signing key: the export did not start through start()")
        public = key_row.public_key
        signer = signing.Signer(key_row.public_key, key_row.private_sealed)
        session.rollback()
    for path, data in proofs.files(trust.anchors):
        yield from writer.add(path, [data], "timestamps")
    fingerprint = signing.fingerprint(public)
    yield from writer.add(PUBLIC_KEY, [signing.public_pem(public).encode()], "signing_key")
    yield from writer.add(VERIFY, [_verify_text(job, proofs, fingerprint)], "instructions")
    manifest = {
        "format": MANIFEST_FORMAT, "export_id": job.export_id, "created_at": job.started_at.isoformat(),
        "created_by": job.actor, "include_contact": job.include_contact, **({"case": job.case} if job.case else {}),
        "items": list(job.public_ids),
        "hash_algorithm": "sha256", "files": writer.entries,
        "signature": {"file": SIGNATURE, "public_key": PUBLIC_KEY, "fingerprint_sha256": fingerprint,
                      "algorithm": "Ed25519 (RFC 8032) over the bytes of manifest.json",
                      "openssl": SIGNATURE_COMMAND},
        "note": "The SHA-256 of this ZIP is recorded in the portal's audit log as export.completed for export_id.",
    }
    body = json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=False).encode() + b"\n"
    yield from writer.add(MANIFEST, [body], "manifest")
    yield from writer.add(SIGNATURE, [signer.sign(keyring, body)], "signature")
    del writer.entries[-2:]
    yield writer.close()
    with session_factory() as session:
        audit.record(session, job.actor, "export.completed", "export", job.export_id,
                     {"sha256": writer.sink.sha256.hexdigest(), "bytes": writer.sink.size,
                      "files": len(writer.entries), "items": len(job.item_ids)})
        session.commit()
