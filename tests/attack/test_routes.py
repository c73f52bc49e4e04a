"""Every route of app.url_map under attack: hostile path parts and query strings (as text and as
bytes that are not UTF-8) for every GET route, anonymous and as an admin; invalid UTF-8 in
form bodies (URL-encoded and multipart) for the forms; and a check that every POST route has
its form in tests/attack/surface.py, so a new route cannot escape the corpus unnoticed.
"""
from __future__ import annotations

from urllib.parse import quote

import pytest
import sqlalchemy as sa
from werkzeug.routing import AnyConverter, IntegerConverter

from app.extensions import db
from app.models import Note, Submission
from app.sealed import vault
from tests.attack import checks, strings
from tests.attack.surface import QUERY_PARAMETERS, SURFACES
from tests.factories import SubmissionFactory, UpdateFactory
from tests.helpers import hidden_fields

NOT_ATTACKED = {"static"}  # files on disk; tests/test_static_files.py
QUERY_NAMES = sorted({name for names in QUERY_PARAMETERS.values() for name in names} | {"lang", "next", "v"})


def test_every_post_route_is_attacked(app):
    posted = {rule.endpoint for rule in app.url_map.iter_rules() if "POST" in rule.methods}
    covered = {surface.endpoint for surface in SURFACES}
    assert posted <= covered, f"POST routes without a form in tests/attack/surface.py: {sorted(posted - covered)}"
    assert covered - posted == {"staff.queue"}, f"surface.py names routes without POST: {sorted(covered - posted)}"
    assert set(QUERY_PARAMETERS) <= {rule.endpoint for rule in app.url_map.iter_rules()}


def _paths(app, part: str, number: str, lang: str) -> list[str]:
    """Every GET rule, its variable parts filled with `part` (already URL-quoted), numbers with
    `number`, the language with `lang`."""
    paths = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint in NOT_ATTACKED:
            continue
        values = {}
        for name, converter in rule._converters.items():
            if isinstance(converter, AnyConverter):
                values[name] = lang
            elif isinstance(converter, IntegerConverter):
                values[name] = number
            else:
                values[name] = part
        path = "".join(values.get(data, data) if is_variable else data for is_variable, data in rule._trace)
        paths.append(path.split("|", 1)[1] if "|" in path else path)
    return sorted(set(paths))


def _get(client, path: str, query: str, payload, who: str):
    response = client.get(path, query_string=query)
    response.close()  # a file sent from disk (/favicon.ico, /static/…) keeps it open until then
    assert response.status_code < 500, checks.where(payload, f"GET {path}?{query[:80]} ({who})")
    if response.mimetype == "text/html":
        checks.assert_escaped(response.get_data(as_text=True), [payload] if payload else [],
                              f"GET {path} ({who})", shown=False)
    return response


@pytest.mark.parametrize("who", ["anonymous", "admin"])
def test_every_get_route_with_hostile_path_and_query(app, client, auth, who):
    item = SubmissionFactory()
    UpdateFactory(slug="news")
    if who == "admin":
        auth.login(role="admin")
    payloads = strings.sample(2, strings.SHORT, salt=f"routes-{who}")
    for number, payload in enumerate(payloads):
        text = payload.text[:2000]
        query = "&".join(f"{name}={quote(text, safe='')}" for name in QUERY_NAMES)
        for path in _paths(app, quote(text, safe=""), "1", ("ko", "en")[number % 2]):
            _get(client, path, query, payload, who)
    for number, raw in enumerate(strings.sample_raw(2, salt=f"routes-{who}")):  # not UTF-8: surrogates, overlong
        query = "&".join(f"{name}={raw}" for name in QUERY_NAMES)
        for path in _paths(app, raw, raw, ("en", "ko")[number % 2]):
            _get(client, path, query, None, who)
    _get(client, f"/staff/submissions/{item.public_id}", "", None, who)


