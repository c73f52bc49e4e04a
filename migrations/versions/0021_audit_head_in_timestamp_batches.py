"""the audit chain's head as the last leaf of every timestamp batch

Each batch's tree gets one more leaf, over "moksori-audit-head/1:<event id>:<hash>" of the
audit chain's newest event when the tree was built; the authority's token over the root then
also proves the state of the audit log at that time (SECURITY.md, "The audit log"). Batches
stamped before this revision have no such leaf (both columns stay empty).

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-08

"""
import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("timestamp_batch", schema=None) as batch_op:
        batch_op.add_column(sa.Column("audit_event_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("audit_hash", sa.String(length=64), nullable=True))


def downgrade():
    with op.batch_alter_table("timestamp_batch", schema=None) as batch_op:
        batch_op.drop_column("audit_hash")
        batch_op.drop_column("audit_event_id")
