"""A staff member's own account: password change, interface language, the language switch."""
from __future__ import annotations

import sqlalchemy as sa

from app.extensions import db
from app.models import User
from tests.factories import PASSWORD
from tests.helpers import audit_actions, post_form


def test_password_change_checks_and_ends_other_sessions(client, app, auth):
    auth.login()
    def change(new, confirm):
        return post_form(client, "/staff/account",
                         {"pw-current": PASSWORD, "pw-new": new, "pw-confirm": confirm, "pw-submit": "1"})

    assert "12자 이상" in change("short", "short").get_data(as_text=True)
    assert "두 비밀번호가 서로 다릅니다" in change("a new long password", "another long one").get_data(as_text=True)
    ok = change("a new long password", "a new long password")
    assert ok.status_code == 302
    assert client.get("/staff/").status_code == 200  # this session was renewed
    assert "user.password_changed" in audit_actions(app)


def test_staff_ui_follows_the_users_language(client, auth):
    auth.login(locale="en")
    assert '<html lang="en">' in client.get("/staff/").get_data(as_text=True)
    post_form(client, "/staff/account", {"pref-locale": "ko", "pref-submit": "1"})
    assert '<html lang="ko">' in client.get("/staff/").get_data(as_text=True)


def test_language_switch_on_staff_pages_is_a_post_and_saves_the_preference(client, app, auth):
    login_page = client.get("/staff/login", headers={"Accept-Language": "ko"}).get_data(as_text=True)
    assert 'action="/staff/language"' in login_page
    post_form(client, "/staff/language", {"lang": "en", "next": "/staff/login?"}, page_url="/staff/login")
    assert '<html lang="en">' in client.get("/staff/login").get_data(as_text=True)
    auth.login(locale="ko")
    response = post_form(client, "/staff/language", {"lang": "en", "next": "//evil.example/"}, page_url="/staff/")
    assert response.headers["Location"].endswith("/staff/login")  # unsafe next is not followed
    with app.app_context():
        assert db.session.scalar(sa.select(User.locale)) == "en"


def test_a_stolen_session_cannot_guess_the_password_on_the_account_page(client, auth):
    """The current password opens the keys from a copy of the database: a session in the wrong
    hands must not get unlimited guesses at it. Counted per account, not per address."""
    auth.login()

    def change(current):
        return post_form(client, "/staff/account", {"pw-current": current, "pw-new": "new pass phrase",
                                                    "pw-confirm": "new pass phrase", "pw-submit": "y"})

    assert all(change("a guess at the password").status_code == 422 for _ in range(5))
    assert change(PASSWORD).status_code == 429
