"""A case file's trusted timestamps (SECURITY.md, "Trusted timestamps"; DESIGN §5 "Case files").

For each piece of an item — its account as committed at intake, each file as kept, each later
message — the case file carries the exact bytes committed to (files are already there; the
account and messages as their canonical JSON under `<item>/pieces/`), and in `timestamps/`:

    proofs.json        per piece {file, salt, leaf_index, tree_size, path, root, token, tsa, time};
                       pieces without a proof under "waiting", with why; each batch's audit-log
                       head (the tree's last leaf) under "audit_heads"; per batch its root, the
                       imprint the authority signed (SHA-256 of the root) and the OpenSSL command
    batch-<id>.tsr     the authority's answer (TimeStampResp, DER), as `openssl ts -verify -in` reads it
    tsa-roots.pem      the trust anchors the tokens' certificates are issued under (`-CAfile`)
    tsa-certs.pem      the certificates the tokens carry (`-untrusted`)
    verify_proofs.py   a standard-library script that folds every path (shipped/verify_proofs.py)

check() is `moksori export verify`'s side: every proof folds to its root from the bytes in the ZIP,
and every token verifies for that root against the roots the case file ships.
"""
from __future__ import annotations

import hashlib
import json
import zipfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.models import Submission, TimestampBatch, TimestampPiece
from app.models.timestamps import STAMPED
from app.sealed import commitments, tsa
from app.sealed.keys import Keyring
from app.sealed.sealing import ItemKey
from app.services import merkle
from app.services.evidence import timestamps

FORMAT = "moksori-timestamp-proofs/1"
FOLDER = "timestamps"
PROOFS = f"{FOLDER}/proofs.json"
SCRIPT = f"{FOLDER}/verify_proofs.py"
ROOTS = f"{FOLDER}/tsa-roots.pem"
CERTS = f"{FOLDER}/tsa-certs.pem"
SCRIPT_SOURCE = Path(__file__).with_name("shipped") / "verify_proofs.py"
CONSTRUCTION = ("leaf = SHA-256(0x00 || salt || SHA-256(file)); node = SHA-256(0x01 || left || right) (RFC 9162 "
                "section 2.1); the token (RFC 3161) signs the imprint SHA-256(root). Audit heads: leaf = "
                "SHA-256(0x00 || leaf_data).")
NO_COMMITMENT = "no commitment: it arrived before trusted timestamps were introduced (revision 0019)"


def token_path(batch_id: int) -> str:
    return f"{FOLDER}/batch-{batch_id}.tsr"


def openssl_command(batch: dict) -> str:
    return (f"openssl ts -verify -digest {batch['imprint']} -in {batch['token']} -CAfile {ROOTS} "
            f"-untrusted {CERTS}")


