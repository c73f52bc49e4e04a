"""partner groups: their sealed profile, key pair, messages, and the submissions they send

Issue 23: a group joins with a one-time invitation code (only an Argon2id-derived look-up is
stored), keeps its own X25519 key pair (the private half wrapped under its passphrase and a
group recovery code), and its submissions carry group_id and their content key sealed to the
group's public key. Group sessions are key sessions with group_id set, so ending them is one
DELETE.

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-10

"""
import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'partner_group',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('public_id', sa.String(length=16), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('profile_sealed', sa.LargeBinary(), nullable=False),
        sa.Column('invite_lookup', sa.String(length=64), nullable=True),
        sa.Column('invite_expires_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('public_key', sa.LargeBinary(), nullable=True),
        sa.Column('key_wrapped', sa.LargeBinary(), nullable=True),
        sa.Column('key_salt', sa.LargeBinary(), nullable=True),
        sa.Column('key_params', sa.String(length=100), nullable=True),
        sa.Column('recovery_wrapped', sa.LargeBinary(), nullable=True),
        sa.Column('recovery_salt', sa.LargeBinary(), nullable=True),
        sa.Column('recovery_params', sa.String(length=100), nullable=True),
        sa.Column('totp_secret_encrypted', sa.LargeBinary(), nullable=True),
        sa.Column('totp_last_step', sa.BigInteger(), nullable=True),
        sa.Column('named', sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column('source_name_sealed', sa.LargeBinary(), nullable=True),
        sa.Column('session_version', sa.Integer(), server_default='1', nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('joined_at', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_partner_group')),
        sa.UniqueConstraint('invite_lookup', name=op.f('uq_partner_group_invite_lookup')),
        sa.UniqueConstraint('public_id', name=op.f('uq_partner_group_public_id')),
    )
    op.create_table(
        'partner_group_message',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('group_id', sa.Integer(), nullable=False),
        sa.Column('author_user_id', sa.Integer(), nullable=True),
        sa.Column('body_for_group', sa.LargeBinary(), nullable=False),
        sa.Column('body_for_org', sa.LargeBinary(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['author_user_id'], ['user_account.id'],
                                name=op.f('fk_partner_group_message_author_user_id_user_account'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['group_id'], ['partner_group.id'],
                                name=op.f('fk_partner_group_message_group_id_partner_group'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_partner_group_message')),
    )
    with op.batch_alter_table('partner_group_message', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_partner_group_message_group_id'), ['group_id'], unique=False)

    with op.batch_alter_table('submission', schema=None) as batch_op:
        batch_op.add_column(sa.Column('group_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('key_for_group', sa.LargeBinary(), nullable=True))
        batch_op.create_index(batch_op.f('ix_submission_group_id'), ['group_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_submission_group_id_partner_group'), 'partner_group',
                                    ['group_id'], ['id'])

    with op.batch_alter_table('key_session', schema=None) as batch_op:
        batch_op.add_column(sa.Column('group_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_key_session_group_id'), ['group_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_key_session_group_id_partner_group'), 'partner_group',
                                    ['group_id'], ['id'], ondelete='CASCADE')


def downgrade():
    # Group sessions go with the column that names their group; group submissions stay, as
    # submissions without a group (their content key is still sealed to the org key).
    op.execute("DELETE FROM key_session WHERE group_id IS NOT NULL")
    with op.batch_alter_table('key_session', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_key_session_group_id_partner_group'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_key_session_group_id'))
        batch_op.drop_column('group_id')
    with op.batch_alter_table('submission', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_submission_group_id_partner_group'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_submission_group_id'))
        batch_op.drop_column('key_for_group')
        batch_op.drop_column('group_id')
    with op.batch_alter_table('partner_group_message', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_partner_group_message_group_id'))
    op.drop_table('partner_group_message')
    op.drop_table('partner_group')
