"""sealed search index: an encrypted multimap in segments, and the old token index removed

The index of revisions 0004–0015 stored, for every submission, its syllable pairs as HMAC
tokens under one key, with positions: the same token for the same pair in every submission,
for all time. Reports an attacker sent through the public form then served as a codebook for
everybody else's (issue 18). This revision creates the tables of the sealed index
(app/models/search.py), removes the old one so that its bytes leave the database file, and
marks every submission as waiting: the next officer session indexes them again (or
`flask search rebuild --recovery-code-stdin` at once).

On SQLite the old table is dropped with secure_delete on (freed pages are overwritten with
zeros) and the file is then rebuilt with VACUUM and its write-ahead log truncated. On
PostgreSQL DROP TABLE removes the table's files; their blocks may stay on the disk's free
space and in the write-ahead log until they are reused (README, "Upgrading to the sealed
search index").

A trigger records the postings a deleted submission leaves in a segment (search_stale), so
that no way of deleting a submission can forget the index.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

UTC_DATETIME = sa.DateTime(timezone=True)


def upgrade():
    op.create_table('search_key',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sealed', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', UTC_DATETIME, nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_search_key'))
    )
    op.create_table('search_lease',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('holder', sa.String(length=64), nullable=True),
    sa.Column('until', UTC_DATETIME, nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_search_lease'))
    )
    op.create_table('search_segment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key_id', sa.Integer(), nullable=False),
    sa.Column('nonce', sa.LargeBinary(length=16), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('docs', sa.Integer(), nullable=False),
    sa.Column('doc_ids', sa.LargeBinary(), nullable=False),
    sa.Column('heads', sa.Integer(), nullable=False),
    sa.Column('tails', sa.Integer(), nullable=False),
    sa.Column('created_at', UTC_DATETIME, nullable=False),
    sa.ForeignKeyConstraint(['key_id'], ['search_key.id'], name=op.f('fk_search_segment_key_id_search_key')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_search_segment'))
    )
    with op.batch_alter_table('search_segment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_search_segment_key_id'), ['key_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_search_segment_state'), ['state'], unique=False)

    op.create_table('search_block',
    sa.Column('label', sa.LargeBinary(length=16), nullable=False),
    sa.Column('segment_id', sa.Integer(), nullable=False),
    sa.Column('body', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['segment_id'], ['search_segment.id'], name=op.f('fk_search_block_segment_id_search_segment'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('label', name=op.f('pk_search_block'))
    )
    with op.batch_alter_table('search_block', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_search_block_segment_id'), ['segment_id'], unique=False)

    op.create_table('search_member',
    sa.Column('submission_id', sa.Integer(), nullable=False),
    sa.Column('segment_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['segment_id'], ['search_segment.id'], name=op.f('fk_search_member_segment_id_search_segment'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['submission_id'], ['submission.id'], name=op.f('fk_search_member_submission_id_submission'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('submission_id', name=op.f('pk_search_member'))
    )
    with op.batch_alter_table('search_member', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_search_member_segment_id'), ['segment_id'], unique=False)

    op.create_table('search_stale',
    sa.Column('segment_id', sa.Integer(), nullable=False),
    sa.Column('submission_id', sa.Integer(), nullable=False),
    sa.Column('deleted', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.ForeignKeyConstraint(['segment_id'], ['search_segment.id'], name=op.f('fk_search_stale_segment_id_search_segment'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('segment_id', 'submission_id', name=op.f('pk_search_stale'))
    )

    dialect = op.get_bind().dialect.name
    if dialect == 'sqlite':
        op.execute("CREATE TRIGGER search_member_deleted AFTER DELETE ON search_member BEGIN "
                   "INSERT OR IGNORE INTO search_stale (segment_id, submission_id, deleted) "
                   "VALUES (old.segment_id, old.submission_id, 1); END")
        op.execute("PRAGMA secure_delete = ON")
        op.execute("DROP TRIGGER IF EXISTS submission_search_delete")
        op.execute("DROP TABLE IF EXISTS submission_search")
    else:
        # Bodies are random bytes (nothing to compress) of at most 4 KiB: kept in the row, so a
        # search reads each block in one index lookup, without a second one in TOAST.
        op.execute("ALTER TABLE search_block ALTER COLUMN body SET STORAGE EXTERNAL")
        op.execute("ALTER TABLE search_block SET (toast_tuple_target = 8160)")
        op.execute("CREATE FUNCTION search_member_deleted() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                   "INSERT INTO search_stale (segment_id, submission_id, deleted) "
                   "VALUES (OLD.segment_id, OLD.submission_id, true) ON CONFLICT DO NOTHING; RETURN OLD; END $$")
        op.execute("CREATE TRIGGER search_member_deleted AFTER DELETE ON search_member "
                   "FOR EACH ROW EXECUTE FUNCTION search_member_deleted()")
        op.execute("DROP TABLE IF EXISTS submission_search")

    op.execute("UPDATE submission SET search_pending = true")
    if dialect == 'sqlite':
        op.get_bind().info["vacuum"] = True  # migrations/env.py runs VACUUM once they have committed


def downgrade():
    dialect = op.get_bind().dialect.name
    if dialect == 'sqlite':
        op.execute("DROP TRIGGER IF EXISTS search_member_deleted")
    else:
        op.execute("DROP TRIGGER IF EXISTS search_member_deleted ON search_member")
        op.execute("DROP FUNCTION IF EXISTS search_member_deleted()")
    op.drop_table('search_stale')
    with op.batch_alter_table('search_member', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_search_member_segment_id'))
    op.drop_table('search_member')
    with op.batch_alter_table('search_block', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_search_block_segment_id'))
    op.drop_table('search_block')
    with op.batch_alter_table('search_segment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_search_segment_state'))
        batch_op.drop_index(batch_op.f('ix_search_segment_key_id'))
    op.drop_table('search_segment')
    op.drop_table('search_lease')
    op.drop_table('search_key')

    # The old index, empty (as 0004 and 0007 made it); every submission waits to be indexed.
    if dialect == 'sqlite':
        op.execute("CREATE VIRTUAL TABLE submission_search USING fts5("
                   "document, tokenize = 'unicode61 remove_diacritics 0', columnsize = 0)")
        op.execute("CREATE TRIGGER submission_search_delete AFTER DELETE ON submission "
                   "BEGIN DELETE FROM submission_search WHERE rowid = old.id; END")
    else:
        op.create_table('submission_search',
        sa.Column('submission_id', sa.Integer(), nullable=False),
        sa.Column('part', sa.SmallInteger(), nullable=False),
        sa.Column('document', postgresql.TSVECTOR(), nullable=False),
        sa.ForeignKeyConstraint(['submission_id'], ['submission.id'], name='fk_submission_search_submission_id_submission',
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('submission_id', 'part', name='pk_submission_search')
        )
        op.execute("ALTER TABLE submission_search SET (toast_tuple_target = 128)")
        op.create_index('ix_submission_search_document', 'submission_search', ['document'], postgresql_using='gin')
    op.execute("UPDATE submission SET search_pending = true")
