"""Setting: a small key/value table for what admins change at run time (retention periods).

Values are JSON text so one table holds numbers, lists and flags without a migration per
setting; services/settings.py owns the keys and their validation.
"""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, updated_at


class Setting(Base):
    __tablename__ = "app_setting"

    key: Mapped[str] = mapped_column(sa.String(80), primary_key=True)
    value: Mapped[str] = mapped_column(sa.Text())
    updated_at: Mapped[updated_at]

    def __repr__(self) -> str:
        return f"<Setting {self.key}>"
