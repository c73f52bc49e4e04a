"""A submitter who asked for it gets a neutral "new message" e-mail; the outbox then forgets
the address. Nobody else gets anything."""
from __future__ import annotations

import sqlalchemy as sa

from app.extensions import db
from app.models import OutboxEmail, Submission
from tests.factories import SubmissionFactory
from tests.helpers import act, submit_report
from tests.smtp import deliver, text_part


def officer_replies(client, app, auth):
    auth.login()
    with app.app_context():
        public_id = db.session.scalar(sa.select(Submission.public_id))
    return act(client, public_id, "message", {"body": "날짜를 기억하시나요?"})


def test_notice_is_neutral_and_the_address_is_forgotten(client, app, auth, runner, smtp_server):
    SubmissionFactory(notice_email="me@example.org")
    assert officer_replies(client, app, auth).status_code == 302
    deliver(runner)
    notices = [item for item in smtp_server.received if item.rcpt_tos == ["me@example.org"]]
    assert len(notices) == 1
    message = notices[0].message
    body = text_part(message)
    assert message["Subject"] == "새 메시지가 있습니다"
    for leak in ("날짜를", "목소리", "Moksori", "http", "receipt", "제보"):
        assert leak not in body and leak not in str(message["Subject"])
    with app.app_context():
        row = db.session.scalar(sa.select(OutboxEmail).where(OutboxEmail.kind == "submitter.notice"))
        assert row.state == "sent" and row.recipient == "" and row.body_text == ""


def test_full_width_address_is_mailed_as_typed_in_ascii(client, app, auth, runner, smtp_server):
    # Through the public form: what it stores for a Korean IME's full-width mode is the point.
    submit_report(app.test_client(), notice_email="ＭＥ＠ｅｘａｍｐｌｅ．ｏｒｇ")
    assert officer_replies(client, app, auth).status_code == 302
    deliver(runner)
    assert [item.rcpt_tos for item in smtp_server.received] == [["me@example.org"]]


def test_no_address_no_mail(client, app, auth, runner, smtp_server):
    SubmissionFactory()
    officer_replies(client, app, auth)
    deliver(runner)
    assert not [item for item in smtp_server.received if item.rcpt_tos != ["officer@example.org"]]


def test_bad_notice_address_is_refused_with_the_keyboard_hint(client):
    html = submit_report(client, notice_email="ㅡㄷ@ㄷㅌ믇ㅔㅣㄷ.채ㅡ").get_data(as_text=True)
    assert "키보드를 영문으로 바꾼 뒤" in html
    html = submit_report(client, notice_email="not-an-address").get_data(as_text=True)
    assert "이메일 주소 형식이 올바르지 않습니다" in html
