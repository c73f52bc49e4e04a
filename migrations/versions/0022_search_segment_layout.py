"""search segments record their layout (how a token's postings are cut into tails)

Layout 2 (app/sealed/search/blocks.py) cuts a token's postings after its head into tails of
128, 512, then 1,024 postings, where layout 1 had four tails of 128 before the 1,024s: a common
word then costs a search four blocks a segment instead of six. Segments written before keep
layout 1 and stay readable; the worker rewrites them in the new layout at officer sessions,
after everything more urgent (SECURITY.md, "Search without plaintext").

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-06

"""
from alembic import op
import sqlalchemy as sa


revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('search_segment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('layout', sa.Integer(), server_default='1', nullable=False))


def downgrade():
    # Layout-2 segments cannot be read by the code before this revision: they are dropped and
    # their submissions queued to be indexed again.
    op.execute("UPDATE submission SET search_pending = true WHERE id IN "
               "(SELECT submission_id FROM search_member WHERE segment_id IN "
               "(SELECT id FROM search_segment WHERE layout <> 1))")
    op.execute("DELETE FROM search_segment WHERE layout <> 1")
    with op.batch_alter_table('search_segment', schema=None) as batch_op:
        batch_op.drop_column('layout')