@dataclass
class Stamps:
    """Proofs gathered item by item while a case file is written."""

    configured: bool = True
    proofs: list[dict] = field(default_factory=list)
    waiting: list[dict] = field(default_factory=list)
    # Pieces no commitment exists for and none will (a case's records, links and notes: staff
    # writes them, nothing was committed at intake); said so in proofs.json, never left out.
    uncovered: list[dict] = field(default_factory=list)
    batches: dict[int, dict] = field(default_factory=dict)
    trees: dict[int, list[list[bytes]]] = field(default_factory=dict)

    def add_item(self, session: Session, item: Submission, key: ItemKey, keyring: Keyring,
                 files: list[dict]) -> list[tuple[str, bytes]]:
        """Record the proofs of an opened item's pieces (its thread opened too); returns the
        pieces' files that are not already in the case file (account, messages)."""
        folder = item.public_id
        pieces = list(session.scalars(sa.select(TimestampPiece).where(TimestampPiece.submission_id == item.id)
                                      .order_by(TimestampPiece.id)))
        found = timestamps.proofs(keyring, pieces, self.trees)
        paths = {entry["attachment_id"]: entry["path"] for entry in files}
        messages = {message.id: message for message in item.messages}
        extra: list[tuple[str, bytes]] = []
        seen_files, seen_messages, account = set(), set(), False
        for piece in pieces:
            if piece.kind == "account":
                path, account = f"{folder}/pieces/account.json", True
                extra.append((path, commitments.open_account(key, piece)))
            elif piece.kind == "message" and piece.message_id in messages:
                path = f"{folder}/pieces/message-{piece.message_id}.json"
                message = messages[piece.message_id]
                extra.append((path, commitments.message_bytes(message, message.body or "")))
                seen_messages.add(piece.message_id)
            elif piece.kind == "file" and piece.attachment_id in paths:
                path = paths[piece.attachment_id]
                seen_files.add(piece.attachment_id)
            else:
                continue
            self._add(folder, piece, path, found[piece.id])
        if not account:
            self.waiting.append({"file": None, "item": folder, "piece": "account", "reason": NO_COMMITMENT})
        for attachment_id, path in paths.items():
            if attachment_id not in seen_files:
                self.waiting.append({"file": path, "item": folder, "piece": "file", "reason": NO_COMMITMENT})
        for message_id in sorted(set(messages) - seen_messages):
            self.waiting.append({"file": None, "item": folder, "piece": "message", "message": message_id,
                                 "reason": NO_COMMITMENT})
        return extra

    def _add(self, folder: str, piece: TimestampPiece, path: str, found: dict | None) -> None:
        if found is None:
            which = {"message": piece.message_id} if piece.kind == "message" else {}
            self.waiting.append({"file": path, "item": folder, "piece": piece.kind, **which,
                                 "reason": self._why(piece)})
            return
        batch = piece.batch
        if batch is None:  # a proof exists only for a stamped batch
            raise ValueError(f"piece {piece.id}: a proof without a batch")
        if batch.id not in self.batches:
            self._add_batch(batch)
        self.proofs.append({"file": path, "item": folder, "piece": piece.kind, "salt": found["salt"],
                            "leaf_index": found["leaf_index"], "tree_size": found["tree_size"],
                            "path": found["path"], "root": found["root"], "token": token_path(batch.id),
                            "tsa": found["tsa"], "time": found["time"]})

    def _add_batch(self, batch: TimestampBatch) -> None:
        root = batch.root or b""
        entry: dict[str, Any] = {
            "token": token_path(batch.id), "root": root.hex(), "imprint": hashlib.sha256(root).hexdigest(),
            "tsa": batch.tsa_url, "time": batch.stamped_at.isoformat() if batch.stamped_at else None,
            "der": bytes(batch.token or b"")}
        entry["openssl"] = openssl_command(entry)
        audit = timestamps.audit_proof(batch, self.trees.get(batch.id))
        entry["audit"] = {**audit, "token": entry["token"]} if audit else None
        self.batches[batch.id] = entry

    def _why(self, piece: TimestampPiece) -> str:
        arrived = piece.created_at.isoformat(timespec="seconds")
        if piece.batch is not None and piece.batch.status != STAMPED:
            error = f"; last error: {piece.batch.last_error}" if piece.batch.last_error else ""
            return (f"waiting: in batch {piece.batch.id}, which no authority has stamped yet "
                    f"({piece.batch.attempts} attempt(s){error}); arrived {arrived}")
        if not self.configured:
            return f"waiting: no time-stamping authority is configured (TSA_URLS); arrived {arrived}"
        return f"waiting for the next batch; arrived {arrived}"

    def files(self, anchors: tsa.TrustAnchors | None) -> list[tuple[str, bytes]]:
        """timestamps/: the tokens, the certificates, proofs.json and the script."""
        batches = [self.batches[batch_id] for batch_id in sorted(self.batches)]
        roots, carried = tsa.shipped_certificates([b["der"] for b in batches], anchors)
        data = {
            "format": FORMAT, "construction": CONSTRUCTION, "proofs": self.proofs, "waiting": self.waiting,
            **({"uncovered": self.uncovered} if self.uncovered else {}),
            "audit_heads": [b["audit"] for b in batches if b["audit"]],
            "batches": [{k: v for k, v in b.items() if k not in ("der", "audit")} for b in batches],
        }
        out = [(b["token"], b["der"]) for b in batches]
        if batches:
            out += [(ROOTS, roots), (CERTS, carried)]
        out += [(PROOFS, json.dumps(data, ensure_ascii=False, indent=2).encode() + b"\n"),
                (SCRIPT, SCRIPT_SOURCE.read_bytes())]
        return out

    def verify_context(self) -> list[dict]:
        return [self.batches[batch_id] for batch_id in sorted(self.batches)]


