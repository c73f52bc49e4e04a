"""Login throttling that a stranger cannot turn into a lock-out of the real officer, and that
answers an unknown e-mail address exactly as a known one.

Attacks: a stranger types wrong passwords for an officer's address (from another address, or
from the officer's own address, e.g. everyone behind one onion service), someone who knows the
password guesses TOTP codes from address after address, a colleague's remembered browser is
used against another account, and the login page is compared for known and unknown accounts.
"""
from __future__ import annotations

import re
import time

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import LoginThrottle
from tests.factories import PASSWORD, UserFactory
from tests.helpers import audit_actions, post_form, totp_code

LOCKED = "로그인 시도가 너무 많았습니다"
WRONG = "이메일 주소 또는 비밀번호가 올바르지 않습니다"
WRONG_CODE = "인증 번호가 올바르지 않습니다"


def browser(app, address="127.0.0.1"):
    """A new browser (no cookies) whose requests come from `address`."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def try_password(client, email, password="wrong guess, again"):
    return post_form(client, "/staff/login", {"email": email, "password": password})


@pytest.fixture(autouse=True)
def _no_waiting(monkeypatch):
    """The growing delay after each failure is real in production; the tests count it instead."""
    waited: list[float] = []
    monkeypatch.setattr(time, "sleep", waited.append)
    return waited


@pytest.fixture
def officer(auth, client):
    """An enrolled officer who has logged in once from `client` (which remembers that) and out."""
    user = auth.login()
    auth.logout()
    return user


def test_a_stranger_elsewhere_cannot_lock_the_officer_out(app, auth, officer):
    stranger = browser(app, "203.0.113.9")
    answers = [try_password(stranger, officer.email) for _ in range(7)]
    assert all(answer.status_code == 422 for answer in answers)
    assert LOCKED in answers[-1].get_data(as_text=True)
    assert try_password(stranger, officer.email, PASSWORD).status_code == 422  # locked: not even the right one
    # The officer, in a browser that never logged in before, from their own address:
    auth.login(client=browser(app, "198.51.100.7"), email=officer.email, totp_secret=officer.totp_secret)
    assert "auth.locked" in audit_actions(app)


def test_the_officers_own_browser_gets_in_from_the_strangers_address(app, auth, client, officer):
    stranger = browser(app)  # the same address as the officer: one onion service, one office NAT
    for _ in range(7):
        try_password(stranger, officer.email)
    assert LOCKED in try_password(stranger, officer.email).get_data(as_text=True)
    auth.login(client=client, email=officer.email, totp_secret=officer.totp_secret)


def test_the_officers_browser_is_not_stopped_by_the_address_rate_limit(app, auth, client, officer):
    stranger = browser(app)
    statuses = [try_password(stranger, "someone@example.org").status_code for _ in range(25)]
    assert statuses[-1] == 429  # the address is used up…
    assert try_password(browser(app), officer.email, PASSWORD).status_code == 429
    auth.login(client=client, email=officer.email, totp_secret=officer.totp_secret)  # …not for the officer


def test_known_and_unknown_addresses_get_the_same_answers_and_delays(app, _no_waiting):
    UserFactory(email="officer@example.org")

    def answers(email, address):
        _no_waiting.clear()
        stranger = browser(app, address)
        pages = [try_password(stranger, email) for _ in range(7)]
        texts = [re.sub(r'value="[^"]*"', "", page.get_data(as_text=True)) for page in pages]
        return [page.status_code for page in pages], texts, list(_no_waiting)

    known, unknown = answers("officer@example.org", "192.0.2.1"), answers("nobody@example.org", "192.0.2.2")
    assert known == unknown
    _statuses, texts, delays = known
    assert WRONG in texts[0] and LOCKED in texts[-1] and delays


def test_someone_with_the_password_cannot_guess_totp_from_address_after_address(app, auth, client, officer):
    for n in range(6):
        thief = browser(app, f"203.0.113.{n + 1}")
        assert try_password(thief, officer.email, PASSWORD).status_code == 302
        page = post_form(thief, "/staff/2fa", {"code": "000000"}).get_data(as_text=True)
        assert (WRONG_CODE if n < 4 else LOCKED) in page
    right_code = totp_code(officer.totp_secret, offset_steps=1)
    thief = browser(app, "203.0.113.99")
    try_password(thief, officer.email, PASSWORD)
    assert LOCKED in post_form(thief, "/staff/2fa", {"code": right_code}).get_data(as_text=True)
    # The officer's own browser still gets in (with the same code the thief was refused).
    auth.login(client=client, email=officer.email, totp_secret=officer.totp_secret)


def test_a_colleagues_remembered_browser_earns_no_trust_for_another_account(app, auth, client, officer):
    UserFactory(email="target@example.org")
    answers = [try_password(client, "target@example.org").get_data(as_text=True) for _ in range(7)]
    assert all(WRONG in text for text in answers[:4])
    assert all(LOCKED in text for text in answers[4:])


def test_a_remembered_browser_that_keeps_failing_loses_its_trust(app, client, officer):
    answers = [try_password(client, officer.email).get_data(as_text=True) for _ in range(9)]
    assert all(WRONG in text for text in answers[:4])
    assert all(LOCKED in text for text in answers[4:])  # no extra guesses for a stolen device cookie


def test_the_throttle_keeps_no_address_and_no_email(app, officer):
    try_password(browser(app, "203.0.113.77"), officer.email)
    with app.app_context():
        rows = db.session.execute(sa.select(LoginThrottle)).scalars().all()
        stored = " ".join(f"{row.key} {row.failures}" for row in rows)
    assert rows and "203.0.113.77" not in stored and "officer" not in stored and "example" not in stored
