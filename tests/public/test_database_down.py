"""Public pages while the database cannot be reached (issue 20, item 7.5): the updates pages
ask the database on every request (their kept copies are checked against its version), and a
refused connection answered 500. Every page that needs the database and cannot reach it now gets
the localized 503 — in the page's language, with Retry-After, without the error's text."""
from __future__ import annotations

import os

import pytest

from tests.public.test_home import another_app

SAYS = {"ko": ("일시적으로 이용할 수 없습니다", "저희 쪽의 일시적인 문제로"),
        "en": ("Temporarily unavailable", "Because of a temporary problem on our side")}


@pytest.fixture
def database_down(app, tmp_path):
    """The session's app beside a database that refuses: PostgreSQL on a closed port, or an
    SQLite file in a folder that does not exist."""
    unreachable = ("postgresql+psycopg://moksori@127.0.0.1:1/moksori" if os.environ.get("TEST_DATABASE_URL")
                   else f"sqlite:///{tmp_path}/no-such-folder/moksori.sqlite3")
    with another_app(app, SQLALCHEMY_DATABASE_URI=unreachable) as down:
        yield down.test_client()


@pytest.mark.parametrize("lang", ["ko", "en"])
@pytest.mark.parametrize("path", ["/{lang}/updates", "/{lang}/updates?topic=reports&page=2",
                                  "/{lang}/updates/some-update", "/{lang}/updates.atom"])
def test_updates_say_so_in_the_pages_language(database_down, lang, path):
    response = database_down.get(path.format(lang=lang))
    html = response.get_data(as_text=True)
    assert response.status_code == 503 and response.headers["Retry-After"].isdigit()
    assert f'<html lang="{lang}">' in html and all(text in html for text in SAYS[lang])
    assert "Error" not in html and "127.0.0.1" not in html and "no-such-folder" not in html
    assert response.headers.getlist("Set-Cookie") == []
