"""Update: a bilingual post for NGOs, shown on the site, in the Atom feeds and sent by e-mail.

Bodies are stored as the Markdown the admin wrote; they are rendered and cleaned by
sanitize_html() every time they are shown, so a tightened allow-list applies to old posts too.
Either language may be missing: the public page then says so and offers the other.
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, UTCDateTime, created_at, intpk, split_codes, str20, updated_at

# Topics an update is filed under and a subscriber chooses; labels live in services/outreach/updates.py.
TOPIC_CODES = ("reports", "accountability", "advocacy", "support", "news")


def join_topics(codes) -> str:
    """The stored form: known codes only, in TOPIC_CODES order."""
    return ",".join(code for code in TOPIC_CODES if code in codes)


def any_topic(column, codes):
    """SQL: a comma-separated topic column shares at least one code with `codes`."""
    padded = sa.literal(",") + column + sa.literal(",")
    return sa.or_(*(padded.contains(f",{code},", autoescape=True) for code in codes))


class Update(Base):
    # "update" is an SQL keyword; a plain name spares quoting in every hand-written query.
    __tablename__ = "update_post"
    __table_args__ = (sa.Index("ix_update_post_state_published", "state", "published_at"),)

    id: Mapped[intpk]
    slug: Mapped[str] = mapped_column(sa.String(80), unique=True)
    title_ko: Mapped[str] = mapped_column(sa.String(200), default="")
    title_en: Mapped[str] = mapped_column(sa.String(200), default="")
    summary_ko: Mapped[str] = mapped_column(sa.String(500), default="")
    summary_en: Mapped[str] = mapped_column(sa.String(500), default="")
    body_ko: Mapped[str] = mapped_column(sa.Text(), default="")
    body_en: Mapped[str] = mapped_column(sa.Text(), default="")
    # Topic codes (services/outreach/updates.py TOPICS), comma-separated: a handful of fixed codes
    # matched with LIKE on both databases, no join table needed.
    topics: Mapped[str] = mapped_column(sa.String(200), default="")
    state: Mapped[str20] = mapped_column(default="draft")  # draft or published
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Set when subscribers were queued: publishing again (after an unpublish) sends nothing twice.
    notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[created_at]
    updated_at: Mapped[updated_at]

    @property
    def topic_list(self) -> list[str]:
        return split_codes(self.topics)

    @property
    def languages(self) -> list[str]:
        """The languages this update exists in: a title and a body are both needed."""
        return [lang for lang in ("ko", "en") if self.title(lang) and self.body(lang)]

    @property
    def is_published(self) -> bool:
        return self.state == "published" and self.published_at is not None

    def title(self, lang: str) -> str:
        return self.title_ko if lang == "ko" else self.title_en

    def summary(self, lang: str) -> str:
        return self.summary_ko if lang == "ko" else self.summary_en

    def body(self, lang: str) -> str:
        return self.body_ko if lang == "ko" else self.body_en

    def __repr__(self) -> str:
        return f"<Update {self.slug} {self.state}>"
