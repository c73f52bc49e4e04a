"""Korean first: redirects, <html lang>, language switch, catalog completeness, Korean dates."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest

from app.i18n import format_date, format_datetime


@pytest.mark.parametrize(
    "header, target",
    [
        ("ko-KR,ko;q=0.9,en-US;q=0.8", "/ko/"),
        ("en-US,en;q=0.9", "/en/"),
        ("fr-FR,fr;q=0.9", "/ko/"),
        ("", "/ko/"),
        ("en;q=0.5,ko;q=0.9", "/ko/"),
    ],
)
def test_root_redirects_by_accept_language_defaulting_to_korean(client, header, target):
    response = client.get("/", headers={"Accept-Language": header} if header else {})
    assert response.status_code == 302 and response.headers["Location"] == target


@pytest.mark.parametrize("path", ["/", "/report", "/receipt"])
def test_language_switch_keeps_the_path(client, path):
    html = client.get(f"/ko{path}").get_data(as_text=True)
    assert '<html lang="ko">' in html
    assert f'<a lang="en" hreflang="en" href="/en{path}">English</a>' in html
    english = client.get(f"/en{path}").get_data(as_text=True)
    assert '<html lang="en">' in english
    assert f'<a lang="ko" hreflang="ko" href="/ko{path}">한국어</a>' in english


def test_switch_keeps_query_string(client):
    html = client.get("/ko/report?from=home").get_data(as_text=True)
    assert 'href="/en/report?from=home"' in html


def test_the_query_string_cannot_reach_url_fors_own_options(client):
    """?_external=1 made the switch an absolute link to whatever Host the request named; _scheme
    and _anchor reached url_for too."""
    html = client.get("/ko/report?from=home&_external=1&_scheme=javascript&_anchor=x").get_data(as_text=True)
    assert 'href="/en/report?from=home"' in html and "javascript:" not in html


def test_catalog_is_complete_and_pot_is_current(runner):
    # The command runs catalog_problems() (a full extraction) and exits 0 only when it found
    # nothing: one extraction per run serves both the check and the command.
    result = runner.invoke(args=["translate", "check"])
    assert result.exit_code == 0, result.output


def test_korean_dates_use_explicit_patterns(app):
    moment = datetime(2026, 11, 22, 5, 5, tzinfo=UTC)  # 14:05 in Seoul
    with app.test_request_context("/ko/"):
        app.preprocess_request()
        assert format_datetime(moment) == "2026년 11월 22일 오후 2:05"
        assert format_datetime(moment, "table") == "2026. 11. 22. 14:05"
        assert format_date(moment) == "2026년 11월 22일"
    with app.test_request_context("/en/"):
        assert format_datetime(moment) == "22 November 2026, 2:05 PM"
