"""organization keys, their grants to staff accounts, and unlocked sessions

org_key holds the public halves of the "org" and "identity" key pairs and their private
halves wrapped under the recovery code; key_grant the private halves wrapped under each
staff password; key_session the keys of a logged-in session, encrypted under a key that
only the session's cookie holds. user_account gains contact_access (may hold the identity
key) and must_change_password (logged in with a one-time set-up password).

Columns are added with plain ADD COLUMN, not batch_alter_table: on SQLite a batch copies the
table (see 0007).

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-28

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('org_key',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('public_key', sa.LargeBinary(), nullable=False),
    sa.Column('recovery_wrapped', sa.LargeBinary(), nullable=False),
    sa.Column('recovery_salt', sa.LargeBinary(), nullable=False),
    sa.Column('recovery_params', sa.String(length=100), nullable=False),
    sa.Column('recovery_created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_org_key')),
    sa.UniqueConstraint('kind', name=op.f('uq_org_key_kind'))
    )
    op.create_table('key_grant',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('wrapped', sa.LargeBinary(), nullable=False),
    sa.Column('salt', sa.LargeBinary(), nullable=False),
    sa.Column('params', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_key_grant_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_key_grant')),
    sa.UniqueConstraint('user_id', 'kind', name='uq_key_grant_user_kind')
    )
    op.create_table('key_session',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('sealed', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_key_session_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_key_session'))
    )
    op.create_index(op.f('ix_key_session_expires_at'), 'key_session', ['expires_at'], unique=False)
    op.create_index(op.f('ix_key_session_user_id'), 'key_session', ['user_id'], unique=False)
    op.add_column('user_account', sa.Column('contact_access', sa.Boolean(), server_default=sa.false(), nullable=False))
    op.add_column('user_account', sa.Column('must_change_password', sa.Boolean(), server_default=sa.false(),
                                            nullable=False))



def downgrade():
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_column('must_change_password')
        batch_op.drop_column('contact_access')
    op.drop_index(op.f('ix_key_session_user_id'), table_name='key_session')
    op.drop_index(op.f('ix_key_session_expires_at'), table_name='key_session')

    op.drop_table('key_session')
    op.drop_table('key_grant')
    op.drop_table('org_key')
