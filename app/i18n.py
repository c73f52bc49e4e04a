"""Locale plumbing: which language a request is in, <html lang>, language-switch links,
and Korean-correct date formatting (KOREAN.md §3.2).

Public pages carry the language in the path (/ko/…, /en/…). Other pages (staff, errors
outside a language prefix) use the session's choice, then Accept-Language, then Korean.
"""
from __future__ import annotations

import functools
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from babel import Locale, support
from flask import Flask, current_app, request, session, url_for
from flask_babel import format_date as babel_format_date
from flask_babel import format_datetime as babel_format_datetime
from flask_babel import format_decimal, format_timedelta, get_locale
from werkzeug.routing import BuildError
from wtforms.i18n import messages_path

from app import vocabularies as v
from app.extensions import babel

SUPPORTED_LOCALES = ("ko", "en")
DEFAULT_LOCALE = "ko"
LANGUAGE_NAMES = {"ko": "한국어", "en": "English"}

# Babel's default Korean short time is "PM 2:05"; these explicit patterns give "오후 2:05"
# in prose and 24-hour time in tables (KOREAN.md §3.2).
DATETIME_PATTERNS = {
    "ko": {"long": "y년 M월 d일 aaaa h:mm", "table": "y. M. d. HH:mm", "date": "y년 M월 d일"},
    "en": {"long": "d MMMM y, h:mm a", "table": "y-MM-dd HH:mm", "date": "d MMMM y"},
}


def lang_from_path() -> str | None:
    """The language named by the URL (/ko/… or /en/…), if any."""
    args = request.view_args or {}
    lang = args.get("lang")
    if lang in SUPPORTED_LOCALES:
        return lang
    first = request.path.strip("/").split("/", 1)[0]
    return first if first in SUPPORTED_LOCALES else None


def best_accept_language() -> str:
    return request.accept_languages.best_match(SUPPORTED_LOCALES) or DEFAULT_LOCALE


def select_locale() -> str:
    if not request:
        return DEFAULT_LOCALE
    from_path = lang_from_path()
    if from_path:
        return from_path
    if request.path.startswith(("/staff", "/admin")):
        from flask_login import current_user

        if current_user and current_user.is_authenticated:
            return current_user.locale  # staff pages follow the user's preference
    return session.get("lang") or best_accept_language()


def current_lang() -> str:
    locale = get_locale()  # a template asks a dozen times per page: look the locale up once
    return locale.language if locale else DEFAULT_LOCALE


def switch_language_url(target: str, external: bool = False) -> str:
    """The same page in another language: same endpoint, same arguments, same query.
    `external` gives the absolute address that hreflang alternates need."""
    if request.endpoint and request.view_args is not None and "lang" in request.view_args:
        # Query keys starting with "_" would reach url_for's own options (?_external=1&_scheme=…).
        query = {key: value for key, value in request.args.items() if not key.startswith("_")}
        try:
            return url_for(request.endpoint, **{**query, **request.view_args, "lang": target}, _external=external)
        except BuildError:  # an endpoint that cannot be rebuilt still gets a working link
            pass
    return url_for("public.home", lang=target, _external=external)


def local_time(value: datetime) -> datetime:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(ZoneInfo(current_app.config["TIMEZONE"]))


def format_datetime(value: datetime | None, style: str = "long") -> str:
    if value is None:
        return ""
    pattern = DATETIME_PATTERNS[current_lang()][style]
    return babel_format_datetime(local_time(value), pattern, rebase=False)


def format_date(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = local_time(value).date()
    return babel_format_date(value, DATETIME_PATTERNS[current_lang()]["date"])


def format_bytes(size: int) -> str:
    for unit, factor in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if size >= factor:
            return f"{format_decimal(round(size / factor, 1))}{unit if current_lang() == 'ko' else ' ' + unit}"
    return f"{size} B"


def contains_hangul(value: str | None) -> bool:
    """Hangul typed where Latin letters were meant: the 한/영 key was left on (KOREAN.md §3.7)."""
    return any("\u1100" <= ch <= "\u11ff" or "\u3130" <= ch <= "\u318f" or "\uac00" <= ch <= "\ud7af"
               for ch in value or "")


def org_name() -> str:
    """The deploying organization's name in the page's language."""
    return current_app.config["ORG_NAME_KO" if current_lang() == "ko" else "ORG_NAME_EN"]


@functools.lru_cache(maxsize=len(SUPPORTED_LOCALES) + 1)
def _wtforms_catalog(locale: str) -> support.NullTranslations:
    return support.Translations.load(messages_path(), [locale], domain="wtforms")


def share_wtforms_catalog() -> None:
    """Flask-WTF reads WTForms' own catalog (its few built-in messages, such as "Not a valid
    choice") from disk on every request that builds a form and keeps it on that request only
    (flask_wtf/i18n.py, `request.wtforms_translations`): about 1 ms of every form page. The
    catalog cannot change while the process runs, so each locale's is read once and put where
    Flask-WTF looks for it."""
    if request.endpoint != "static":
        setattr(request, "wtforms_translations", _wtforms_catalog(str(get_locale())))  # noqa: B010  Flask-WTF's name


def init_app(app: Flask) -> None:
    for code in SUPPORTED_LOCALES:  # fail at start-up, not on the first Korean request
        Locale.parse(code)
    babel.init_app(app, locale_selector=select_locale)
    app.before_request(share_wtforms_catalog)
    app.jinja_env.globals.update(
        current_lang=current_lang,
        switch_language_url=switch_language_url,
        SUPPORTED_LOCALES=SUPPORTED_LOCALES,
        DEFAULT_LOCALE=DEFAULT_LOCALE,
        LANGUAGE_NAMES=LANGUAGE_NAMES,
        org_name=org_name,
    )
    app.jinja_env.filters.update(datetime=format_datetime, date=format_date, filesize=format_bytes,
                                  timedelta=format_timedelta)
    app.jinja_env.globals.update(
        status_label=lambda code: v.label_for(v.STATUSES, code),
        kind_label=lambda code: v.label_for(v.KINDS, code),
        label_for=v.label_for,
        vocab=v,
    )
