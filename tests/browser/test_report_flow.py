"""A submitter's whole path on a small phone with JavaScript off (Tor Browser, safest level):
home → report form → receipt code → status page → follow-up, all in Korean."""
from __future__ import annotations

import re

import pytest

from tests.helpers import image_bytes

RECEIPT_CODE = re.compile(r"^\d{4} \d{4} \d{4} \d{4}$")


def test_korean_report_and_follow_up_without_javascript(page_js_off):
    page = page_js_off
    page.goto("/ko/")
    page.locator("main").get_by_role("link", name="제보하기").click()
    page.wait_for_url("**/ko/report")
    assert page.get_by_role("heading", level=1).inner_text() == "제보하기"

    # The violation list is folded after the account and files, and a sub-type sits in a closed
    # <details> inside it: opening both needs no JavaScript.
    torture = page.get_by_label("고문", exact=True)
    assert not torture.is_visible()
    top_level = page.get_by_label("고문, 구타, 괴롭힘 (고문 및 가혹행위)", exact=True)
    assert not top_level.is_visible()
    page.locator("#section-categories > summary").click()
    page.locator(".category", has=top_level).locator("summary").click()
    torture.check()
    assert torture.is_checked()

    # The optional sections are folded <details>: opening one needs no JavaScript either.
    year = page.get_by_label("연도", exact=True)
    assert not year.is_visible()
    page.locator("#section-when > summary").click()
    page.get_by_label("몇 년도였는지 압니다").check()
    year.fill("２０１５")  # full-width digits, as a Korean input method in full-width mode types them
    page.locator("#section-where > summary").click()
    page.get_by_label("지역 또는 나라").select_option(label="함경북도")
    page.get_by_label("장소 (마을, 시설, 주변 건물 등)").fill("회령시")
    page.get_by_role("textbox", name="어떤 일이 있었나요?").fill(
        "2015년 겨울 회령 보위부 구류장에서 조사를 받으며 고문을 당했습니다.\n같은 방에 다섯 명이 있었습니다."
    )
    page.get_by_label("첨부 파일 (선택)").set_input_files(
        [{"name": "증거 사진.jpg", "mimeType": "image/jpeg", "buffer": image_bytes("JPEG")}]
    )

    with page.expect_response(lambda r: r.request.method == "POST") as sent:
        page.get_by_role("button", name="제보 보내기").click()
    assert sent.value.status == 200
    code = page.locator("#receipt-code").inner_text().strip()
    assert RECEIPT_CODE.match(code), code
    # The code must be easy to copy down: on a 360 px phone it stays on one line.
    lines = page.locator("#receipt-code").evaluate(
        "el => { const range = document.createRange(); range.selectNodeContents(el);"
        " return range.getClientRects().length; }"
    )
    assert lines == 1
    assert page.get_by_text("파일 1개를 받았습니다.").is_visible()
    assert page.get_by_text("연도는 2015년으로 저장했습니다.").is_visible()

    page.goto("/ko/receipt")
    page.get_by_label("접수 번호").fill(code)
    page.get_by_role("button", name="확인", exact=True).click()
    page.wait_for_url("**/ko/receipt/status")
    assert "접수되었습니다" in page.locator(".status").inner_text()

    page.get_by_label("추가로 알려 주실 내용").fill("구류장 위치는 회령역에서 걸어서 십 분 거리입니다.")
    page.get_by_role("button", name="보내기", exact=True).click()
    page.wait_for_url("**/ko/receipt/status")
    assert "추가로 보내 주신 내용이 접수되었습니다" in page.locator(".notice.success").inner_text()
    assert "회령역에서 걸어서" in page.locator(".thread").inner_text()

    assert page.third_party_requests == []


def test_empty_report_shows_error_summary_and_keeps_text(page_js_off):
    page = page_js_off
    page.goto("/ko/report")
    page.locator("#section-where > summary").click()
    page.get_by_label("장소 (마을, 시설, 주변 건물 등)").fill("함흥시 근처 집결소")
    with page.expect_response(lambda r: r.request.method == "POST") as sent:
        page.get_by_role("button", name="제보 보내기").click()
    assert sent.value.status == 422

    summary = page.locator(".error-summary")
    assert summary.is_visible()
    link = summary.locator('a[href="#narrative"]')
    assert link.count() == 1
    assert "어떤 일이 있었나요?" in link.inner_text()
    link.click()  # an in-page link: works without JavaScript
    assert page.url.endswith("#narrative")
    assert page.get_by_role("textbox", name="어떤 일이 있었나요?").get_attribute("aria-invalid") == "true"
    assert page.get_by_label("장소 (마을, 시설, 주변 건물 등)").input_value() == "함흥시 근처 집결소"
    # The section with the answer stays folded and says so; no error is inside it.
    where = page.locator("#section-where")
    assert where.get_attribute("open") is None
    assert where.locator("summary").inner_text().endswith("질문 1개에 답하셨습니다")
    assert page.locator("html").get_attribute("lang") == "ko"
    assert page.third_party_requests == []


def test_error_in_a_folded_section_is_shown_open_without_javascript(page_js_off):
    page = page_js_off
    page.goto("/ko/report")
    page.locator("#section-when > summary").click()
    page.get_by_label("몇 년도였는지 압니다").check()
    page.get_by_label("연도", exact=True).fill("삼천")
    page.get_by_role("textbox", name="어떤 일이 있었나요?").fill("구류장에서 있었던 일입니다.")
    with page.expect_response(lambda r: r.request.method == "POST") as sent:
        page.get_by_role("button", name="제보 보내기").click()
    assert sent.value.status == 422
    error = page.locator("#when_year-error")
    assert error.is_visible() and "1945년부터" in error.inner_text()
    assert page.locator("#section-when").get_attribute("open") is not None
    assert not page.get_by_label("지역 또는 나라").is_visible()  # sections without errors stay folded
    page.locator('.error-summary a[href="#when_year"]').click()
    assert page.url.endswith("#when_year")
    assert page.get_by_label("연도", exact=True).is_visible()


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_the_account_box_and_files_come_first_on_a_phone(page_js_off, lang):
    """Issue 19: at 360 px the account box started 2,468 px down, after 28 controls and the list
    of violations. It is now on the first screens, with the files right after it; every other
    question follows, folded."""
    page = page_js_off
    page.goto(f"/{lang}/report")
    account = page.locator("#narrative").bounding_box()
    files = page.locator("#attachments").bounding_box()
    first_fold = page.locator("details.fold").first.bounding_box()
    assert account["y"] < 1000, account
    assert account["y"] < files["y"] < first_fold["y"]
    assert page.locator("details.fold").first.get_attribute("id") == "section-categories"
    assert page.locator("details.fold[open]").count() == 0
    assert not page.locator("#cat-V02").is_visible()  # the violation list waits in its fold