@dataclass
class Checked:
    problems: list[str] = field(default_factory=list)
    proofs: int = 0
    tokens: int = 0
    audit_heads: list[dict] = field(default_factory=list)  # folded and stamped: compare with the log


def _token_time(archive: zipfile.ZipFile, names: set[str], token: str, root: bytes,
                anchors: tsa.TrustAnchors | None, cache: dict) -> datetime | str:
    """The token's time, or why it is refused (checked once per token and root)."""
    if (token, root) not in cache:
        if token not in names:
            cache[token, root] = f"token {token} is missing from the ZIP"
        elif anchors is None:
            cache[token, root] = f"{ROOTS} is missing or unreadable: the token cannot be checked"
        else:
            try:
                cache[token, root] = tsa.verify_stored(archive.read(token), root, anchors)
            except (tsa.TokenRefused, zipfile.BadZipFile) as error:
                cache[token, root] = f"token {token} refused ({error})"
    return cache[token, root]


def _fold(leaf: bytes, entry: dict) -> bytes | None:
    """The root the entry's path leads to from `leaf`, when it is the entry's root."""
    root = bytes.fromhex(entry["root"])
    path = [bytes.fromhex(node) for node in entry["path"]]
    return root if merkle.verify_inclusion(leaf, int(entry["leaf_index"]), int(entry["tree_size"]), path, root) \
        else None


def _same_time(stated: str | None, actual: datetime) -> bool:
    try:
        return stated is not None and datetime.fromisoformat(stated) == actual
    except ValueError:
        return False


def check(archive: zipfile.ZipFile) -> Checked:
    result = Checked()
    names = set(archive.namelist())
    if PROOFS not in names:
        result.problems.append(f"{PROOFS}: missing")
        return result
    try:
        data = json.loads(archive.read(PROOFS))
        anchors = tsa.anchors_from_pem(archive.read(ROOTS), ROOTS) if ROOTS in names else None
    except (ValueError, tsa.AnchorsError, zipfile.BadZipFile) as error:
        result.problems.append(f"{PROOFS} or {ROOTS}: unreadable ({error})")
        return result
    cache: dict = {}
    for entry in data.get("proofs", []):
        where = entry.get("file")
        try:
            if where not in names:
                result.problems.append(f"{where}: a stamped piece missing from the ZIP")
                continue
            digest = hashlib.sha256(archive.read(where)).digest()
            root = _fold(commitments.leaf_for(bytes.fromhex(entry["salt"]), digest), entry)
        except (KeyError, TypeError, ValueError, zipfile.BadZipFile) as error:
            result.problems.append(f"{where}: its proof cannot be read ({type(error).__name__})")
            continue
        if root is None:
            result.problems.append(f"{where}: not the bytes that were stamped (changed since: the leaf from these "
                                   f"bytes and the salt does not lead to the root of {entry.get('token')})")
            continue
        when = _token_time(archive, names, entry.get("token"), root, anchors, cache)
        if isinstance(when, str):
            result.problems.append(f"{where}: {when}")
        elif not _same_time(entry.get("time"), when):
            result.problems.append(f"{where}: the proof says {entry.get('time')}, its token {when.isoformat()}")
        else:
            result.proofs += 1
    for head in data.get("audit_heads", []):
        try:
            root = _fold(merkle.leaf_hash(head["leaf_data"].encode()), head)
            expected = timestamps.audit_leaf_data(int(head["audit_event"]), head["audit_hash"]).decode()
        except (KeyError, TypeError, ValueError, AttributeError):
            result.problems.append(f"{PROOFS}: an audit head cannot be read")
            continue
        if root is None or head["leaf_data"] != expected:
            result.problems.append(f"audit head in {head.get('token')}: does not lead to its root")
            continue
        when = _token_time(archive, names, head.get("token"), root, anchors, cache)
        if isinstance(when, str):
            result.problems.append(f"audit head of {head.get('token')}: {when}")
        else:
            result.audit_heads.append({**head, "stamped_at": when})
    result.tokens = sum(1 for value in cache.values() if isinstance(value, datetime))
    return result
