"""An item's chain of custody, taken from the audit chain, for its case file (custody.json).

Every event of the audit log about the item — received, follow-ups, viewed, contact details
revealed, exported, held and released, status and other changes — with the account and role
behind it and the event's own hash, and where the log stood when the custody was read: the
chain's head (`ends_at`) with a checkpoint line for it (`moksori audit verify --checkpoint LINE`
later shows that nothing at or before it was removed or rewritten on the server).

`check()` (from `moksori export verify`) compares a custody.json with the log: every event it lists
must still be there, unchanged, and every event of the item up to `ends_at` must be listed — a
case file from which an entry was removed, or a log from which one was, is named.
"""
from __future__ import annotations

import hmac
import json

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.models import AuditEvent, User
from app.services.audit import Checkpoint, event_intact

FORMAT = "moksori-custody/1"
# What each action is, for a reader (the summary's labels are in render.py).
KINDS = {
    "submission.created": "received", "submission.followup": "received", "submission.viewed": "viewed",
    "submission.contact_revealed": "revealed", "submission.exported": "exported",
    "submission.evidence_hold": "held", "submission.evidence_released": "released", "submission.status": "status",
}


def _events(session: Session, public_id: str, up_to: int | None = None) -> list[AuditEvent]:
    query = (sa.select(AuditEvent).where(AuditEvent.target_type == "submission", AuditEvent.target_id == public_id)
             .order_by(AuditEvent.id))
    if up_to is not None:
        query = query.where(AuditEvent.id <= up_to)
    return list(session.scalars(query))


def _accounts(session: Session, events: list[AuditEvent]) -> dict[str, User]:
    ids = {int(e.actor.split(":", 1)[1]) for e in events if e.actor.startswith("user:") and e.actor[5:].isdigit()}
    users: list[User] = list(session.scalars(sa.select(User).where(User.id.in_(ids)))) if ids else []
    return {f"user:{user.id}": user for user in users}


def _role(actor: str, user: User | None) -> str:
    if user is not None:
        return user.role
    return actor if actor in ("submitter", "system", "cli") else "other"


def custody(session: Session, public_id: str) -> dict:
    """The item's custody log as of now (read in the caller's transaction)."""
    events = _events(session, public_id)
    accounts = _accounts(session, events)
    head = session.execute(sa.select(AuditEvent.id, AuditEvent.hash, AuditEvent.created_at)
                           .order_by(AuditEvent.id.desc()).limit(1)).first()
    entries = []
    for event in events:
        user = accounts.get(event.actor)
        entries.append({
            "seq": event.id, "time": event.created_at.isoformat(timespec="microseconds"),
            "what": KINDS.get(event.action, "changed"), "action": event.action,
            "role": _role(event.actor, user), "actor": event.actor,
            "account": user.email if user else None, "name": user.name if user else None,
            "details": json.loads(event.details or "{}"), "prev_hash": event.prev_hash, "hash": event.hash,
        })
    ends_at = None
    if head is not None:
        ends_at = {"seq": head.id, "hash": head.hash, "time": head.created_at.isoformat(timespec="microseconds"),
                   "checkpoint": Checkpoint(head.id, head.hash).line}
    return {
        "format": FORMAT, "item": public_id, "events": entries, "ends_at": ends_at,
        "note": "Every audit-log event about this item up to ends_at. `moksori audit verify --checkpoint` with "
                "ends_at.checkpoint shows whether the portal's log still holds them, unchanged.",
    }


def check(session: Session, data: dict, where: str) -> list[str]:
    """Differences between a case file's custody.json (at `where`) and the audit log."""
    problems: list[str] = []
    public_id, ends_at = data.get("item"), data.get("ends_at") or {}
    if data.get("format") != FORMAT or not isinstance(public_id, str):
        return [f"{where}: not a custody log of a known format"]
    up_to = ends_at.get("seq")
    if isinstance(up_to, int):
        head = session.get(AuditEvent, up_to)
        if head is None:
            problems.append(f"{where}: the audit event it ends at ({up_to}) is not in the audit log (removed)")
        elif not hmac.compare_digest(head.hash, str(ends_at.get("hash"))):
            problems.append(f"{where}: the audit event it ends at ({up_to}) differs from the log (rewritten)")
    listed = {entry.get("seq"): entry for entry in data.get("events", []) if isinstance(entry, dict)}
    stored = {event.id: event for event in _events(session, public_id, up_to if isinstance(up_to, int) else None)}
    for seq in sorted(set(stored) - set(listed)):
        problems.append(f"{where}: audit event {seq} ({stored[seq].action}) of item {public_id} is in the audit log "
                        "but missing from the custody log")
    for number, entry in sorted(listed.items(), key=lambda pair: str(pair[0])):
        event = stored.get(number) if isinstance(number, int) else None
        if event is None:
            problems.append(f"{where}: event {number} ({entry.get('action')}) is not in the audit log")
        elif not event_intact(event):
            problems.append(f"{where}: audit event {number} was altered in the log since it was written")
        elif (not hmac.compare_digest(event.hash, str(entry.get("hash"))) or event.action != entry.get("action")
              or event.created_at.isoformat(timespec="microseconds") != entry.get("time")):
            problems.append(f"{where}: event {number} ({entry.get('action')}) differs from the audit log")
    return problems
