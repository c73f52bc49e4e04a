"""sealed columns beside the plaintext ones

Adds the columns that hold sealed values (services/vault.py): the submission's content key
(sealed to the org key, wrapped under the receipt code), its sealed account and text facets,
reasons, contact details and notice address, the receipt look-up token (and, for rows sealed
from before, the old receipt HMAC), the search-pending flag; sealed bodies of messages and
notes, sealed file names and hashes; and a table for old receipt codes waiting to be
re-wrapped. They are nullable here so that an existing installation can fill them: `flask keys seal-existing` seals every
plaintext row and file, then revision 0011 drops the plaintext columns. The plaintext
columns become nullable so new rows need not fill them.

Plain ADD COLUMN; only the NOT NULL changes need a batch (a table copy on SQLite), after
which 0004's trigger on `submission` is created again (see 0007).

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-28

"""
import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

SUBMISSION = [
    ("receipt_lookup", sa.String(64)), ("key_for_org", sa.LargeBinary()), ("key_for_receipt", sa.LargeBinary()),
    ("content_sealed", sa.LargeBinary()), ("status_reason_sealed", sa.LargeBinary()),
    ("evidence_hold_reason_sealed", sa.LargeBinary()), ("contact_sealed", sa.LargeBinary()),
    ("notice_sealed", sa.LargeBinary()), ("receipt_legacy_hash", sa.String(64)),
]
TRIGGER = ("CREATE TRIGGER IF NOT EXISTS submission_search_delete AFTER DELETE ON submission "
           "BEGIN DELETE FROM submission_search WHERE rowid = old.id; END")


def upgrade():
    for name, kind in SUBMISSION:
        op.add_column("submission", sa.Column(name, kind, nullable=True))
    op.add_column("submission", sa.Column("search_pending", sa.Boolean(), server_default=sa.false(), nullable=False))
    op.create_index("ix_submission_search_pending", "submission", ["search_pending"])
    op.create_table(
        "receipt_rewrap",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("secret_sealed", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["submission_id"], ["submission.id"],
                                name=op.f("fk_receipt_rewrap_submission_id_submission"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_receipt_rewrap")),
        sa.UniqueConstraint("submission_id", name=op.f("uq_receipt_rewrap_submission_id")),
    )
    op.add_column("message", sa.Column("body_sealed", sa.LargeBinary(), nullable=True))
    op.add_column("note", sa.Column("body_sealed", sa.LargeBinary(), nullable=True))
    op.add_column("attachment", sa.Column("name_sealed", sa.LargeBinary(), nullable=True))
    op.add_column("attachment", sa.Column("hashes_sealed", sa.LargeBinary(), nullable=True))
    with op.batch_alter_table("submission") as batch:
        batch.create_unique_constraint("uq_submission_receipt_lookup", ["receipt_lookup"])
        batch.create_unique_constraint("uq_submission_receipt_legacy_hash", ["receipt_legacy_hash"])
        batch.alter_column("receipt_hash", existing_type=sa.String(64), nullable=True)
        batch.alter_column("narrative", existing_type=sa.Text(), nullable=True)
    with op.batch_alter_table("message") as batch:
        batch.alter_column("body", existing_type=sa.Text(), nullable=True)
    with op.batch_alter_table("note") as batch:
        batch.alter_column("body", existing_type=sa.Text(), nullable=True)
    with op.batch_alter_table("attachment") as batch:
        batch.alter_column("original_name_encrypted", existing_type=sa.LargeBinary(), nullable=True)
        batch.alter_column("sha256", existing_type=sa.String(64), nullable=True)
        batch.alter_column("received_sha256", existing_type=sa.String(64), nullable=True)
    if op.get_bind().dialect.name == "sqlite":
        op.execute(TRIGGER)


def downgrade():
    op.drop_table("receipt_rewrap")
    with op.batch_alter_table("attachment") as batch:
        batch.drop_column("name_sealed")
        batch.drop_column("hashes_sealed")
    with op.batch_alter_table("note") as batch:
        batch.drop_column("body_sealed")
    with op.batch_alter_table("message") as batch:
        batch.drop_column("body_sealed")
    op.drop_index("ix_submission_search_pending", table_name="submission")
    with op.batch_alter_table("submission") as batch:
        batch.drop_constraint("uq_submission_receipt_lookup", type_="unique")
        batch.drop_constraint("uq_submission_receipt_legacy_hash", type_="unique")
        for name, _kind in SUBMISSION:
            batch.drop_column(name)
        batch.drop_column("search_pending")
    if op.get_bind().dialect.name == "sqlite":
        op.execute(TRIGGER)
