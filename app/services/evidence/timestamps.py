"""Batches of trusted timestamps (SECURITY.md, "Trusted timestamps").

Every piece committed at intake (sealed/commitments.py) waits for a batch. A run
(`moksori evidence timestamp`, or the moksori-timestamp timer with --when-due) takes the waiting
pieces, builds an RFC 9162 Merkle tree over their leaf hashes (services/merkle.py), asks the
configured authorities in turn for an RFC 3161 token over the root, and keeps the first token
that verifies (sealed/tsa.py). A run works in three short steps, so that no transaction is
open while an authority is asked and intake never waits for one:

1. claim: the one waiting batch (or a new one) is claimed for a few minutes and given the
   pieces that wait, in order, with their leaf indexes, tree size and root; committed;
2. ask: each authority in TSA_URLS until one answers with a valid token;
3. keep: the token, its authority and time, and the leaf hashes; or, when none answered,
   the attempt, its errors and the time of the next one (backoff: 5 minutes, doubling, at
   most 6 hours). A waiting batch that is tried again takes in the pieces that arrived since.

The proof of a piece (proof()) is what a case file carries to show that it existed then.

Every tree ends with one more leaf: the audit chain's head when the tree was built
(audit_leaf_data: "moksori-audit-head/1:<event id>:<hash>", hashed as any leaf, unsalted: the
hash is a keyed MAC that says nothing about content). A batch's token then also shows that the
audit log had reached that event by the token's time, so a log rewritten later, even by someone
with the server's keys, no longer fits the tokens kept outside (audit_proof()).
"""
from __future__ import annotations

import secrets
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.models import AuditEvent, TimestampBatch, TimestampPiece
from app.models.base import rows_affected, utcnow
from app.models.timestamps import STAMPED, WAITING
from app.sealed import commitments, tsa
from app.sealed.keys import Keyring
from app.services import merkle

CLAIM = timedelta(minutes=10)
BACKOFF_BASE = timedelta(minutes=5)
BACKOFF_MAX = timedelta(hours=6)
MAX_PIECES = 100_000  # per batch; more wait for the next
MAX_ANSWER = 1024 * 1024
HASH = merkle.HASH_SIZE
AUDIT_LEAF_PREFIX = "moksori-audit-head/1"


class TransportError(Exception):
    """The authority could not be asked or did not answer properly."""


Post = Callable[[str, bytes, float], bytes]


def http_post(url: str, body: bytes, timeout: float) -> bytes:
    """POST a time-stamp query (RFC 3161 §3.4) and return the body of a 200 answer."""
    if not url.startswith(("https://", "http://")):
        raise TransportError("not an http(s) address")
    request = urllib.request.Request(url, data=body, method="POST",
                                     headers={"Content-Type": tsa.REQUEST_TYPE, "Accept": tsa.REPLY_TYPE})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:  # nosec B310 # http(s) only, checked above
            data = answer.read(MAX_ANSWER + 1)
    except urllib.error.HTTPError as error:
        raise TransportError(f"HTTP {error.code}") from error
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise TransportError(f"unreachable ({type(reason).__name__})") from error
    if len(data) > MAX_ANSWER:
        raise TransportError("answer too large")
    return data


@dataclass
class RunResult:
    """What a run did: outcome is one of not_configured, nothing, not_due, waiting, busy,
    stamped, failed."""

    outcome: str
    batch_id: int | None = None
    pieces: int = 0
    tsa_url: str | None = None
    time: datetime | None = None
    next_attempt_at: datetime | None = None
    errors: list[str] = field(default_factory=list)


@dataclass
class _Claim:
    batch_id: int
    claim: str
    leaves: list[bytes]  # the pieces' leaves, then the audit head's (when there is one)
    root: bytes
    pieces: int


def audit_leaf_data(event_id: int, event_hash: str) -> bytes:
    return f"{AUDIT_LEAF_PREFIX}:{event_id}:{event_hash}".encode()


def audit_head(session: Session) -> tuple[int, str] | None:
    """The audit chain's newest event (id, hash), which the next tree's last leaf commits to."""
    row = session.execute(sa.select(AuditEvent.id, AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)).first()
    return (row.id, row.hash) if row else None


def backoff(attempts: int) -> timedelta:
    return min(BACKOFF_BASE * 2 ** max(attempts - 1, 0), BACKOFF_MAX)


