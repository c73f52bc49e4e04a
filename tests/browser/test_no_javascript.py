"""With JavaScript off every public page works, carries no script, and asks nothing of any
host but our own (KOREAN.md: it must work in Tor Browser at the safest level)."""
from __future__ import annotations

from urllib.parse import urljoin, urlsplit

import pytest

PAGES = ["/ko/", "/en/", "/ko/report", "/en/report", "/ko/receipt", "/en/receipt", "/ko/safety", "/en/safety"]

# Every attribute through which a page could make the browser fetch or send something.
FETCHING_ATTRIBUTES = """
els => els.flatMap(el => ['src', 'href', 'action', 'formaction', 'srcset', 'poster', 'data']
  .filter(name => el.hasAttribute(name) && !(el.tagName === 'A' && name === 'href'))
  .map(name => `${el.tagName.toLowerCase()}[${name}]=${el.getAttribute(name)}`))
"""
INLINE_HANDLERS = """
els => els.flatMap(el => [...el.attributes].filter(a => a.name.startsWith('on') ||
  /^\\s*javascript:/i.test(a.value)).map(a => `${el.tagName.toLowerCase()}[${a.name}]`))
"""


@pytest.mark.parametrize("path", PAGES)
def test_public_page_works_without_javascript(page_js_off, path):
    page = page_js_off
    response = page.goto(path)
    assert response.status == 200
    assert page.locator("h1").count() == 1 and page.locator("h1").is_visible()
    # The stylesheet came from us and was applied (a styled page, not a bare one).
    assert page.locator("link[rel=stylesheet]").count() == 1
    assert page.locator(".site-header").evaluate("el => getComputedStyle(el).borderBottomStyle") == "solid"

    assert page.locator("script, noscript").count() == 0
    assert "<script" not in response.text().lower()
    assert page.locator("*").evaluate_all(INLINE_HANDLERS) == []

    for attribute in page.locator("*").evaluate_all(FETCHING_ATTRIBUTES):
        value = attribute.split("=", 1)[1]
        for url in value.split(","):
            target = urljoin(page.url, url.strip().split(" ")[0])
            assert urlsplit(target).hostname == "127.0.0.1", attribute
    # Nothing is wider than a 360 px phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert page.third_party_requests == []
    assert not [e for e in page.console_errors if "Content Security Policy" in e], page.console_errors
