"""Staff login with TOTP: enrollment, replay refusal, lockout, idle timeout, logout."""
from __future__ import annotations

import time

import sqlalchemy as sa

from app.extensions import db
from app.models import LoginThrottle
from app.models.base import utcnow
from tests.factories import PASSWORD, UserFactory
from tests.helpers import SECRET_RE, audit_actions, post_form, totp_code


def test_first_login_enrolls_totp_with_qr_and_text_secret(client, app):
    UserFactory(email="officer@example.org", locale="ko")
    response = post_form(client, "/staff/login", {"email": "Officer@Example.org ", "password": PASSWORD})
    assert response.headers["Location"].endswith("/staff/2fa")
    page = client.get("/staff/2fa").get_data(as_text=True)
    assert "<svg" in page and SECRET_RE.search(page)
    assert "인증 앱에 표시된 6자리 숫자를 입력해 주세요" in page
    secret = SECRET_RE.search(page).group(1)
    wrong = post_form(client, "/staff/2fa", {"code": "000000"})
    assert wrong.status_code == 422 and "인증 번호가 올바르지 않습니다" in wrong.get_data(as_text=True)
    assert post_form(client, "/staff/2fa", {"code": totp_code(secret)}).status_code == 302
    assert client.get("/staff/").status_code == 200
    assert "auth.totp_enrolled" in audit_actions(app) and "auth.login" in audit_actions(app)


def test_totp_code_is_accepted_once(client, auth):
    officer = auth.login()
    secret, used = officer.totp_secret, officer.totp_code_used  # the very code, even if the clock moved on
    auth.logout()
    assert post_form(client, "/staff/login", {"email": "officer@example.org", "password": PASSWORD}).status_code == 302
    replay = post_form(client, "/staff/2fa", {"code": used})
    assert replay.status_code == 422
    assert client.get("/staff/").status_code == 302
    assert post_form(client, "/staff/2fa", {"code": totp_code(secret, +1)}).status_code == 302


def test_wrong_password_gives_one_message_for_known_and_unknown(client):
    UserFactory(email="officer@example.org")
    for email in ("officer@example.org", "nobody@example.org"):
        response = post_form(client, "/staff/login", {"email": email, "password": "wrong password!!"})
        html = response.get_data(as_text=True)
        assert "이메일 주소 또는 비밀번호가 올바르지 않습니다" in html


def test_hangul_in_email_gets_the_keyboard_hint(client):
    response = post_form(client, "/staff/login", {"email": "ㅐㄹ랴ㅊㄷㄱ@ㄷㅌ믇ㅔㅣㄷ.채ㅡ", "password": "x"})
    html = response.get_data(as_text=True)
    assert "키보드를 영문으로 바꾼 뒤" in html


def test_repeated_failures_lock_this_client_out_for_a_while_and_are_audited(client, app):
    """Who is held back, and who is not, is tests/staff/test_login_throttle.py's subject."""
    UserFactory(email="officer@example.org")
    for _ in range(5):
        post_form(client, "/staff/login", {"email": "officer@example.org", "password": "wrong password!!"})
    locked = post_form(client, "/staff/login", {"email": "officer@example.org", "password": PASSWORD})
    assert locked.status_code == 422
    assert "로그인 시도가 너무 많았습니다. 15분 뒤에" in locked.get_data(as_text=True)
    assert "auth.locked" in audit_actions(app)
    with app.app_context():  # the lock runs out
        db.session.execute(sa.update(LoginThrottle).values(locked_until=utcnow()))
        db.session.commit()
    assert post_form(client, "/staff/login", {"email": "officer@example.org", "password": PASSWORD}).status_code == 302


def test_idle_timeout_logs_out(client, auth):
    auth.login()
    with client.session_transaction() as session:
        session["last_seen"] = int(time.time()) - 31 * 60
    response = client.get("/staff/")
    assert response.status_code == 302 and "/staff/login" in response.headers["Location"]
    assert "오랫동안 사용하지 않아" in client.get("/staff/login").get_data(as_text=True)


def test_logout_is_post_only(client, auth):
    auth.login()
    assert client.get("/staff/logout").status_code == 405
    auth.logout()
    assert client.get("/staff/").status_code == 302
