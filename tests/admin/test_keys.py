"""Accounts and keys in daily life, through the admin pages: a new account gets the keys from
the admin's session under a one-time password; a re-grant and the contact right work the same
way; the recovery code is replaced after the admin's password; an account without keys sees
why, not an item."""
from __future__ import annotations

import io
import json
import re
import zipfile

import sqlalchemy as sa

from app.extensions import db
from app.models import User
from app.sealed import keys, signing
from tests.factories import HANDLE, PASSWORD, SubmissionFactory, UserFactory
from tests.helpers import act, audit_actions, post_form

SETUP_RE = re.compile(r'id="setup-password">([a-z0-9-]+)<')


def first_login_with(app, auth, email: str, setup_password: str):
    """The new colleague's browser: the one-time password, TOTP enrollment, then only the
    password change until they have chosen their own."""
    browser = app.test_client()
    auth.login(client=browser, email=email, password=setup_password)
    assert browser.get("/staff/").headers["Location"].endswith("/staff/account")
    changed = post_form(browser, "/staff/account", {"pw-current": setup_password, "pw-new": "my own passphrase",
                                                    "pw-confirm": "my own passphrase", "pw-submit": "y"})
    assert changed.status_code == 302
    assert browser.get("/staff/").status_code == 200
    return browser


def test_a_new_account_made_in_the_admin_pages_opens_submissions(client, app, auth):
    item = SubmissionFactory(narrative="새 계정으로 읽는 증언")
    auth.login(role="admin")
    refused = post_form(client, "/admin/users/new", {"email": "", "languages": ["ko"]})
    assert refused.status_code == 422 and "이메일 주소를 입력해 주세요" in refused.get_data(as_text=True)
    made = post_form(client, "/admin/users/new", {"email": "new@example.org", "name": "새 담당자", "role": "officer",
                                                  "languages": ["ko", "en"]})
    setup = SETUP_RE.search(made.get_data(as_text=True)).group(1)
    assert "한 번만 쓰는 비밀번호" in made.get_data(as_text=True)
    browser = first_login_with(app, auth, "new@example.org", setup)
    assert "새 계정으로 읽는 증언" in browser.get(f"/staff/submissions/{item.public_id}").get_data(as_text=True)
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.email == "new@example.org"))
        assert keys.granted_kinds(db.session, user.id) == ["org"] and not user.must_change_password
        assert keys.unlock(db.session, user, "my own passphrase")  # re-wrapped under their own password
    assert "keys.granted" in audit_actions(app)


def test_a_regrant_replaces_a_forgotten_password(client, app, auth):
    item = SubmissionFactory()
    officer = UserFactory(email="forgot@example.org")
    auth.login(role="admin")
    page = post_form(client, f"/admin/users/{officer.id}/regrant", {}, page_url="/admin/users")
    setup = SETUP_RE.search(page.get_data(as_text=True)).group(1)
    old = post_form(app.test_client(), "/staff/login", {"email": "forgot@example.org", "password": PASSWORD})
    assert old.status_code == 422  # the old password is gone with the old grant
    browser = first_login_with(app, auth, "forgot@example.org", setup)
    assert browser.get(f"/staff/submissions/{item.public_id}").status_code == 200
    assert "user.regranted" in audit_actions(app)


def test_the_contact_right_is_given_and_taken(client, app, auth):
    item = SubmissionFactory(with_contact_details=True)
    officer = UserFactory(email="contact@example.org")
    auth.login(role="admin")
    page = post_form(client, f"/admin/users/{officer.id}/contact", {}, page_url="/admin/users")
    browser = first_login_with(app, auth, "contact@example.org", SETUP_RE.search(page.get_data(as_text=True)).group(1))
    assert HANDLE in act(browser, item.public_id, "reveal", {}).get_data(as_text=True)
    post_form(client, f"/admin/users/{officer.id}/contact", {}, page_url="/admin/users")
    with app.app_context():
        assert keys.granted_kinds(db.session, officer.id) == ["org"]


