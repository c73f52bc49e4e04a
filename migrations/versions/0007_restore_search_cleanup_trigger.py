"""restore the SQLite trigger that removes a submission's search document

Revision 0006 added columns to `submission` with batch_alter_table, which on SQLite copies
the table and drops the old one, and with it the trigger 0004 created: from then on a
purged or deleted submission left its search document (syllable pairs of its account,
notes and messages) behind in `submission_search`. This revision creates the trigger again
and removes the documents left behind. PostgreSQL is unaffected (ON DELETE CASCADE).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name != 'sqlite':
        return
    op.execute("CREATE TRIGGER IF NOT EXISTS submission_search_delete AFTER DELETE ON submission "
               "BEGIN DELETE FROM submission_search WHERE rowid = old.id; END")
    op.execute("DELETE FROM submission_search WHERE rowid NOT IN (SELECT id FROM submission)")


def downgrade():
    # The trigger belongs to 0004's schema; 0006's downgrade (a table copy) removes it again.
    pass
