"""An account-wide cap on wrong passwords from browsers the account never used (issue 20, item
7.2). Failures were counted per (account, address) only: 65 wrong passwords from 53 addresses
against two accounts met no slowdown. Now every browser without the account's device cookie
counts against the account together, and after ACCOUNT_LOCK_AFTER within 15 minutes such
browsers must wait — the right password included, so the cap cannot be probed. The officer's
own (remembered) browser is judged by its own count alone, so the stranger still cannot lock
the officer out; an e-mail address without an account is answered the same way; and the
admin's staff page names the accounts with a burst of failures."""
from __future__ import annotations

import time

import pytest

from app.services.login_throttle import ACCOUNT_LOCK_AFTER
from tests.factories import PASSWORD, UserFactory
from tests.helpers import audit_actions
from tests.staff.test_login_throttle import LOCKED, WRONG, browser, try_password

ACCOUNT_LOCKED = "이 계정으로 로그인한 적이 없는 브라우저들에서 틀린 비밀번호가 너무 많이 입력되었습니다"


@pytest.fixture(autouse=True)
def _no_waiting(monkeypatch):
    waited: list[float] = []
    monkeypatch.setattr(time, "sleep", waited.append)
    return waited


@pytest.fixture
def officer(auth):
    """An enrolled officer who logged in once from the test's client (remembered) and out."""
    user = auth.login()
    auth.logout()
    return user


def spray(app, email: str, tries: int) -> list[str]:
    """Wrong passwords from as many addresses as tries, each in a new browser: the per-address
    lock (five) is never reached."""
    return [try_password(browser(app, f"198.51.{n // 200}.{n % 200 + 1}"), email).get_data(as_text=True)
            for n in range(tries)]


def test_many_addresses_meet_the_accounts_cap_and_the_officers_browser_still_gets_in(app, auth, client, officer):
    answers = spray(app, officer.email, ACCOUNT_LOCK_AFTER + 5)
    assert all(WRONG in text for text in answers[:ACCOUNT_LOCK_AFTER - 1])
    assert all(ACCOUNT_LOCKED in text for text in answers[ACCOUNT_LOCK_AFTER - 1:])
    assert not any(LOCKED in text for text in answers)  # it is not "this connection" that is held back
    # A new browser at a new address, with the right password: held back too (the cap cannot be probed).
    right = try_password(browser(app, "192.0.2.200"), officer.email, PASSWORD)
    assert right.status_code == 422 and ACCOUNT_LOCKED in right.get_data(as_text=True)
    # The officer's own browser, from the stranger's last address: straight in.
    client.environ_base["REMOTE_ADDR"] = "198.51.0.25"
    auth.login(client=client, email=officer.email, totp_secret=officer.totp_secret)
    assert "auth.locked" in audit_actions(app)
    # The officer logging in gives the stranger no fresh guesses.
    assert ACCOUNT_LOCKED in spray(app, officer.email, 1)[0]


def test_an_address_without_an_account_is_answered_the_same(app, officer):
    known = spray(app, officer.email, ACCOUNT_LOCK_AFTER + 1)
    unknown = spray(app, "nobody@example.org", ACCOUNT_LOCK_AFTER + 1)
    for first, second in zip(known, unknown, strict=True):
        assert (WRONG in first, ACCOUNT_LOCKED in first) == (WRONG in second, ACCOUNT_LOCKED in second)


@pytest.mark.parametrize(("locale", "heading", "line"), [
    ("ko", "최근 24시간 동안 로그인에 여러 번 실패한 계정", "틀린 비밀번호·인증 번호 12번"),
    ("en", "Many failed logins in the last 24 hours", "12 refused passwords or codes"),
])
def test_the_admin_sees_the_burst(app, auth, client, officer, locale, heading, line):
    quiet = UserFactory(email="quiet@example.org")
    spray(app, officer.email, 12)
    spray(app, quiet.email, 2)
    admin_browser = app.test_client()
    auth.login(role="admin", email="admin@example.org", locale=locale, client=admin_browser)
    page = admin_browser.get("/admin/users").get_data(as_text=True)
    burst = page.split('id="failure-bursts"', 1)[1].split("</section>", 1)[0]
    assert heading in page and line in burst and officer.email in burst
    assert quiet.email not in burst  # two typos are not a burst


def test_no_burst_no_notice(app, auth, officer):
    admin_browser = app.test_client()
    auth.login(role="admin", email="admin@example.org", client=admin_browser)
    assert 'id="failure-bursts"' not in admin_browser.get("/admin/users").get_data(as_text=True)