def test_the_recovery_code_is_replaced_after_the_admins_password(client, app, auth, org_keys):
    auth.login(role="admin")
    page = client.get("/admin/keys").get_data(as_text=True)
    assert "열쇠를 가진 사람" in page and "admin@example.org" in page
    assert re.search(r"검색 추가를 기다리는 것</dt>\s*<dd>0건 · 기록 0건</dd>", page), page  # items and records
    wrong = post_form(client, "/admin/keys", {"password": "not my password"})
    assert wrong.status_code == 422 and "비밀번호가 올바르지 않습니다" in wrong.get_data(as_text=True)
    done = post_form(client, "/admin/keys", {"password": PASSWORD})
    code = re.search(r'id="recovery-code">([0-9A-Z-]+)<', done.get_data(as_text=True)).group(1)
    with app.app_context():
        assert keys.unlock_with_recovery(db.session, code).keys == org_keys.keyring.keys
        try:
            keys.unlock_with_recovery(db.session, org_keys.code)
            raise AssertionError("the old recovery code still opens the keys")
        except keys.KeysError as error:
            assert error.reason == "wrong_code"


def test_an_account_without_keys_is_told_why(client, app, auth):
    item = SubmissionFactory()
    UserFactory(email="nokeys@example.org", no_keys=True)
    auth.login(email="nokeys@example.org")
    page = client.get(f"/staff/submissions/{item.public_id}")
    assert page.status_code == 403 and "열쇠 권한 없음" in page.get_data(as_text=True)
    assert "보위부" not in page.get_data(as_text=True)


def test_recovery_from_the_command_line_when_every_password_is_lost(app, auth, runner, org_keys):
    admin = UserFactory(admin=True, email="boss@example.org")
    result = runner.invoke(args=["keys", "recover", "boss@example.org"], input=org_keys.code + "\n")
    assert result.exit_code == 0, result.output
    setup = re.search(r"password, then choose their own: (\S+)", result.output).group(1)
    first_login_with(app, auth, "boss@example.org", setup)
    wrong = runner.invoke(args=["keys", "recover", "boss@example.org"], input=keys.new_recovery_code() + "\n")
    assert wrong.exit_code != 0 and "does not open" in wrong.output
    assert admin.id


def test_a_stolen_admin_session_cannot_guess_the_password_on_the_keys_page(client, auth):
    auth.login(role="admin")
    for _ in range(5):
        assert post_form(client, "/admin/keys", {"password": "a guess at the password"}).status_code == 422
    assert post_form(client, "/admin/keys", {"password": PASSWORD}).status_code == 429


def test_the_signing_keys_fingerprint_and_pem_are_shown_printable_and_match_a_case_file(client, app, auth, tmp_path):
    item = SubmissionFactory(narrative="서명 확인용 증언")
    auth.login(role="admin")
    page = client.get("/admin/keys").get_data(as_text=True)
    fingerprint = re.search(r'id="signing-fingerprint">([0-9a-f ]+)<', page).group(1)
    assert "사건 기록 서명 열쇠" in page and "-----BEGIN PUBLIC KEY-----" in page
    printable = client.get("/admin/keys/signing-key")
    assert printable.status_code == 200 and fingerprint in printable.get_data(as_text=True)
    pem = client.get("/admin/keys/signing-key.pem")
    assert pem.status_code == 200 and pem.headers["Content-Disposition"].startswith("attachment;")
    with app.app_context():
        assert signing.fingerprint(signing.public_from_pem(pem.data)) == fingerprint
    # The key a case file carries is this one.
    exported = act(client, item.public_id, "export", {})
    with zipfile.ZipFile(io.BytesIO(exported.data)) as archive:
        assert archive.read("signing-key.pem") == pem.data
        assert json.loads(archive.read("manifest.json"))["signature"]["fingerprint_sha256"] == fingerprint
        assert fingerprint in archive.read("VERIFY.txt").decode()
