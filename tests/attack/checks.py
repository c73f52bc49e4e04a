"""What "escaped" means, checked on whatever the app hands out: HTML pages, e-mails, the Atom
feed, CSV and JSON exports, case files. Each check names the run's seed and the payload, so a
failure can be replayed with ATTACK_SEED=<seed>.
"""
from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

from app.forms import clean_text
from app.services.spreadsheet import FORMULA_START
from tests.attack.strings import MARK, Payload, seed
from tests.helpers import post_form

URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "data", "srcdoc", "poster", "background"}
ACTIVE_SCHEMES = ("javascript:", "vbscript:", "data:")


def where(payload: Payload | None, place: str) -> str:
    """The failure message: how to replay it and what was seen where."""
    sent = f"payload {payload} {payload.text[:120]!r}" if payload else "one of the payloads"
    return f"[ATTACK_SEED={seed()}] {sent} in {place}"


def stored_form(text: str) -> str:
    """The documented normalization of a form value (app/forms.py clean_text: NFC, control
    characters but tab, newline and carriage return removed, trimmed)."""
    return clean_text(text)


class _Injections(HTMLParser):
    """Markup that a payload made: an attribute named by it, an event handler or active URL
    carrying a marker, a marker inside a script or style element.

    The elements whose content a browser reads as raw text are parsed that way here too (the
    stock parser knows only script and style): `<noscript><p title="</noscript><img onerror=…>">`
    is an image with a handler in a browser, and must be one here."""

    CDATA_CONTENT_ELEMENTS = ("script", "style", "noscript", "xmp", "iframe", "noembed", "noframes")

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self.raw_text_tag: str | None = None
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        if MARK.lower() in tag.lower():
            self.found.append(f"element <{tag}>")
        for name, value in attrs:
            value = value or ""
            if MARK.lower() in name.lower():
                self.found.append(f"attribute {name!r} on <{tag}>")
            elif name.lower().startswith("on") and MARK in value:
                self.found.append(f"event handler {name}={value[:80]!r} on <{tag}>")
            elif name.lower() in URL_ATTRIBUTES and MARK in value and (
                    "".join(value.split()).lower().startswith(ACTIVE_SCHEMES) or name.lower() == "srcdoc"):
                self.found.append(f"active URL {name}={value[:80]!r} on <{tag}>")
            elif tag == "meta" and MARK in value and "http-equiv" in dict(attrs):
                self.found.append(f"<meta http-equiv {name}={value[:80]!r}>")
            elif tag == "base" and MARK in value:
                self.found.append(f"<base {name}={value[:80]!r}>")
        if tag in self.CDATA_CONTENT_ELEMENTS:
            self.raw_text_tag = tag

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        self.raw_text_tag = None

    def handle_endtag(self, tag):
        if tag == self.raw_text_tag:
            self.raw_text_tag = None

    def handle_data(self, data):
        if self.raw_text_tag in ("script", "style") and MARK in data:
            self.found.append(f"marker inside <{self.raw_text_tag}>: {data[:80]!r}")
        self.text.append(data)

    def handle_comment(self, data):
        if MARK in data:
            self.found.append(f"marker inside an HTML comment: {data[:80]!r}")


def injections(html: str) -> tuple[list[str], str]:
    """(what the payloads injected, the page's text as a browser would show it)."""
    parser = _Injections()
    parser.feed(html)
    parser.close()
    return parser.found, "".join(parser.text)


def assert_escaped(html: str, payloads: list[Payload], place: str, shown: bool = True, verbatim: bool = True) -> None:
    """No payload made markup in `html`, none is there verbatim (unescaped; skipped with
    `verbatim=False` where sanitized HTML may keep allowed tags), and — when `shown` — each
    one's marker is on the page, so the check is not vacuous."""
    found, text = injections(html)
    assert not found, where(None, place) + ": " + "; ".join(found[:5])
    for payload in payloads:
        value = stored_form(payload.text)
        if verbatim and "<" in value:  # escaped, "<" is always "&lt;": only markup keeps it
            assert value not in html, where(payload, place) + ": the value is on the page unescaped"
        if shown:
            assert payload.marker in text, where(payload, place) + ": the value is not shown"


def post_hostile(client, url: str, data: dict, payload, page_url: str | None = None, shown: bool = False):
    """Post a hostile form through the real page (CSRF on): never a 500, and the payload
    escaped wherever the answer shows it."""
    response = post_form(client, url, data, page_url=page_url)
    assert response.status_code < 500, where(payload, f"POST {url}")
    if response.mimetype == "text/html":
        assert_escaped(response.get_data(as_text=True), [payload], f"the answer to POST {url}", shown=shown)
    return response


def assert_headers_whole(message, payloads: list[Payload], place: str) -> None:
    """An e-mail's headers: none added by a payload, none carrying a raw line break."""
    names = [name.lower() for name in message]
    for header in ("bcc", "x-injected"):
        assert header not in names, where(None, place) + f": a payload added the header {header!r}"
    assert names.count("subject") <= 1 and names.count("to") == 1, where(None, place) + f": headers {names}"
    for name, value in message.items():
        assert "\r" not in str(value) and "\n" not in str(value), where(None, place) + f": line break in {name}"


def assert_csv_defused(data: bytes, payloads: list[Payload], place: str) -> list[list[str]]:
    """Every cell a spreadsheet would run as a formula is defused; returns the rows."""
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    for row in rows:
        for cell in row:
            assert not cell.startswith(FORMULA_START), where(None, place) + f": formula cell {cell[:60]!r}"
    return rows


def undefused(cell: str) -> str:
    """A CSV cell as written before csv_cell() defused it (one leading apostrophe)."""
    return cell[1:] if cell.startswith("'") and cell[1:].startswith(FORMULA_START) else cell


def assert_feed(xml: bytes, payloads: list[Payload], place: str) -> ET.Element:
    """The Atom feed is well-formed XML, no element or attribute comes from a payload, and
    every HTML it embeds passes assert_escaped."""
    try:
        root = ET.fromstring(xml)
    except ET.ParseError as error:
        raise AssertionError(where(None, place) + f": not well-formed XML ({error})") from None
    for element in root.iter():
        assert MARK not in element.tag, where(None, place) + f": element {element.tag!r}"
        for name in element.attrib:
            assert MARK not in name, where(None, place) + f": attribute {name!r}"
        if element.get("type") == "html" and element.text:
            found, _text = injections(element.text)
            assert not found, where(None, place) + ": embedded HTML: " + "; ".join(found[:5])
    return root


def assert_json_values(data: bytes, place: str):
    """JSON that parses (a payload's quotes or NUL did not break it)."""
    try:
        return json.loads(data)
    except ValueError as error:
        raise AssertionError(where(None, place) + f": not valid JSON ({error})") from None


def xml_text(text: str) -> str:
    """Text as an XML parser returns it: line ends normalized to LF (XML 1.0 §2.11)."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def strings_in(document) -> set[str]:
    """Every string value anywhere in a parsed JSON document."""
    if isinstance(document, str):
        return {document}
    values = document.values() if isinstance(document, dict) else document if isinstance(document, list) else ()
    return set().union(*(strings_in(value) for value in values)) if values else set()
