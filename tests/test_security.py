"""Headers, CSP, no third-party references, no client address in logs, receipt codes."""
from __future__ import annotations

import hashlib
import html as html_module
import logging
import re
import runpy
from urllib.parse import parse_qs

import pytest

import config as config_module
from app.security import (
    _DropClientAddress,
    client_address,
    format_receipt_code,
    hash_receipt_code,
    new_receipt_code,
    normalize_receipt_code,
)


@pytest.mark.parametrize("path", ["/ko/", "/en/report", "/ko/receipt", "/ko/missing"])
def test_security_headers(client, path):
    headers = client.get(path).headers
    csp = headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "style-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    # The receipt form's page is same-origin, so that its POST names our origin (test_login_origin.py).
    assert headers["Referrer-Policy"] == ("same-origin" if path == "/ko/receipt" else "no-referrer")
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("path", ["/ko/", "/ko/report", "/en/receipt"])
def test_pages_reference_nothing_off_site_and_no_inline_code(app, client, path):
    html = client.get(path).get_data(as_text=True)
    # Nothing the browser fetches or sends a form to is elsewhere. hreflang alternates are
    # absolute by rule but name this same site, and a browser does not fetch them.
    tags = re.findall(r"<[a-z]+\b[^>]*>", html)
    fetched = [tag for tag in tags if not tag.startswith(("<a ", '<link rel="alternate"'))
               and re.search(r"""\b(src|href|action)\s*=\s*["'](https?:)?//""", tag)]
    assert fetched == []
    # The only link that leaves the site is the quick exit, and only when the person follows it.
    leaving = re.findall(r"""<a [^>]*href=["']((?:https?:)?//[^"']+)""", html)
    assert leaving == [app.config["QUICK_EXIT_URLS"][path.split("/")[1]]]
    assert "<script" not in html and " style=" not in html


def test_dev_server_log_drops_client_address():
    line = '203.0.113.9 - - [22/Nov/2026] "POST /ko/report HTTP/1.1" 200 -'
    record = logging.LogRecord("werkzeug", logging.INFO, "", 0, line, (), None)
    _DropClientAddress().filter(record)
    assert "203.0.113.9" not in record.getMessage()


def test_gunicorn_access_log_has_no_client_fields():
    settings = runpy.run_path(str(config_module.BASE_DIR / "gunicorn.conf.py"))
    for field in ("%(h)s", "%(a)s", "%(f)s", "%({x-forwarded-for}i)s"):
        assert field not in settings["access_log_format"]


def test_receipt_codes_are_16_digits_grouped_4_by_4():
    code = new_receipt_code()
    assert len(code) == 16 and code.isdigit()
    assert format_receipt_code("1234567890123456") == "1234 5678 9012 3456"


def test_receipt_normalisation():
    assert normalize_receipt_code(" 1234-5678 9012\u30003456 ") == "1234567890123456"
    assert normalize_receipt_code("１２３４５６７８９０１２３４５６") == "1234567890123456"
    for bad in (None, "", "123", "1234 5678 9012 345x", "٣" * 16, "1" * 17):
        assert normalize_receipt_code(bad) is None


def test_receipt_hash_is_keyed(app_ctx):
    code = "1234567890123456"
    assert hash_receipt_code(code) != hashlib.sha256(code.encode()).hexdigest()
    assert hash_receipt_code(code) == hash_receipt_code(code)


ONION = "a" * 56 + ".onion"


def test_https_pages_offer_the_onion_address(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "ONION_ADDRESS", ONION)
    secure = client.get("/ko/report?x=1", base_url="https://moksori.example.org")
    assert secure.headers["Onion-Location"] == f"http://{ONION}/ko/report?x=1"
    # Not over plain HTTP (Tor Browser ignores it there, and the onion service itself is HTTP).
    assert "Onion-Location" not in client.get("/ko/report", base_url=f"http://{ONION}").headers
    monkeypatch.setitem(app.config, "ONION_ADDRESS", "")
    assert "Onion-Location" not in client.get("/ko/", base_url="https://moksori.example.org").headers


@pytest.mark.parametrize("address", ["example.onion", "a" * 56 + ".onion.example.org", "http://" + "1" * 56 + ".onion"])
def test_a_malformed_onion_address_is_refused_at_start(tmp_path, monkeypatch, address):
    monkeypatch.setattr(config_module, "INSTANCE_DIR", tmp_path)
    monkeypatch.setattr(config_module.DevelopmentConfig, "ONION_ADDRESS", address)
    with pytest.raises(config_module.ConfigurationError, match="ONION_ADDRESS"):
        config_module.DevelopmentConfig.finalize()


@pytest.mark.parametrize(("remote", "expected"), [("127.0.0.1", "198.51.100.7"), ("203.0.113.5", "203.0.113.5")])
def test_the_client_header_is_believed_only_from_a_trusted_proxy(app, monkeypatch, remote, expected):
    """deploy/'s nginx names the visitor in CLIENT_ADDRESS_HEADER; a visitor who reaches the app
    directly and sends that header must not choose their own rate-limit counter."""
    monkeypatch.setitem(app.config, "CLIENT_ADDRESS_HEADER", "X-Moksori-Client")
    with app.test_request_context("/ko/", headers={"X-Moksori-Client": "198.51.100.7"},
                                  environ_base={"REMOTE_ADDR": remote}):
        assert client_address() == expected
    monkeypatch.setitem(app.config, "CLIENT_ADDRESS_HEADER", "")  # not configured: never read
    with app.test_request_context("/ko/", headers={"X-Moksori-Client": "198.51.100.7"},
                                  environ_base={"REMOTE_ADDR": remote}):
        assert client_address() == remote


@pytest.mark.parametrize("raw, kept", [(b"\xed\xa0\x80", "%ED%A0%80"), (b"\xc0\xaf", "%C0%AF"),
                                       ("고문".encode(), "고문")])
def test_raw_bytes_in_the_query_string_are_read_as_percent_escapes(client, raw, kept):
    """A query string with raw bytes that are not UTF-8 (sent by no browser, by any script)
    was a 500 on every page: Werkzeug decodes request.args strictly and the language switch
    reads it. The bytes now arrive percent-encoded; what is not UTF-8 stays as its escapes."""
    query = (b"q=" + raw + b"&page=2").decode("latin-1")  # as a WSGI server hands them over
    response = client.get("/ko/contact", environ_overrides={"QUERY_STRING": query})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    switch = html_module.unescape(re.search(r'href="/en/contact\?([^"]*)"', html).group(1))
    assert parse_qs(switch) == {"q": [kept], "page": ["2"]}  # the same query, in the other language
