"""Error pages are localized and never a stack trace: 404, 405, and 413 for a request too
large to read."""
from __future__ import annotations

import math
import re

import pytest

from app.errors import wait_text
from tests.factories import SubmissionFactory
from tests.helpers import post_form, submit_report


def test_request_over_total_limit_gets_localized_413(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 64 * 1024)
    response = submit_report(client, files=[("영상.mp4", b"\x00\x00\x00\x18ftypmp42" + b"0" * 100_000)])
    html = response.get_data(as_text=True)
    assert response.status_code == 413
    assert '<html lang="ko">' in html and "파일이 너무 큽니다" in html
    response = submit_report(client, lang="en", files=[("video.mp4", b"\x00\x00\x00\x18ftypmp42" + b"0" * 100_000)])
    assert response.status_code == 413 and "The files are too large" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "path, expected",
    [("/ko/nothing", "페이지를 찾을 수 없습니다"), ("/fr/report", "페이지를 찾을 수 없습니다"),
     ("/ko/report/extra", "페이지를 찾을 수 없습니다"), ("/en/receipt/status/x", "Page not found")],
)
def test_unknown_pages_are_localized_404s(client, path, expected):
    response = client.get(path, headers={"Accept-Language": "ko"})
    assert response.status_code == 404
    assert expected in response.get_data(as_text=True)


def test_wrong_method_is_localized(client):
    response = client.get("/ko/receipt/leave")
    assert response.status_code == 405
    assert "이 페이지는 이런 방식으로 쓸 수 없습니다" in response.get_data(as_text=True)


def test_rate_limited_page_says_how_long_to_wait(client):
    """The receipt form allows 10 tries in 15 minutes: the 11th is refused with the wait in
    plain Korean (in whole minutes, rounded up) and the same wait in Retry-After."""
    for _ in range(10):
        assert post_form(client, "/ko/receipt", {"code": "0000 0000 0000 0000"}).status_code == 422
    limited = post_form(client, "/ko/receipt", {"code": "0000 0000 0000 0000"})
    html = limited.get_data(as_text=True)
    assert limited.status_code == 429
    seconds = int(limited.headers["Retry-After"])
    assert 14 * 60 < seconds <= 15 * 60
    assert f"{math.ceil(seconds / 60)}분 뒤에 다시 시도해 주세요." in html and '<html lang="ko">' in html
    english = post_form(client, "/en/receipt", {"code": "0000 0000 0000 0000"})
    assert english.status_code == 429 and "Please try again in 15 minutes." in english.get_data(as_text=True)


@pytest.mark.parametrize("seconds, korean", [(1, "1분"), (60, "1분"), (61, "2분"), (7140, "119분"), (7199, "2시간"),
                                             (7201, "3시간"), (86400, "24시간")])
def test_wait_is_said_in_minutes_then_hours(app, seconds, korean):
    with app.test_request_context("/ko/"):
        assert wait_text(seconds) == f"{korean} 뒤에 다시 시도해 주세요."


def test_csrf_page_leads_back_to_the_form(client, auth):
    """A form sent without a valid token gets a page with a link to the same form (a GET of
    the page the form is on), as a relative path of one of our routes."""
    response = client.post("/staff/login", data={"email": "a@example.org", "password": "x"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "다시 시도해 주세요" in html
    assert '<a class="button" href="/staff/login" id="back-to-form">양식으로 돌아가기</a>' in html
    auth.login()
    public_id = SubmissionFactory().public_id
    # An action URL takes only POST: the link leads to the item page the form is on.
    note = client.post(f"/staff/submissions/{public_id}/note", data={"note-body": "메모"})
    assert note.status_code == 400
    assert f'href="/staff/submissions/{public_id}" id="back-to-form"' in note.get_data(as_text=True)


def test_csrf_back_link_is_never_another_site(client):
    """The link is a relative path rebuilt from the route the request matched: whatever host
    the request named, the link stays on this site."""
    response = client.post("http://evil.example/staff/login", data={})
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "evil.example" not in html
    assert re.findall(r'href="([^"]*)" id="back-to-form"', html) == ["/staff/login"]
