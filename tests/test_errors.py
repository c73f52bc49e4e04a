"""Error pages are localized and never a stack trace: 404, 405, and 413 for a request too
large to read."""
from __future__ import annotations

import pytest

from tests.helpers import submit_report


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
