"""axe-core on every public page, in Korean and English, including the states a submitter
only reaches through the forms (errors shown, receipt status) and a 404.

axe is injected with page.evaluate (DevTools protocol), which the site's CSP does not
block, so the contexts need no bypass_csp."""
from __future__ import annotations

import pytest

from tests.browser.conftest import axe_problems

LANGS = ["ko", "en"]
OTHER = {"ko": "en", "en": "ko"}
TEXT = {
    "ko": {"send_report": "제보 보내기", "narrative": "어떤 일이 있었나요?", "code": "접수 번호", "check": "확인",
           "show_sent": "보낸 내용 보기"},
    "en": {"send_report": "Send report", "narrative": "What happened?", "code": "Receipt code", "check": "Check",
           "show_sent": "Show what I sent"},
}

def check_page(page, lang: str, path: str, switch_to: str | None = None) -> None:
    """No axe violation; <html lang> is the page's language; the language switch leads to
    `switch_to` (by default the same path in the other language)."""
    problems = axe_problems(page)
    assert not problems, f"axe on {path}:\n" + "\n".join(problems)

    assert page.locator("html").get_attribute("lang") == lang
    other = OTHER[lang]
    expected = switch_to or f"/{other}{path[len(lang) + 1:]}"
    switch = page.locator(f'nav.lang-switch a[hreflang="{other}"]')
    assert switch.count() == 1
    assert switch.get_attribute("href") == expected
    assert page.locator(f'nav.lang-switch [aria-current="true"][lang="{lang}"]').count() == 1
    assert page.third_party_requests == []
    assert not [e for e in page.console_errors if "Content Security Policy" in e], page.console_errors


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("page_name", ["", "report", "receipt", "safety", "contact"])
def test_public_page(page_js_on, lang, page_name):
    path = f"/{lang}/{page_name}"
    response = page_js_on.goto(path)
    assert response.status == 200
    check_page(page_js_on, lang, path)


@pytest.mark.parametrize("lang", LANGS)
def test_report_form_with_errors(page_js_on, lang):
    page = page_js_on
    page.goto(f"/{lang}/report")
    with page.expect_response(lambda r: r.request.method == "POST") as sent:
        page.get_by_role("button", name=TEXT[lang]["send_report"]).click()
    assert sent.value.status == 422
    assert page.locator(".error-summary").is_visible()
    check_page(page, lang, f"/{lang}/report")


@pytest.mark.parametrize("lang", LANGS)
def test_report_form_with_answers_and_an_error_in_a_folded_section(page_js_on, lang):
    """Folded sections: one opened by its error, one folded with its count of answers."""
    page = page_js_on
    page.goto(f"/{lang}/report")
    page.locator("#section-when > summary").click()
    page.check('input[name="when_precision"][value="year"]')
    page.fill("#when_year", "3000")
    page.locator("#section-where > summary").click()
    page.fill("#place", "Hoeryong")
    page.locator("#section-where > summary").click()
    with page.expect_response(lambda r: r.request.method == "POST") as sent:
        page.get_by_role("button", name=TEXT[lang]["send_report"]).click()
    assert sent.value.status == 422
    assert page.locator("#when_year-error").is_visible()
    assert page.locator("#section-where .fold-filled").is_visible()
    check_page(page, lang, f"/{lang}/report")


@pytest.mark.parametrize("lang", LANGS)
def test_receipt_status_page(page_js_on, lang):
    page = page_js_on
    text = TEXT[lang]
    page.goto(f"/{lang}/report")
    page.get_by_role("textbox", name=text["narrative"]).fill(
        "보위부 구류장에서 고문을 당했습니다." if lang == "ko" else "I was beaten in a holding centre."
    )
    page.get_by_role("button", name=text["send_report"]).click()
    code = page.locator("#receipt-code").inner_text().strip()

    page.goto(f"/{lang}/receipt")
    page.get_by_label(text["code"]).fill(code)
    page.get_by_role("button", name=text["check"], exact=True).click()
    page.wait_for_url(f"**/{lang}/receipt/status")
    check_page(page, lang, f"/{lang}/receipt/status")
    page.get_by_role("link", name=text["show_sent"]).click()
    page.wait_for_url(f"**/{lang}/receipt/status?show=sent#sent")
    assert text["narrative"] in page.locator("#sent").inner_text()
    check_page(page, lang, f"/{lang}/receipt/status?show=sent")


@pytest.mark.parametrize("lang", LANGS)
def test_not_found_page(page_js_on, lang):
    response = page_js_on.goto(f"/{lang}/no-such-page")
    assert response.status == 404
    # No route matched, so the switch cannot rebuild the path: it leads to the other home.
    check_page(page_js_on, lang, f"/{lang}/no-such-page", switch_to=f"/{OTHER[lang]}/")
