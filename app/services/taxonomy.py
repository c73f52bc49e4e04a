"""Reading the violation taxonomy for forms and display."""
from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.models import Category


@dataclass(frozen=True)
class CategoryGroup:
    code: str
    label: str
    children: list[tuple[str, str]]


def category_tree(session: Session, lang: str) -> list[CategoryGroup]:
    """Top-level categories with their sub-types, in taxonomy order, labelled in `lang`."""
    rows = session.scalars(
        sa.select(Category).where(Category.retired.is_(False)).order_by(Category.position, Category.code)
    ).all()
    children: dict[int, list[tuple[str, str]]] = {}
    for row in rows:
        if row.parent_id is not None:
            children.setdefault(row.parent_id, []).append((row.code, row.label(lang)))
    return [
        CategoryGroup(row.code, row.label(lang), children.get(row.id, []))
        for row in rows
        if row.parent_id is None
    ]


def categories_by_code(session: Session, codes: list[str]) -> list[Category]:
    if not codes:
        return []
    return list(session.scalars(sa.select(Category).where(Category.code.in_(codes), Category.retired.is_(False))))
