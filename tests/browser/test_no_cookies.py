"""In a real browser with JavaScript off (Tor Browser's safest level): reading the public pages
and sending a report leave no cookie in the browser (issue 10, item 7), and a report cut off
by a database fault comes back in the page with what was typed (item 5)."""
from __future__ import annotations

import pytest

from tests.helpers import image_bytes
from tests.public.test_faults import KO_AGAIN, KO_FILES, connection_cut

PAGES = [f"/{lang}/{page}" for lang in ("ko", "en") for page in ("", "report", "contact", "receipt", "subscribe")]


def test_reading_and_reporting_leave_no_cookie(page_js_off):
    page = page_js_off
    for path in PAGES:
        assert page.goto(path).status == 200
        assert page.context.cookies() == [], path
    page.goto("/ko/")
    page.locator("main").get_by_role("link", name="제보하기").click()
    page.wait_for_url("**/ko/report")
    page.get_by_role("textbox", name="어떤 일이 있었나요?").fill("쿠키 없는 브라우저에서 보낸 제보입니다.")
    with page.expect_response(lambda r: r.request.method == "POST") as sent:
        page.get_by_role("button", name="제보 보내기").click()
    assert sent.value.status == 200 and page.locator("#receipt-code").is_visible()
    assert sent.value.request.header_value("cookie") is None  # nothing was sent, so nothing came first
    assert page.context.cookies() == []


@pytest.mark.parametrize("width", [360, 1280])
def test_a_database_fault_gives_the_report_back_in_the_page(browser, live_server, app_ctx, width):
    context = browser.new_context(base_url=live_server, locale="ko-KR", java_script_enabled=False,
                                  viewport={"width": width, "height": 900})
    try:
        page = context.new_page()
        page.goto("/ko/report")
        page.locator("#section-where > summary").click()  # optional sections are folded
        page.get_by_label("장소 (마을, 시설, 주변 건물 등)").fill("청진 집결소")
        page.get_by_role("textbox", name="어떤 일이 있었나요?").fill("연결이 끊겨도 사라지면 안 되는 긴 증언입니다.")
        page.get_by_label("첨부 파일 (선택)").set_input_files(
            [{"name": "사진.png", "mimeType": "image/png", "buffer": image_bytes("PNG")}])
        with connection_cut("INSERT INTO submission"), \
                page.expect_response(lambda r: r.request.method == "POST") as sent:
            page.get_by_role("button", name="제보 보내기").click()
        assert sent.value.status == 503
        notice = page.locator(".notice", has_text=KO_AGAIN)
        assert notice.is_visible() and KO_FILES in notice.inner_text()
        assert page.get_by_role("textbox", name="어떤 일이 있었나요?").input_value() == \
            "연결이 끊겨도 사라지면 안 되는 긴 증언입니다."
        assert page.get_by_label("장소 (마을, 시설, 주변 건물 등)").input_value() == "청진 집결소"
        assert context.cookies() == []
        assert page.evaluate("document.documentElement.scrollWidth") <= width  # the notice fits a phone
        # Sent again once the database is back: received.
        with page.expect_response(lambda r: r.request.method == "POST") as again:
            page.get_by_role("button", name="제보 보내기").click()
        assert again.value.status == 200 and page.locator("#receipt-code").is_visible()
    finally:
        context.close()
