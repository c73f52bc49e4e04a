"""The violation taxonomy (shared/TAXONOMY.md): stable codes with Korean and English labels."""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, bool_false, intpk


class Category(Base):
    __tablename__ = "category"

    id: Mapped[intpk]
    code: Mapped[str] = mapped_column(sa.String(10), unique=True)
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("category.id"), index=True)
    label_ko: Mapped[str] = mapped_column(sa.String(200))
    label_en: Mapped[str] = mapped_column(sa.String(200))
    # Everyday words for submitters (migration 0015); the labels above are the legal terms
    # that officers, exports and case files use. Empty where the legal label is plain already.
    plain_ko: Mapped[str | None] = mapped_column(sa.String(200))
    plain_en: Mapped[str | None] = mapped_column(sa.String(200))
    position: Mapped[int] = mapped_column(default=0)
    retired: Mapped[bool_false]

    parent: Mapped[Category | None] = relationship(remote_side="Category.id", back_populates="children")
    children: Mapped[list[Category]] = relationship(back_populates="parent", order_by="Category.position")

    def label(self, lang: str) -> str:
        return self.label_ko if lang == "ko" else self.label_en

    def submitter_label(self, lang: str) -> str:
        """What the report form shows: the everyday words, with the legal term beside them."""
        plain = self.plain_ko if lang == "ko" else self.plain_en
        return f"{plain} ({self.label(lang)})" if plain else self.label(lang)

    def __repr__(self) -> str:
        return f"<Category {self.code}>"