def run(session: Session, urls: Iterable[str], anchors: tsa.TrustAnchors | None, *, when_due: bool = False,
        interval: timedelta = timedelta(hours=1), timeout: float = 10.0, post: Post = http_post,
        now: datetime | None = None) -> RunResult:
    """One batch: claim, ask, keep. `when_due` (the timer) waits for `interval` after the last
    batch and for a failed batch's backoff; without it (the command) a batch is made now."""
    urls = list(urls)
    if not urls or anchors is None:
        return RunResult("not_configured")
    now = now or utcnow()
    claimed = _claim(session, now, when_due, interval)
    if isinstance(claimed, RunResult):
        return claimed
    request = tsa.request_for(claimed.root)
    errors = []
    for url in urls:
        try:
            answer = post(url, request.der, timeout)
            stamped_at = tsa.verify_answer(request, answer, anchors)
        except (TransportError, tsa.TokenRefused) as error:
            errors.append(f"{url}: {error}")
            continue
        _keep(session, claimed, url, answer, stamped_at)
        return RunResult("stamped", claimed.batch_id, claimed.pieces, url, stamped_at)
    next_attempt = _failed(session, claimed, errors, now)
    return RunResult("failed", claimed.batch_id, claimed.pieces, next_attempt_at=next_attempt, errors=errors)


def _claim(session: Session, now: datetime, when_due: bool, interval: timedelta) -> _Claim | RunResult:
    claim = secrets.token_hex(16)
    batch = session.scalar(sa.select(TimestampBatch).where(TimestampBatch.status == WAITING))
    if batch is None:
        if session.scalar(sa.select(TimestampPiece.id).where(TimestampPiece.batch_id.is_(None)).limit(1)) is None:
            session.rollback()
            return RunResult("nothing")
        last = session.scalar(sa.select(sa.func.max(TimestampBatch.created_at)))
        if when_due and last is not None and now - last < interval:
            session.rollback()
            return RunResult("not_due", next_attempt_at=last + interval)
        batch = TimestampBatch(status=WAITING, open_slot=1, created_at=now, claimed_by=claim,
                               claimed_until=now + CLAIM)
        try:
            with session.begin_nested():
                session.add(batch)
                session.flush()
        except IntegrityError:  # another run made the waiting batch a moment ago
            session.rollback()
            return RunResult("busy")
    else:
        if when_due and batch.next_attempt_at is not None and batch.next_attempt_at > now:
            session.rollback()
            return RunResult("waiting", batch.id, next_attempt_at=batch.next_attempt_at)
        taken = session.execute(sa.update(TimestampBatch).where(
            TimestampBatch.id == batch.id, TimestampBatch.status == WAITING,
            sa.or_(TimestampBatch.claimed_until.is_(None), TimestampBatch.claimed_until <= now),
        ).values(claimed_by=claim, claimed_until=now + CLAIM).execution_options(synchronize_session=False))
        if rows_affected(taken) != 1:
            session.rollback()
            return RunResult("busy", batch.id)
    rows = session.execute(
        sa.select(TimestampPiece.id, TimestampPiece.leaf_hash)
        .where(sa.or_(TimestampPiece.batch_id == batch.id, TimestampPiece.batch_id.is_(None)))
        .order_by(TimestampPiece.id).limit(MAX_PIECES)).all()
    if not rows:  # its pieces were purged meanwhile
        session.execute(sa.delete(TimestampBatch).where(TimestampBatch.id == batch.id))
        session.commit()
        return RunResult("nothing")
    last_id = rows[-1].id
    session.execute(sa.update(TimestampPiece).where(TimestampPiece.batch_id == batch.id, TimestampPiece.id > last_id)
                    .values(batch_id=None, leaf_index=None).execution_options(synchronize_session=False))
    session.execute(sa.update(TimestampPiece), [{"id": row.id, "batch_id": batch.id, "leaf_index": index}
                                                for index, row in enumerate(rows)])
    leaves = [bytes(row.leaf_hash) for row in rows]
    head = audit_head(session)
    if head is not None:
        leaves.append(merkle.leaf_hash(audit_leaf_data(*head)))
    root = merkle.root(leaves)
    session.execute(sa.update(TimestampBatch).where(TimestampBatch.id == batch.id)
                    .values(tree_size=len(leaves), root=root, audit_event_id=head[0] if head else None,
                            audit_hash=head[1] if head else None).execution_options(synchronize_session=False))
    batch_id = batch.id
    session.commit()
    return _Claim(batch_id, claim, leaves, root, len(rows))


