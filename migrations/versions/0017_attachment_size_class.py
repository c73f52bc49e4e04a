"""attachments show their size only to a class

A file is now stored padded to a size class (app/sealed/crypto.py size_class: 256-byte steps to
4 KiB, powers of two to 1 MiB, whole MiB beyond), and its exact size is sealed with its hashes.
The column that held the exact size in the clear becomes `size_class`. Rows written before keep
their exact size there until `flask keys pad-existing` pads their files and seals their size
(and pads every value sealed before, with the recovery code).

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06

"""
from alembic import op


revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('attachment', schema=None) as batch_op:
        batch_op.alter_column('size', new_column_name='size_class')
    # What was sealed before is padded by `flask keys pad-existing`; `flask keys status` and
    # `flask doctor` say so until it has run.
    op.execute("INSERT INTO app_setting (key, value, updated_at) SELECT 'pad_existing.needed', 'true', "
               "CURRENT_TIMESTAMP WHERE EXISTS (SELECT 1 FROM submission)")


def downgrade():
    op.execute("DELETE FROM app_setting WHERE key IN ('pad_existing.needed', 'pad_existing.after')")
    with op.batch_alter_table('attachment', schema=None) as batch_op:
        batch_op.alter_column('size_class', new_column_name='size')
