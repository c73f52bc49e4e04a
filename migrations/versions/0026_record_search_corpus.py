"""records in the sealed search index: a second corpus of segments

Records (persons, places, events) are indexed by the same encrypted multimap as submissions
(app/sealed/search), in segments of their own: search_segment.corpus says whose documents a
segment holds, and search_record_member which segment holds a record's current postings. The
trigger of 0016 has its twin here: deleting a record deletes its member row, which records its
postings as stale and deleted, so that the segment is rewritten without them at the next
officer session. Every record waits to be indexed.

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-07

"""
from alembic import op
import sqlalchemy as sa


revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('search_segment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('corpus', sa.String(length=20), server_default='submission', nullable=False))

    op.create_table('search_record_member',
    sa.Column('record_id', sa.Integer(), nullable=False),
    sa.Column('segment_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['record_id'], ['record.id'], name=op.f('fk_search_record_member_record_id_record'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['segment_id'], ['search_segment.id'],
                            name=op.f('fk_search_record_member_segment_id_search_segment'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('record_id', name=op.f('pk_search_record_member'))
    )
    with op.batch_alter_table('search_record_member', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_search_record_member_segment_id'), ['segment_id'], unique=False)

    if op.get_bind().dialect.name == 'sqlite':
        op.execute("CREATE TRIGGER search_record_member_deleted AFTER DELETE ON search_record_member BEGIN "
                   "INSERT OR IGNORE INTO search_stale (segment_id, submission_id, deleted) "
                   "VALUES (old.segment_id, old.record_id, 1); END")
    else:
        op.execute("CREATE FUNCTION search_record_member_deleted() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                   "INSERT INTO search_stale (segment_id, submission_id, deleted) "
                   "VALUES (OLD.segment_id, OLD.record_id, true) ON CONFLICT DO NOTHING; RETURN OLD; END $$")
        op.execute("CREATE TRIGGER search_record_member_deleted AFTER DELETE ON search_record_member "
                   "FOR EACH ROW EXECUTE FUNCTION search_record_member_deleted()")
    op.execute("UPDATE record SET search_pending = true")


def downgrade():
    # The code before this revision reads every segment as submissions': records' go.
    if op.get_bind().dialect.name == 'sqlite':
        op.execute("DROP TRIGGER IF EXISTS search_record_member_deleted")
    else:
        op.execute("DROP TRIGGER IF EXISTS search_record_member_deleted ON search_record_member")
        op.execute("DROP FUNCTION IF EXISTS search_record_member_deleted()")
    op.execute("DELETE FROM search_stale WHERE segment_id IN (SELECT id FROM search_segment WHERE corpus <> 'submission')")
    op.execute("DELETE FROM search_block WHERE segment_id IN (SELECT id FROM search_segment WHERE corpus <> 'submission')")
    with op.batch_alter_table('search_record_member', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_search_record_member_segment_id'))
    op.drop_table('search_record_member')
    op.execute("DELETE FROM search_segment WHERE corpus <> 'submission'")
    with op.batch_alter_table('search_segment', schema=None) as batch_op:
        batch_op.drop_column('corpus')
    op.execute("UPDATE record SET search_pending = true")
