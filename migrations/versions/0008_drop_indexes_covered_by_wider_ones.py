"""drop three single-column indexes that wider indexes already lead with

ix_submission_priority, ix_submission_assignee_id and ix_submission_category_category_id
are the first column of ix_submission_priority_created, ix_submission_assignee_created and
ix_submission_category_category_submission: every query they could serve, the wider index
serves, and each was one more write on every new report and every triage change.

Plain DROP INDEX, not batch_alter_table: on SQLite a batch operation copies the table and
loses its triggers (see 0007).

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-22

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = "0007"
branch_labels = None
depends_on = None

DROPPED = (
    ("ix_submission_priority", "submission", ["priority"]),
    ("ix_submission_assignee_id", "submission", ["assignee_id"]),
    ("ix_submission_category_category_id", "submission_category", ["category_id"]),
)


def upgrade():
    for name, table, columns in DROPPED:
        op.drop_index(name, table_name=table)


def downgrade():
    for name, table, columns in DROPPED:
        op.create_index(name, table, columns, unique=False)