def test_raw_bytes_in_the_url_itself(app, client, auth):
    """Bytes no browser would send, straight into PATH_INFO and QUERY_STRING (as a server hands
    them to the app: each byte one latin-1 character)."""
    auth.login(role="admin")
    for raw in strings.RAW:
        for prefix in ("/ko/updates/", "/staff/submissions/", "/ko/subscribe/confirm/", "/"):
            response = client.get("/", environ_overrides={"PATH_INFO": (prefix.encode() + raw).decode("latin-1"),
                                                          "QUERY_STRING": (b"q=" + raw + b"&page=" + raw)
                                                          .decode("latin-1")})
            assert response.status_code < 500, checks.where(None, f"GET {prefix}{raw!r}")


def _multipart(fields: dict[str, bytes]) -> tuple[bytes, str]:
    boundary = "attackboundary"
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode() + value + b"\r\n"
             for name, value in fields.items()]
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def _raw_post(client, url: str, page_url: str, fields: dict[str, bytes], encoding: str):
    page = client.get(page_url).get_data(as_text=True)
    fields = {**{name: value.encode() for name, value in hidden_fields(page).items()}, **fields}
    if encoding == "multipart":
        body, content_type = _multipart(fields)
    else:  # "urlencoded" as a browser sends it; "raw": the bytes themselves, as no browser does
        escape = (lambda value: b"".join(b"%%%02X" % byte for byte in value)) if encoding == "urlencoded" else bytes
        body = b"&".join(name.encode() + b"=" + escape(value) for name, value in fields.items())
        content_type = "application/x-www-form-urlencoded"
    response = client.post(url, data=body, content_type=content_type)
    assert response.status_code < 500, checks.where(None, f"POST {url} with bytes that are not UTF-8")
    return response


# The documented normalization of bytes that are not UTF-8 (Werkzeug's, README "Input"): in a
# multipart body each bad sequence becomes U+FFFD; in a URL-encoded body or a query string it
# stays as its %XX escapes; a URL-encoded body with raw bytes is not read at all (no CSRF token:
# 400). Then clean_text() as for any text.
EXPECTED = {"multipart": "zqATK raw \ufffd\ufffd\ufffd 고문", "urlencoded": "zqATK raw %ED%A0%80 고문"}
EXPECTED_NOTE = {"multipart": "zqATK note \ufffd\ufffd", "urlencoded": "zqATK note %C0%AF"}


@pytest.mark.parametrize("encoding", ["urlencoded", "multipart", "raw"])
def test_invalid_utf8_in_form_bodies(app, client, auth, org_keys, encoding):
    raws = [strings.RAW[0], *(bytes.fromhex(escaped.replace("%", "")) for escaped in strings.sample_raw(3, "bodies"))]
    for raw in raws:
        text = b"zqATK raw " + raw + " 고문".encode()
        for url, page in (("/ko/report", "/ko/report"), ("/ko/contact", "/ko/contact"),
                          ("/ko/receipt", "/ko/receipt"), ("/ko/subscribe", "/ko/subscribe"),
                          ("/staff/login", "/staff/login")):
            _raw_post(client, url, page, {name: text for name in ("narrative", "place", "alias", "handle", "message",
                                                                   "code", "email", "organization", "password")},
                      encoding)
    with app.app_context():
        items = db.session.scalars(sa.select(Submission).order_by(Submission.id)).all()
        if encoding == "raw":
            assert not items
            return
        reports = [item for item in items if item.kind == "report"]
        assert len(reports) == len(raws)
        first = reports[0]
        vault.open_thread(first, vault.open_for_staff(org_keys.keyring, first), org_keys.keyring)
        assert first.narrative == EXPECTED[encoding]
        public_id = first.public_id
    auth.login()
    page = f"/staff/submissions/{public_id}"
    _raw_post(client, f"{page}/note", page, {"note-body": b"zqATK note " + strings.RAW[2]}, encoding)
    assert "zqATK note" in client.get(page).get_data(as_text=True)
    with app.app_context():
        note = db.session.scalar(sa.select(Note))
        assert vault.open_note(note, org_keys.keyring).body == EXPECTED_NOTE[encoding]
