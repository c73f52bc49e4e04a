"""queue indexes and search

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22

The search index (app/services/search.py) is derived data outside the models' metadata, so
it is built here per dialect and left out of autogenerate (migrations/env.py include_object):
SQLite gets an FTS5 table (rowid = submission id) and a trigger that drops a submission's row
with it; PostgreSQL gets a table of tsvector parts with a GIN index and ON DELETE CASCADE.
Existing submissions are indexed with `flask search rebuild`.
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('submission_category', schema=None) as batch_op:
        batch_op.create_index('ix_submission_category_category_submission', ['category_id', 'submission_id'], unique=False)

    with op.batch_alter_table('submission', schema=None) as batch_op:
        batch_op.create_index('ix_submission_assignee_created', ['assignee_id', 'created_at', 'id'], unique=False)
        batch_op.create_index('ix_submission_priority_created', ['priority', 'created_at', 'id'], unique=False)
        batch_op.create_index('ix_submission_status_id', ['status', 'id'], unique=False)
        batch_op.create_index('ix_submission_updated_id', ['updated_at', 'id'], unique=False)
        batch_op.create_index('ix_submission_queue_facets', ['status', 'kind', 'locale', 'province', 'priority', 'assignee_id', 'created_at', 'last_submitter_activity_at', 'staff_viewed_at', 'id'], unique=False)

    dialect = op.get_bind().dialect.name
    if dialect == 'sqlite':
        # unicode61 only splits the prepared tokens on spaces; diacritics are folded in Python
        # so both databases index the same tokens. No column sizes: nothing ranks by BM25.
        op.execute("CREATE VIRTUAL TABLE submission_search USING fts5("
                   "document, tokenize = 'unicode61 remove_diacritics 0', columnsize = 0)")
        op.execute("CREATE TRIGGER submission_search_delete AFTER DELETE ON submission "
                   "BEGIN DELETE FROM submission_search WHERE rowid = old.id; END")
    elif dialect == 'postgresql':
        op.create_table('submission_search',
        sa.Column('submission_id', sa.Integer(), nullable=False),
        sa.Column('part', sa.SmallInteger(), nullable=False),
        sa.Column('document', postgresql.TSVECTOR(), nullable=False),
        sa.ForeignKeyConstraint(['submission_id'], ['submission.id'], name='fk_submission_search_submission_id_submission',
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('submission_id', 'part', name='pk_submission_search')
        )
        # Documents go to TOAST at once: the heap rows the GIN index points to stay tiny, so
        # collecting the ids of 40,000 matches reads a few hundred pages, not the documents.
        op.execute("ALTER TABLE submission_search SET (toast_tuple_target = 128)")
        op.create_index('ix_submission_search_document', 'submission_search', ['document'], postgresql_using='gin')
    else:
        raise NotImplementedError(f"no search index for {dialect}")


def downgrade():
    dialect = op.get_bind().dialect.name
    if dialect == 'sqlite':
        op.execute("DROP TRIGGER IF EXISTS submission_search_delete")
        op.execute("DROP TABLE IF EXISTS submission_search")
    elif dialect == 'postgresql':
        op.drop_index('ix_submission_search_document', table_name='submission_search')
        op.drop_table('submission_search')

    with op.batch_alter_table('submission_category', schema=None) as batch_op:
        batch_op.drop_index('ix_submission_category_category_submission')

    with op.batch_alter_table('submission', schema=None) as batch_op:
        batch_op.drop_index('ix_submission_queue_facets')
        batch_op.drop_index('ix_submission_updated_id')
        batch_op.drop_index('ix_submission_status_id')
        batch_op.drop_index('ix_submission_priority_created')
        batch_op.drop_index('ix_submission_assignee_created')
