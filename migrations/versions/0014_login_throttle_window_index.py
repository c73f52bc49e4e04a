"""index login_throttle's window start, which every failed login's clean-up reads

Under a distributed attack login_throttle holds a row per (account, address) pair for 15
minutes; each failure deletes the rows whose window and lock have passed, and should not scan
them all. (A revision of its own: 0012 is already installed.)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02

"""
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(op.f("ix_login_throttle_window_started_at"), "login_throttle", ["window_started_at"])


def downgrade():
    op.drop_index(op.f("ix_login_throttle_window_started_at"), table_name="login_throttle")
