"""group_import: how far a partner group's spreadsheet import got (issue 23, item 3)

Counts, a state, a failure code and the created submissions' random public ids: nothing of
the sheet or its files, which are staged sealed under a key kept only in memory
(app/services/groups/import_jobs.py, SECURITY.md "Partner groups' spreadsheet import").
group_id refers to partner_group (0024); deleting a group deletes its import records. The
table is new here, so the foreign key is part of CREATE TABLE (no batch copy on SQLite).

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-06

"""
import sqlalchemy as sa
from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'group_import',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('token', sa.String(length=32), nullable=False),
        sa.Column('group_id', sa.Integer(), nullable=False),
        sa.Column('state', sa.String(length=20), nullable=False),
        sa.Column('rows_total', sa.Integer(), nullable=False),
        sa.Column('rows_done', sa.Integer(), server_default='0', nullable=False),
        sa.Column('failure', sa.String(length=40), nullable=True),
        sa.Column('submissions', sa.Text(), nullable=True),
        sa.Column('lease_until', sa.DateTime(timezone=True), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['group_id'], ['partner_group.id'],
                                name=op.f('fk_group_import_group_id_partner_group'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_group_import')),
        sa.UniqueConstraint('token', name=op.f('uq_group_import_token')),
    )
    with op.batch_alter_table('group_import', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_group_import_group_id'), ['group_id'], unique=False)


def downgrade():
    with op.batch_alter_table('group_import', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_group_import_group_id'))
    op.drop_table('group_import')
