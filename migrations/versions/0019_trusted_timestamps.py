"""trusted timestamps: salted commitments per piece, batches stamped by RFC 3161 authorities

Every piece that arrives from now on (an account at intake, a file as kept, a later message)
gets a salted commitment in `timestamp_piece` (the salt sealed to the org key, the leaf hash in
the clear); `flask evidence timestamp` builds an RFC 9162 tree over waiting pieces and keeps an
authority's token over its root in `timestamp_batch` (SECURITY.md, "Trusted timestamps").
Pieces from before this revision have no commitment: their bytes are sealed, so one cannot be
made without an officer's keys.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06

"""
from alembic import op
import sqlalchemy as sa


revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('timestamp_batch',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('open_slot', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('tree_size', sa.Integer(), nullable=False),
    sa.Column('root', sa.LargeBinary(), nullable=True),
    sa.Column('leaves', sa.LargeBinary(), nullable=True),
    sa.Column('token', sa.LargeBinary(), nullable=True),
    sa.Column('tsa_url', sa.String(length=500), nullable=True),
    sa.Column('stamped_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.String(length=300), nullable=True),
    sa.Column('claimed_by', sa.String(length=32), nullable=True),
    sa.Column('claimed_until', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_timestamp_batch')),
    sa.UniqueConstraint('open_slot', name=op.f('uq_timestamp_batch_open_slot'))
    )
    op.create_table('timestamp_piece',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('submission_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('attachment_id', sa.Integer(), nullable=True),
    sa.Column('message_id', sa.Integer(), nullable=True),
    sa.Column('salt_sealed', sa.LargeBinary(), nullable=False),
    sa.Column('account_sealed', sa.LargeBinary(), nullable=True),
    sa.Column('leaf_hash', sa.LargeBinary(), nullable=True),
    sa.Column('batch_id', sa.Integer(), nullable=True),
    sa.Column('leaf_index', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['attachment_id'], ['attachment.id'], name=op.f('fk_timestamp_piece_attachment_id_attachment'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['batch_id'], ['timestamp_batch.id'], name=op.f('fk_timestamp_piece_batch_id_timestamp_batch')),
    sa.ForeignKeyConstraint(['message_id'], ['message.id'], name=op.f('fk_timestamp_piece_message_id_message'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['submission_id'], ['submission.id'], name=op.f('fk_timestamp_piece_submission_id_submission'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_timestamp_piece')),
    sa.UniqueConstraint('attachment_id', name=op.f('uq_timestamp_piece_attachment_id')),
    sa.UniqueConstraint('message_id', name=op.f('uq_timestamp_piece_message_id'))
    )
    with op.batch_alter_table('timestamp_piece', schema=None) as batch_op:
        batch_op.create_index('ix_timestamp_piece_batch_created', ['batch_id', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_timestamp_piece_submission_id'), ['submission_id'], unique=False)



def downgrade():
    with op.batch_alter_table('timestamp_piece', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_timestamp_piece_submission_id'))
        batch_op.drop_index('ix_timestamp_piece_batch_created')

    op.drop_table('timestamp_piece')
    op.drop_table('timestamp_batch')
