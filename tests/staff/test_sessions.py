"""Staff sessions that really end: the server keeps each session's keys (key_session), so a
copy of the cookie taken before logout — or before a password change, a deactivation, a 2FA
reset or an admin ending the sessions — opens nothing afterwards."""
from __future__ import annotations

import sqlalchemy as sa

from app.extensions import db
from app.models import KeySession
from tests.factories import HANDLE, PASSWORD, SubmissionFactory
from tests.helpers import act, post_form


def copy_cookie(source, app):
    """Another browser holding exactly the cookie `source` holds now."""
    thief = app.test_client()
    thief.set_cookie("session", source.get_cookie("session").value)
    return thief


def opens_the_queue(browser) -> bool:
    return browser.get("/staff/").status_code == 200 and browser.get("/staff/export/queue.csv").status_code == 200


def test_a_cookie_copied_before_logout_opens_nothing_after_it(client, app, auth):
    SubmissionFactory()
    auth.login()
    thief = copy_cookie(client, app)
    assert opens_the_queue(thief)
    auth.logout()
    assert thief.get("/staff/").status_code == 302
    assert thief.get("/staff/export/queue.csv").status_code == 302
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(KeySession)) == 0


def test_a_password_change_ends_the_other_sessions_and_keeps_this_one(client, app, auth):
    user = auth.login()
    laptop = app.test_client()
    auth.login(client=laptop, email=user.email, totp_secret=user.totp_secret)
    thief = copy_cookie(laptop, app)
    changed = post_form(client, "/staff/account", {"pw-current": PASSWORD, "pw-new": "a brand new passphrase",
                                                   "pw-confirm": "a brand new passphrase", "pw-submit": "y"})
    assert changed.status_code == 302
    assert client.get("/staff/").status_code == 200
    assert laptop.get("/staff/").status_code == 302 and thief.get("/staff/").status_code == 302


def test_an_admin_ends_an_officers_sessions(client, app, auth):
    auth.login(role="admin")
    officer = app.test_client()
    officer_id = auth.login(client=officer).id
    thief = copy_cookie(officer, app)
    assert "1곳" in client.get("/admin/users").get_data(as_text=True)  # one session open
    post_form(client, f"/admin/users/{officer_id}/end-sessions", {}, page_url="/admin/users")
    assert officer.get("/staff/").status_code == 302 and thief.get("/staff/").status_code == 302


def test_deactivation_and_a_2fa_reset_end_the_sessions(client, app, auth):
    auth.login(role="admin")
    first, second = app.test_client(), app.test_client()
    first_id = auth.login(client=first, email="first@example.org").id
    second_id = auth.login(client=second, email="second@example.org").id
    stolen_first, stolen_second = copy_cookie(first, app), copy_cookie(second, app)
    post_form(client, f"/admin/users/{first_id}/active", {}, page_url="/admin/users")
    post_form(client, f"/admin/users/{second_id}/reset-2fa", {}, page_url="/admin/users")
    for browser in (first, second, stolen_first, stolen_second):
        assert browser.get("/staff/").status_code == 302


def test_taking_the_contact_right_away_ends_the_sessions_that_hold_the_identity_key(client, app, auth):
    """A session keeps the keys its password unlocked: while it lives, the identity key in it
    would go on opening contact details after the right was taken away."""
    item = SubmissionFactory(with_contact_details=True)
    auth.login(role="admin")
    officer = app.test_client()
    officer_id = auth.login(client=officer, email="contact@example.org", contact_access=True).id
    thief = copy_cookie(officer, app)
    assert HANDLE in act(thief, item.public_id, "reveal", {}).get_data(as_text=True)
    post_form(client, f"/admin/users/{officer_id}/contact", {}, page_url="/admin/users")
    for browser in (officer, thief):
        assert browser.get(f"/staff/submissions/{item.public_id}").status_code == 302
