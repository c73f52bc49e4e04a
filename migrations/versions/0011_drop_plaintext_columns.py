"""drop the plaintext columns: every submission is sealed

Refuses to run while any row still has plaintext that was not sealed: on an installation
with data from before sealing, run `flask keys seal-existing` first (it needs only the org
public key, so the first admin must exist: `flask users create EMAIL --role admin`). The
search index, which held syllables in the clear, is emptied; every submission is indexed
again with keyed tokens from the next officer session.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-28

"""
import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

SUBMISSION_PLAINTEXT = [
    ("receipt_hash", sa.String(64)), ("narrative", sa.Text()), ("place", sa.String(500)),
    ("when_text", sa.String(200)), ("perpetrator_text", sa.String(1000)), ("status_reason", sa.String(1000)),
    ("evidence_hold_reason", sa.String(1000)), ("contact_encrypted", sa.LargeBinary()),
]
TRIGGER = ("CREATE TRIGGER IF NOT EXISTS submission_search_delete AFTER DELETE ON submission "
           "BEGIN DELETE FROM submission_search WHERE rowid = old.id; END")
UNSEALED = {
    "submission": "content_sealed IS NULL OR key_for_org IS NULL",
    "message": "body_sealed IS NULL", "note": "body_sealed IS NULL",
    "attachment": "name_sealed IS NULL OR hashes_sealed IS NULL",
}


def upgrade():
    bind = op.get_bind()
    waiting = {table: bind.execute(sa.text(f"SELECT count(*) FROM {table} WHERE {condition}")).scalar()
               for table, condition in UNSEALED.items()}
    if any(waiting.values()):
        raise RuntimeError(
            "rows written before sealing are still in plaintext "
            f"({', '.join(f'{table}: {n}' for table, n in waiting.items() if n)}). Run `flask keys seal-existing` "
            "(after `flask users create EMAIL --role admin` if no keys exist yet), then `flask db upgrade` again.")
    op.execute("DELETE FROM submission_search")
    op.execute(sa.text("UPDATE submission SET search_pending = :yes").bindparams(yes=True))
    with op.batch_alter_table("submission") as batch:
        batch.drop_constraint("uq_submission_receipt_hash", type_="unique")
        for name, _kind in SUBMISSION_PLAINTEXT:
            batch.drop_column(name)
        batch.alter_column("key_for_org", existing_type=sa.LargeBinary(), nullable=False)
        batch.alter_column("content_sealed", existing_type=sa.LargeBinary(), nullable=False)
    for table, column, old in (("message", "body_sealed", "body"), ("note", "body_sealed", "body"),
                               ("attachment", "name_sealed", "original_name_encrypted")):
        with op.batch_alter_table(table) as batch:
            batch.drop_column(old)
            batch.alter_column(column, existing_type=sa.LargeBinary(), nullable=False)
            if table == "attachment":
                batch.drop_column("sha256")
                batch.drop_column("received_sha256")
                batch.alter_column("hashes_sealed", existing_type=sa.LargeBinary(), nullable=False)
    if bind.dialect.name == "sqlite":
        op.execute(TRIGGER)


def downgrade():
    # The plaintext cannot come back (nothing on the server can open the sealed values): the
    # columns return empty, for the schema of 0010.
    for table, column, old, kind in (("message", "body_sealed", "body", sa.Text()),
                                     ("note", "body_sealed", "body", sa.Text()),
                                     ("attachment", "name_sealed", "original_name_encrypted", sa.LargeBinary())):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column(old, kind, nullable=True))
            batch.alter_column(column, existing_type=sa.LargeBinary(), nullable=True)
            if table == "attachment":
                batch.add_column(sa.Column("sha256", sa.String(64), nullable=True))
                batch.add_column(sa.Column("received_sha256", sa.String(64), nullable=True))
                batch.alter_column("hashes_sealed", existing_type=sa.LargeBinary(), nullable=True)
    with op.batch_alter_table("submission") as batch:
        for name, kind in SUBMISSION_PLAINTEXT:
            batch.add_column(sa.Column(name, kind, nullable=True))
        batch.create_unique_constraint("uq_submission_receipt_hash", ["receipt_hash"])
        batch.alter_column("key_for_org", existing_type=sa.LargeBinary(), nullable=True)
        batch.alter_column("content_sealed", existing_type=sa.LargeBinary(), nullable=True)
    if op.get_bind().dialect.name == "sqlite":
        op.execute(TRIGGER)
