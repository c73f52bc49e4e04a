"""An officer works an item in Korean in a real Chromium: login with TOTP enrollment, the
queue, the item page (note, message, status), and the submitter reads the reply."""
from __future__ import annotations

import re

import pyotp

from app.services.triage import queue as queue_service
from tests.browser.conftest import axe_problems
from tests.factories import PASSWORD, SubmissionFactory, UserFactory


def no_axe_violations(page, where):
    problems = axe_problems(page)
    assert not problems, f"axe on {where}: " + "; ".join(problems)


def test_officer_works_an_item_in_korean(page_js_on, live_server, monkeypatch):
    code = SubmissionFactory(narrative="회령 보위부 구류장에서 고문을 당했습니다.").receipt_code
    UserFactory(email="officer@example.org", locale="ko", name="김담당")
    page = page_js_on

    page.goto("/staff/login")
    assert page.locator("html").get_attribute("lang") == "ko"
    page.get_by_label("이메일 주소").fill("officer@example.org")
    page.get_by_label("비밀번호").fill(PASSWORD)
    page.get_by_role("button", name="로그인").click()
    secret = page.locator("#totp-secret").inner_text()
    assert page.locator("figure.qr svg").count() == 1
    no_axe_violations(page, "2FA enrollment")
    page.get_by_label("인증 번호").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="확인").click()

    page.wait_for_url(re.compile(r"/staff/$"))
    assert page.get_by_role("heading", name="처리 목록").is_visible()
    no_axe_violations(page, "queue")
    monkeypatch.setattr(queue_service, "COUNT_LIMIT", 0)  # a search that matches "too many" to count
    page.get_by_label("검색").fill("고문")
    page.get_by_role("button", name="적용").click()
    assert page.locator(".queue-counts .count").all_inner_texts() == ["0+"]
    no_axe_violations(page, "queue, counts stopped at the limit")
    page.get_by_role("link", name="모두 세기(시간이 더 걸립니다)").click()
    assert page.locator(".queue-counts a[aria-current] .count").inner_text() == "1"
    page.locator("table.queue a").first.click()
    assert page.get_by_text("회령 보위부 구류장에서 고문을 당했습니다.").is_visible()
    no_axe_violations(page, "item page")

    page.get_by_role("textbox", name="내부 메모").fill("교차 확인 필요")
    page.get_by_role("button", name="메모 추가").click()
    assert page.get_by_text("저장되었습니다.").is_visible()
    page.get_by_label("제보자에게 보낼 메시지").fill("혹시 언제였는지 기억하시나요?")
    page.get_by_role("button", name="메시지 보내기").click()
    page.get_by_label("새 처리 상태").select_option("in_review")
    page.get_by_role("button", name="처리 상태 변경").click()
    assert page.locator("dl.summary dd").first.inner_text().startswith("검토 중")
    assert page.third_party_requests == []

    submitter = page.context.browser.new_context(base_url=live_server, locale="ko-KR", java_script_enabled=False)
    reader = submitter.new_page()
    reader.goto("/ko/receipt")
    reader.get_by_label("접수 번호").fill(code)
    reader.get_by_role("button", name="확인").click()
    assert reader.get_by_text("혹시 언제였는지 기억하시나요?").is_visible()
    assert reader.get_by_text("담당자가 검토하고 있습니다.").is_visible()
    submitter.close()
