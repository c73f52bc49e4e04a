"""the organization's signing key for case files (Ed25519, private half sealed to the org key)

Every case file is signed over its manifest (SECURITY.md, "Signed case files"). New
installations make the key with the other keys (`flask users create … --role admin`); an
installation that has keys already gets one here. Making it needs only the org *public* key,
which the database holds, so no code or password is asked for: the private half is sealed to
the org key exactly as app.sealed.signing does (imported, not frozen: the sealing format is the
one every other sealed value uses and must keep opening). Without org keys nothing is made;
the first admin's `users create` makes it then.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-08

"""
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade():
    signing_key = op.create_table(
        "signing_key",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_key", sa.LargeBinary(), nullable=False),
        sa.Column("private_sealed", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signing_key")),
        sa.UniqueConstraint("public_key", name=op.f("uq_signing_key_public_key")),
    )
    org_public = op.get_bind().scalar(sa.text("SELECT public_key FROM org_key WHERE kind = 'org'"))
    if org_public is not None:
        from app.sealed.signing import new_sealed

        public, sealed = new_sealed(bytes(org_public))
        op.bulk_insert(signing_key, [{"public_key": public, "private_sealed": sealed,
                                      "created_at": datetime.now(UTC)}])


def downgrade():
    op.drop_table("signing_key")
