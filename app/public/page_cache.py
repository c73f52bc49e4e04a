"""Public pages rendered once per language and kept, with only the tokens fresh per visitor.

Issue 12 asked for every public page within 2× of a bare Flask response. Rendering was most of
every page's time (bench/README.md): the base template's translated strings, links and language
alternates, the form macros, the category tree, Markdown for updates — the same output for
every visitor of a language. What differs per visitor on these pages is only the signed CSRF
token and the report and contact forms' one-time form token. So a kept page is rendered once
with a marker in place of each token, and every request gets the kept text with fresh tokens
put in (form_tokens.issue(), form_tokens.new_one_time_token()).

A request is served from here only when nothing about it is personal or unusual:
- GET or HEAD, and no Cookie header at all: a person with a receipt session or a staff login
  gets the page rendered for them (flashed messages, their session) as before;
- no query argument beyond the ones the view names (they are part of the key);
and a rendered page is kept only when it answered 200 and touched no session. A page that comes
back with answers or errors is a POST and never kept.

The key holds the endpoint, its arguments, the named query arguments and the host address (the
hreflang alternates are absolute). A view that shows stored data gives a `version` (the
taxonomy tree, the updates' count and last change): a kept page with another version is rendered
again. Every worker keeps its own pages; one that another instance changed is noticed through
the version, which comes from the shared database. At most MAX_PAGES are kept (least recently
used first out), so hostile Host headers or query values cannot grow memory without bound.
"""
from __future__ import annotations

import functools
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import current_app, g, request, session

from app import form_tokens

MAX_PAGES = 256


@dataclass(frozen=True)
class KeptPage:
    version: Any
    body: str
    content_type: str


class PageStore:
    """A small LRU, shared by the threads of one worker."""

    def __init__(self, size: int = MAX_PAGES):
        self.size = size
        self._pages: OrderedDict[tuple, KeptPage] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple) -> KeptPage | None:
        with self._lock:
            page = self._pages.get(key)
            if page is not None:
                self._pages.move_to_end(key)
            return page

    def put(self, key: tuple, page: KeptPage) -> None:
        with self._lock:
            self._pages[key] = page
            self._pages.move_to_end(key)
            while len(self._pages) > self.size:
                self._pages.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._pages.clear()

    def __len__(self) -> int:
        return len(self._pages)


def store() -> PageStore:
    return current_app.extensions.setdefault("moksori.kept_pages", PageStore())


def _key(args: tuple[str, ...]) -> tuple | None:
    """The kept page's key for this request, or None when this request must be rendered for itself."""
    if request.method not in ("GET", "HEAD") or request.cookies or not current_app.config.get("KEEP_PUBLIC_PAGES"):
        return None
    if any(name not in args for name in request.args):
        return None
    return (request.endpoint, tuple(sorted((request.view_args or {}).items())),
            tuple(request.args.get(name) for name in args), request.scheme, request.host)


def _fill(body: str) -> str:
    """This visitor's tokens where the markers are."""
    if form_tokens.CSRF_MARK in body:
        body = body.replace(form_tokens.CSRF_MARK, form_tokens.issue(form_tokens.form_key()))
    if form_tokens.ONE_TIME_MARK in body:
        body = body.replace(form_tokens.ONE_TIME_MARK, form_tokens.new_one_time_token())
    return body


def kept_page(args: tuple[str, ...] = (), version: Callable[[], Any] | None = None,
              when: Callable[[], bool] | None = None):
    """Serve a view's page from the per-worker store when the request allows it (see above) and
    `when` holds (the forms: while intake is open; the view answers otherwise)."""

    def decorate(view):
        @functools.wraps(view)
        def serve(*view_args, **view_kwargs):
            key = _key(args)
            if key is None or (when is not None and not when()):
                return view(*view_args, **view_kwargs)
            current = version() if version else None
            kept = store().get(key)
            if kept is None or kept.version != current:
                g.token_marks = True  # form_tokens writes markers where a visitor's tokens go
                try:
                    response = current_app.make_response(view(*view_args, **view_kwargs))
                finally:
                    g.token_marks = False
                if response.is_streamed:
                    return response
                body = response.get_data(as_text=True)
                if response.status_code != 200 or session.modified or session:
                    if (filled := _fill(body)) is not body:  # not kept, but its tokens are still due
                        response.set_data(filled)
                    return response
                kept = KeptPage(current, body, response.content_type)
                store().put(key, kept)
            return current_app.response_class(_fill(kept.body), status=200, content_type=kept.content_type)

        return serve

    return decorate
