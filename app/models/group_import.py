"""A partner group's spreadsheet import: how far it got, and nothing of what it holds.

The sheet and its files are testimony: they are staged sealed on disk under a key that exists
only in the importing process's memory (app/services/groups/import_jobs.py), never here. This
row holds only counts, a state, a failure code and the random public ids of the submissions it
made — what the group's own page lists, and nothing a copy of the database could read content from.
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, UTCDateTime, created_at, intpk, str20

STATES = ("running", "done", "failed")


class GroupImport(Base):
    __tablename__ = "group_import"

    id: Mapped[intpk]
    # The status page's address: random, so one group cannot walk to another's imports.
    token: Mapped[str] = mapped_column(sa.String(32), unique=True)
    # A group's imports go with the group (an admin deleting it leaves no orphan status rows).
    group_id: Mapped[int] = mapped_column(sa.ForeignKey("partner_group.id", ondelete="CASCADE"), index=True)
    state: Mapped[str20] = mapped_column(default="running")
    rows_total: Mapped[int] = mapped_column(sa.Integer())
    rows_done: Mapped[int] = mapped_column(sa.Integer(), default=0, server_default="0")
    failure: Mapped[str | None] = mapped_column(sa.String(40))  # a code, e.g. "store_failed", "interrupted"
    # JSON list of the created submissions' public ids (random, shown to the group and staff).
    submissions: Mapped[str | None] = mapped_column(sa.Text())
    # Until when the importing process answers for the job; later, a "running" job died with it.
    lease_until: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[created_at]
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
