"""What issue 19 added for readers in China, in a real browser with JavaScript off, at a phone's
width and a laptop's, in both languages: the guide's section on what gives a reader away, and
the contact channels with a note beside each, safest first — readable without overflow."""
from __future__ import annotations

import pytest

from tests.browser.conftest import _open_page

WIDTHS = [{"width": 360, "height": 800}, {"width": 1280, "height": 900}]
CHINA = {"ko": "중국에 계시다면: 드러날 수 있는 것", "en": "In China: what can give you away"}
WECHAT = {"ko": "위챗은 중국 정부가 읽습니다", "en": "The Chinese state reads WeChat"}


@pytest.fixture
def page_at(browser, live_server):
    contexts = []

    def open_page(viewport):
        context, page = _open_page(browser, live_server, java_script_enabled=False, viewport=viewport)
        contexts.append(context)
        return page
    yield open_page
    for context in contexts:
        context.close()


def fits(page, viewport) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]


@pytest.mark.parametrize("lang", ["ko", "en"])
@pytest.mark.parametrize("viewport", WIDTHS, ids=["360", "1280"])
def test_the_guide_says_what_gives_a_reader_in_china_away(page_at, lang, viewport):
    page = page_at(viewport)
    page.goto(f"/{lang}/safety")
    page.get_by_role("link", name=CHINA[lang]).click()  # from the guide's own table of contents
    section = page.locator("#china")
    assert section.get_by_role("heading", name=CHINA[lang]).is_visible()
    assert section.locator("li").count() == 3
    assert "GetBridgesBot" in page.locator("#tor").inner_text()
    assert fits(page, viewport)


@pytest.mark.parametrize("lang", ["ko", "en"])
@pytest.mark.parametrize("viewport", WIDTHS, ids=["360", "1280"])
def test_each_channel_says_what_to_know_safest_first(page_at, lang, viewport):
    page = page_at(viewport)
    page.goto(f"/{lang}/contact")
    radios = page.locator('input[name="channel"]')
    assert radios.first.get_attribute("value") == "signal"
    wechat = page.locator('input[name="channel"][value="wechat"]')
    note = page.locator("#" + wechat.get_attribute("aria-describedby"))
    assert note.is_visible() and WECHAT[lang] in note.inner_text()
    wechat.check()  # a label and a note per choice: the radio is reachable as a person would
    assert wechat.is_checked()
    assert fits(page, viewport)