def _keep(session: Session, claimed: _Claim, url: str, answer: bytes, stamped_at: datetime) -> None:
    kept = session.execute(sa.update(TimestampBatch).where(
        TimestampBatch.id == claimed.batch_id, TimestampBatch.claimed_by == claimed.claim,
    ).values(status=STAMPED, open_slot=None, token=answer, tsa_url=url, stamped_at=stamped_at,
             leaves=b"".join(claimed.leaves), attempts=TimestampBatch.attempts + 1, last_error=None,
             next_attempt_at=None, claimed_by=None, claimed_until=None).execution_options(synchronize_session=False))
    if rows_affected(kept) != 1:  # our claim ran out and another run took the batch: it stamps it
        session.rollback()
        return
    # The leaf hashes now live in the batch (they outlive a purged piece there).
    session.execute(sa.update(TimestampPiece).where(TimestampPiece.batch_id == claimed.batch_id)
                    .values(leaf_hash=None).execution_options(synchronize_session=False))
    session.commit()


def _failed(session: Session, claimed: _Claim, errors: list[str], now: datetime) -> datetime | None:
    done = session.scalar(sa.select(TimestampBatch.attempts).where(TimestampBatch.id == claimed.batch_id)) or 0
    attempts = done + 1
    next_attempt = now + backoff(attempts)
    session.execute(sa.update(TimestampBatch).where(
        TimestampBatch.id == claimed.batch_id, TimestampBatch.claimed_by == claimed.claim,
    ).values(attempts=attempts, next_attempt_at=next_attempt, last_error="; ".join(errors)[:300],
             claimed_by=None, claimed_until=None).execution_options(synchronize_session=False))
    session.commit()
    return next_attempt


def batch_leaves(batch: TimestampBatch) -> list[bytes]:
    data = batch.leaves or b""
    return [data[i:i + HASH] for i in range(0, len(data), HASH)]


def proofs(keyring: Keyring, pieces: Iterable[TimestampPiece],
           trees: dict[int, list[list[bytes]]] | None = None) -> dict[int, dict | None]:
    """The proof of each piece by its id (None for a piece whose batch is not stamped yet):
    {salt, leaf_index, tree_size, path, root (hex), token (DER bytes), tsa, time (ISO 8601)}.
    Each batch's tree is built once (and kept in `trees`, by batch id, when given)."""
    trees = {} if trees is None else trees
    found: dict[int, dict | None] = {}
    for piece in pieces:
        batch = piece.batch
        if batch is None or batch.status != STAMPED or piece.leaf_index is None:
            found[piece.id] = None
            continue
        if batch.id not in trees:
            trees[batch.id] = merkle.levels(batch_leaves(batch))
        found[piece.id] = {
            "salt": commitments.open_salt(keyring, piece).hex(),
            "leaf_index": piece.leaf_index,
            "tree_size": batch.tree_size,
            "path": [node.hex() for node in merkle.inclusion_path(trees[batch.id], piece.leaf_index)],
            "root": (batch.root or b"").hex(),
            "token": batch.token,
            "tsa": batch.tsa_url,
            "time": batch.stamped_at.isoformat() if batch.stamped_at else None,
        }
    return found


def proof(keyring: Keyring, piece: TimestampPiece) -> dict | None:
    return proofs(keyring, [piece])[piece.id]


def audit_proof(batch: TimestampBatch, tree: list[list[bytes]] | None = None) -> dict | None:
    """The proof that a stamped batch's last leaf is the audit chain's head when it was built:
    {audit_event, audit_hash, leaf_data, leaf_index, tree_size, path, root, tsa, time}; None
    for a batch without that leaf (stamped before revision 0021) or not stamped."""
    if batch.status != STAMPED or batch.audit_event_id is None or batch.audit_hash is None:
        return None
    tree = tree or merkle.levels(batch_leaves(batch))
    index = batch.tree_size - 1
    return {
        "audit_event": batch.audit_event_id, "audit_hash": batch.audit_hash,
        "leaf_data": audit_leaf_data(batch.audit_event_id, batch.audit_hash).decode(),
        "leaf_index": index, "tree_size": batch.tree_size,
        "path": [node.hex() for node in merkle.inclusion_path(tree, index)],
        "root": (batch.root or b"").hex(), "tsa": batch.tsa_url,
        "time": batch.stamped_at.isoformat() if batch.stamped_at else None,
    }


def check_proof(found: dict, digest: bytes, anchors: tsa.TrustAnchors) -> datetime:
    """Check a proof against SHA-256 of the piece, as anyone holding the piece could: the leaf
    from salt and digest, the path to the root, and the token over the root. Returns the
    token's time; raises tsa.TokenRefused or ValueError."""
    leaf = commitments.leaf_for(bytes.fromhex(found["salt"]), digest)
    path = [bytes.fromhex(node) for node in found["path"]]
    root = bytes.fromhex(found["root"])
    if not merkle.verify_inclusion(leaf, found["leaf_index"], found["tree_size"], path, root):
        raise ValueError("the piece is not in the tree whose root was stamped")
    return tsa.verify_stored(found["token"], root, anchors)
