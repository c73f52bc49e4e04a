"""Fingerprinted static URLs: url_for('static', filename=…) adds ?v=<12 hex digits of the
file's SHA-256>, so a changed file gets a new URL and every URL can be cached for a year —
by nginx (deploy/nginx/moksori-common.conf) or, without it, by Flask's own static route here.
A fingerprint is recomputed when the file's modification time changes (`make run` edits)."""
from __future__ import annotations

import hashlib
import os

from flask import Flask, request
from werkzeug.security import safe_join

CACHE_FOREVER = "public, max-age=31536000, immutable"


def init_app(app: Flask) -> None:
    known: dict[str, tuple[float, str]] = {}

    def fingerprint(filename: str) -> str | None:
        path = safe_join(app.static_folder or "", filename)
        if path is None:
            return None
        try:
            mtime = os.stat(path).st_mtime
        except OSError:
            return None
        cached = known.get(filename)
        if cached is None or cached[0] != mtime:
            with open(path, "rb") as handle:
                cached = known[filename] = (mtime, hashlib.sha256(handle.read()).hexdigest()[:12])
        return cached[1]

    @app.url_defaults
    def add_fingerprint(endpoint: str, values: dict) -> None:
        if endpoint == "static" and "filename" in values and "v" not in values:
            digest = fingerprint(values["filename"])
            if digest:
                values["v"] = digest

    @app.after_request
    def cache_fingerprinted(response):
        if request.endpoint != "static" or response.status_code != 200 or "v" not in request.args:
            return response
        if request.args["v"] == fingerprint((request.view_args or {}).get("filename", "")):
            response.headers["Cache-Control"] = CACHE_FOREVER
        return response
