"""records, links and cases (issue 22)

Persons, places and events (record), the parts persons play in events (record_involvement),
submissions as sources of records (record_link), and cases gathering submissions and records
(cases, case_submission, case_record, case_note). Every name, alias, description, passage and
note is sealed (app/sealed/records.py); downgrading drops these tables and everything in them.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-06

"""
from alembic import op
import sqlalchemy as sa


revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('cases',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=16), nullable=False),
    sa.Column('key_for_org', sa.LargeBinary(), nullable=False),
    sa.Column('content_sealed', sa.LargeBinary(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('lead_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.ForeignKeyConstraint(['lead_id'], ['user_account.id'], name=op.f('fk_cases_lead_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cases')),
    sa.UniqueConstraint('public_id', name=op.f('uq_cases_public_id'))
    )
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.create_index('ix_cases_status_updated', ['status', 'updated_at'], unique=False)

    op.create_table('record',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=16), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('key_for_org', sa.LargeBinary(), nullable=False),
    sa.Column('content_sealed', sa.LargeBinary(), nullable=False),
    sa.Column('person_role', sa.String(length=20), nullable=True),
    sa.Column('agency', sa.String(length=20), nullable=True),
    sa.Column('province', sa.String(length=20), nullable=True),
    sa.Column('facility_type', sa.String(length=20), nullable=True),
    sa.Column('place_id', sa.Integer(), nullable=True),
    sa.Column('when_precision', sa.String(length=12), nullable=True),
    sa.Column('when_date', sa.Date(), nullable=True),
    sa.Column('when_year', sa.Integer(), nullable=True),
    sa.Column('when_month', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('search_pending', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_record_created_by_id_user_account')),
    sa.ForeignKeyConstraint(['place_id'], ['record.id'], name=op.f('fk_record_place_id_record'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_record')),
    sa.UniqueConstraint('public_id', name=op.f('uq_record_public_id'))
    )
    with op.batch_alter_table('record', schema=None) as batch_op:
        batch_op.create_index('ix_record_kind_id', ['kind', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_record_place_id'), ['place_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_record_search_pending'), ['search_pending'], unique=False)

    op.create_table('case_note',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('author_user_id', sa.Integer(), nullable=True),
    sa.Column('body_sealed', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_user_id'], ['user_account.id'], name=op.f('fk_case_note_author_user_id_user_account')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_note_case_id_cases'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_note'))
    )
    with op.batch_alter_table('case_note', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_note_case_id'), ['case_id'], unique=False)

    op.create_table('case_record',
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=False),
    sa.Column('added_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_record_case_id_cases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['record_id'], ['record.id'], name=op.f('fk_case_record_record_id_record'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('case_id', 'record_id', name=op.f('pk_case_record'))
    )
    with op.batch_alter_table('case_record', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_record_record_id'), ['record_id'], unique=False)

    op.create_table('case_submission',
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('submission_id', sa.Integer(), nullable=False),
    sa.Column('added_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_submission_case_id_cases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['submission_id'], ['submission.id'], name=op.f('fk_case_submission_submission_id_submission'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('case_id', 'submission_id', name=op.f('pk_case_submission'))
    )
    with op.batch_alter_table('case_submission', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_submission_submission_id'), ['submission_id'], unique=False)

    op.create_table('record_category',
    sa.Column('record_id', sa.Integer(), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['category_id'], ['category.id'], name=op.f('fk_record_category_category_id_category')),
    sa.ForeignKeyConstraint(['record_id'], ['record.id'], name=op.f('fk_record_category_record_id_record'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('record_id', 'category_id', name=op.f('pk_record_category'))
    )
    op.create_table('record_involvement',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['record.id'], name=op.f('fk_record_involvement_event_id_record'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['person_id'], ['record.id'], name=op.f('fk_record_involvement_person_id_record'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_record_involvement')),
    sa.UniqueConstraint('event_id', 'person_id', 'role', name=op.f('uq_record_involvement_event_id'))
    )
    with op.batch_alter_table('record_involvement', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_record_involvement_event_id'), ['event_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_record_involvement_person_id'), ['person_id'], unique=False)

    op.create_table('record_link',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=False),
    sa.Column('submission_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('passage_sealed', sa.LargeBinary(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_record_link_created_by_id_user_account')),
    sa.ForeignKeyConstraint(['record_id'], ['record.id'], name=op.f('fk_record_link_record_id_record'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['submission_id'], ['submission.id'], name=op.f('fk_record_link_submission_id_submission'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_record_link')),
    sa.UniqueConstraint('record_id', 'submission_id', 'role', name=op.f('uq_record_link_record_id'))
    )
    with op.batch_alter_table('record_link', schema=None) as batch_op:
        batch_op.create_index('ix_record_link_submission_record', ['submission_id', 'record_id'], unique=False)



def downgrade():
    with op.batch_alter_table('record_link', schema=None) as batch_op:
        batch_op.drop_index('ix_record_link_submission_record')

    op.drop_table('record_link')
    with op.batch_alter_table('record_involvement', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_record_involvement_person_id'))
        batch_op.drop_index(batch_op.f('ix_record_involvement_event_id'))

    op.drop_table('record_involvement')
    op.drop_table('record_category')
    with op.batch_alter_table('case_submission', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_submission_submission_id'))

    op.drop_table('case_submission')
    with op.batch_alter_table('case_record', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_record_record_id'))

    op.drop_table('case_record')
    with op.batch_alter_table('case_note', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_note_case_id'))

    op.drop_table('case_note')
    with op.batch_alter_table('record', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_record_search_pending'))
        batch_op.drop_index(batch_op.f('ix_record_place_id'))
        batch_op.drop_index('ix_record_kind_id')

    op.drop_table('record')
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index('ix_cases_status_updated')

    op.drop_table('cases')
