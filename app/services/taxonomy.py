"""Reading the violation taxonomy for forms and display."""
from __future__ import annotations

import time
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from app.models import Category
from app.models.base import engine_of


@dataclass(frozen=True)
class CategoryGroup:
    code: str
    label: str
    children: list[tuple[str, str]]


# The taxonomy changes only through migrations, yet the report form needs it on every view:
# keep it per process for a few minutes so the public form needs no database round trip
# (on SQLite every transaction takes the write lock, see app/database.py).
CACHE_SECONDS = 300
_cache: dict[tuple[str, str, bool], tuple[float, list[CategoryGroup]]] = {}


def category_tree(session: Session, lang: str, for_submitters: bool = False) -> list[CategoryGroup]:
    """Top-level categories with their sub-types, in taxonomy order, labelled in `lang`: with
    the legal terms for staff, or `for_submitters` with everyday words and the legal term beside
    them (Category.submitter_label)."""
    key = (str(engine_of(session).url), lang, for_submitters)
    cached = _cache.get(key)
    if cached and time.monotonic() - cached[0] < CACHE_SECONDS:
        return cached[1]
    try:
        tree = _load_tree(session, lang, for_submitters)
    except DBAPIError:
        # The database is away: a form that must be shown again with what was typed
        # (app/public AFTER_FAULT) uses the categories it had, however old.
        if cached is None:
            raise
        session.rollback()
        return cached[1]
    _cache[key] = (time.monotonic(), tree)
    return tree


def _load_tree(session: Session, lang: str, for_submitters: bool) -> list[CategoryGroup]:
    rows = session.scalars(
        sa.select(Category).where(Category.retired.is_(False)).order_by(Category.position, Category.code)
    ).all()

    def label(row: Category) -> str:
        return row.submitter_label(lang) if for_submitters else row.label(lang)

    children: dict[int, list[tuple[str, str]]] = {}
    for row in rows:
        if row.parent_id is not None:
            children.setdefault(row.parent_id, []).append((row.code, label(row)))
    return [
        CategoryGroup(row.code, label(row), children.get(row.id, []))
        for row in rows
        if row.parent_id is None
    ]


def categories_by_code(session: Session, codes: list[str]) -> list[Category]:
    if not codes:
        return []
    return list(session.scalars(sa.select(Category).where(Category.code.in_(codes), Category.retired.is_(False))))


def category_choices(session: Session, lang: str) -> list[tuple[str, str]]:
    """(code, label) for a staff select or checkbox list: each category, then its sub-types
    as "Category › Sub-type"."""
    return [choice for group in category_tree(session, lang)
            for choice in [(group.code, group.label),
                           *((code, f"{group.label} › {label}") for code, label in group.children)]]
