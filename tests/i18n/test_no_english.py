"""A Korean page shows no English: every word in Latin letters that a reader can see or hear
(text, <title>, the meta description, aria-label, title, alt, placeholder and button values)
is a proper noun or file-type name on the allow-list below. Text marked as another language
(lang="en", e.g. the language switch or an update's English title) is left out: it is meant
to be English."""
from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from app.extensions import db
from app.services.files import metadata
from tests.factories import UpdateFactory
from tests.helpers import post_form, receipt_code, submit_report

# Names that stay in Latin letters because that is how the reader will see them elsewhere:
# apps and mail providers (their icons say so: QQ), Tor Browser and its download address (translations/GLOSSARY.md),
# and units and file types as Korean software writes them; Natural Earth, the map data's source
# on the staff dashboard, is a project's name.
PROPER_NOUNS = {
    "Signal", "Telegram", "WhatsApp", "QQ", "Tor", "Browser", "Project", "Onion", "torproject", "org", "gettor",
    "Snowflake", "GetBridgesBot", "bridges", "Gmail", "Riseup", "VPN", "Natural", "Earth",
    "MB", "KB", "GB", "PDF", "PC", "ZIP",
}
HEARD_ATTRIBUTES = {"aria-label", "title", "alt", "placeholder"}
SILENT = {"script", "style"}
LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z]+")


class VisibleText(HTMLParser):
    """Collects what a reader sees or hears, skipping elements in another language."""

    VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track",
                      "wbr"})

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.stack: list[tuple[str, bool]] = []  # (tag, hidden: another language or not rendered)

    def hidden(self) -> bool:
        return any(hidden for _, hidden in self.stack)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        hidden = (attributes.get("lang") not in (None, "ko")) or tag in SILENT
        if not (hidden or self.hidden()):
            self.parts += [value or "" for name, value in attrs if name in HEARD_ATTRIBUTES]
            if tag == "meta" and attributes.get("name") == "description":
                self.parts.append(attributes.get("content") or "")
            if tag == "input" and attributes.get("type") in ("submit", "button"):
                self.parts.append(attributes.get("value") or "")
        if tag not in self.VOID:
            self.stack.append((tag, hidden))

    def handle_endtag(self, tag):
        while self.stack:
            if self.stack.pop()[0] == tag:
                break

    def handle_data(self, data):
        if not self.hidden():
            self.parts.append(data)


def english_words(html: str) -> set[str]:
    parser = VisibleText()
    parser.feed(html)
    allowed = PROPER_NOUNS | {extension.lstrip(".") for extension in metadata.not_cleaned_extensions()}
    return {word for word in LATIN_WORD.findall(" ".join(parser.parts)) if word not in allowed}


def korean_pages(client) -> dict[str, tuple[int, str]]:
    """Every public page a Korean reader can reach, with the states only forms lead to."""
    pages = {}
    for path in ("/ko/", "/ko/report", "/ko/contact", "/ko/receipt", "/ko/safety", "/ko/updates",
                 "/ko/subscribe", "/ko/updates/camps", "/ko/no-such-page"):
        response = client.get(path)
        pages[path] = (response.status_code, response.get_data(as_text=True))
    errors = post_form(client, "/ko/report", {"narrative": ""})
    pages["/ko/report (errors)"] = (errors.status_code, errors.get_data(as_text=True))
    done = submit_report(client)
    pages["/ko/report (sent)"] = (done.status_code, done.get_data(as_text=True))
    post_form(client, "/ko/receipt", {"code": receipt_code(done.get_data(as_text=True))})
    status = client.get("/ko/receipt/status")
    pages["/ko/receipt/status"] = (status.status_code, status.get_data(as_text=True))
    return pages


def test_korean_pages_show_no_english(client, app_ctx):
    update = UpdateFactory(slug="camps")
    update.title_ko, update.body_ko = "구금 시설 보고서", "**구금 시설** 보고서를 냈습니다."  # no Latin test data
    db.session.commit()
    pages = korean_pages(client)
    assert {path: status for path, (status, _) in pages.items()} == {
        **{path: 200 for path in pages}, "/ko/no-such-page": 404, "/ko/report (errors)": 422}
    found = {path: sorted(english_words(html)) for path, (_, html) in pages.items()}
    assert {path: words for path, words in found.items() if words} == {}


@pytest.mark.parametrize("html, words", [
    ('<p>제보 <button>Send</button></p>', {"Send"}),
    ('<input type="submit" value="Check">', {"Check"}),
    ('<a aria-label="Close menu">x</a>', {"Close", "menu"}),
    ('<meta name="description" content="Report a violation">', {"Report", "violation"}),
    ('<a lang="en" hreflang="en" href="/en/">English</a> <span>Tor Browser</span>', set()),
])
def test_the_check_sees_what_a_reader_sees(html, words):
    assert english_words(html) == words
