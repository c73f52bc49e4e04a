"""Fingerprinted static URLs (app/static_files.py): the URL changes with the file, and a
fingerprinted URL may be cached for a year; without nginx, Flask says so itself."""
from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

CSS = Path(__file__).resolve().parent.parent / "app" / "static" / "css" / "site.css"


def test_pages_link_the_stylesheet_by_its_fingerprint(client):
    html = client.get("/ko/").get_data(as_text=True)
    digest = hashlib.sha256(CSS.read_bytes()).hexdigest()[:12]
    assert f'href="/static/css/site.css?v={digest}"' in html


def test_a_fingerprinted_url_is_cached_for_a_year_and_others_are_not(client):
    href = re.search(r'href="(/static/css/site\.css\?v=[0-9a-f]{12})"', client.get("/ko/").get_data(as_text=True))
    with client.get(href.group(1)) as fingerprinted:
        assert fingerprinted.status_code == 200 and fingerprinted.data == CSS.read_bytes()
        assert fingerprinted.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    for stale in ("/static/css/site.css", "/static/css/site.css?v=000000000000"):
        with client.get(stale) as response:
            assert "max-age=31536000" not in response.headers.get("Cache-Control", "")


def test_a_changed_file_gets_a_new_fingerprint(app, tmp_path, monkeypatch):
    static = tmp_path / "static"
    static.mkdir()
    (static / "a.css").write_text("a{}")
    monkeypatch.setattr(app, "static_folder", str(static))
    with app.test_request_context("/"):
        from flask import url_for

        first = url_for("static", filename="a.css")
        (static / "a.css").write_text("b{}")
        os.utime(static / "a.css", (1, 1))  # a different modification time, whatever the clock's resolution
        second = url_for("static", filename="a.css")
        missing = url_for("static", filename="missing.css")
    assert first != second and second.endswith(hashlib.sha256(b"b{}").hexdigest()[:12])
    assert missing == "/static/missing.css"
