"""The partner groups' spreadsheet template, linked from /<lang>/group before logging in.

It holds no data (headers, an invented example, the allowed answers), so it is served to anyone
and sets no cookie. It is kept built per process (it changes only with the taxonomy), but the
response says no-store like every page (app/security.py): a device's cache is what a phone check
reads, and a cached download from this site is itself a sign. The file's name says nothing
about reports, for the same reason: it lands in the phone's downloads."""
from __future__ import annotations

import time

from flask import Response

from app.extensions import db
from app.public import LANG, bp
from app.services.groups import sheet_template
from app.services.taxonomy import CACHE_SECONDS

TYPES = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
         "csv": "text/csv; charset=utf-8"}
_built: dict[tuple[str, str], tuple[float, bytes]] = {}


def _template(lang: str, fmt: str) -> bytes:
    kept = _built.get((lang, fmt))
    if kept and time.monotonic() - kept[0] < CACHE_SECONDS:
        return kept[1]
    session = db.session()
    data = sheet_template.as_xlsx(session, lang) if fmt == "xlsx" else sheet_template.as_csv(session, lang)
    session.rollback()  # the categories were read; end the transaction (SQLite's one writer)
    _built[(lang, fmt)] = (time.monotonic(), data)
    return data


@bp.route(f"{LANG}/group/template.<any(xlsx,csv):fmt>")
def group_template(lang: str, fmt: str):
    response = Response(_template(lang, fmt), mimetype=TYPES[fmt])
    response.headers["Content-Disposition"] = f'attachment; filename="template-{lang}.{fmt}"'
    return response
