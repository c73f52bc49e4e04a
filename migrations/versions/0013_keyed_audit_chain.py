"""the audit chain is keyed: a boundary event after the rows from before

Until now each audit row's hash was SHA-256 of its content and the previous hash, which
anyone with write access to the database could recompute after editing a row. The app now
writes HMAC-SHA256 under the audit key, derived from DATA_ENCRYPTION_KEY, marked "k1"
(services/audit.py). The schema does not change: the mark is in the hash, because the upgrade
path from before sealing runs the app on the schema of 0010.

Existing rows keep their hashes and are verified the old way. This revision appends one keyed
boundary event, `audit.chain_keyed`, after them (unless the app already did, recording its
first event after the upgrade): its MAC covers the last unkeyed hash, so the rows before it
cannot be changed unnoticed, and from here on `audit verify` refuses unkeyed rows that no keyed
one follows — a chain rewritten without the key. The computation is written out here as
services/audit.py does it at this revision, so that the revision never depends on later app
code; tests/test_migrations.py checks that the app verifies the boundary.

Downgrading changes nothing: the keyed rows stay, and an older `audit verify` reports the chain
broken at the boundary.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02

"""
import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

KEYED_PREFIX = "k1"
audit_event = sa.table(
    "audit_event",
    sa.column("id", sa.Integer()), sa.column("created_at", sa.DateTime(timezone=True)),
    sa.column("actor", sa.String()), sa.column("action", sa.String()), sa.column("target_type", sa.String()),
    sa.column("target_id", sa.String()), sa.column("details", sa.Text()), sa.column("prev_hash", sa.String()),
    sa.column("hash", sa.String()),
)


def _audit_key() -> bytes:
    """As app.crypto derives it from DATA_ENCRYPTION_KEY ("moksori audit chain")."""
    master = base64.urlsafe_b64decode(current_app.config["DATA_ENCRYPTION_KEY"].strip().encode() + b"==")
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"moksori audit chain").derive(master)


def _keyed_hash(row: dict) -> str:
    body = {key: row[key] for key in ("actor", "action", "target_type", "target_id", "details", "prev_hash")}
    body["created_at"] = row["created_at"].isoformat(timespec="microseconds")
    canonical = json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()
    return KEYED_PREFIX + hmac.new(_audit_key(), canonical, hashlib.sha256).hexdigest()[:62]


def upgrade():
    bind = op.get_bind()
    head = bind.execute(sa.select(audit_event.c.id, audit_event.c.hash).order_by(audit_event.c.id.desc())
                        .limit(1)).first()
    if head is None or head.hash.startswith(KEYED_PREFIX):
        return  # a new installation (keyed from its first event), or the app already wrote the boundary
    count = bind.execute(sa.select(sa.func.count()).select_from(audit_event)).scalar()
    boundary = {
        "created_at": datetime.now(UTC), "actor": "system", "action": "audit.chain_keyed", "target_type": "audit",
        "target_id": None, "details": json.dumps({"last_unkeyed_id": head.id, "unkeyed_events": count},
                                                 ensure_ascii=False, sort_keys=True),
        "prev_hash": head.hash,
    }
    boundary["hash"] = _keyed_hash(boundary)
    bind.execute(audit_event.insert().values(**boundary))


def downgrade():
    pass
