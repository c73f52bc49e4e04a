"""Notices, delivered by the real worker to a real SMTP server. A submitter who asked for it
gets a neutral "new message" e-mail, and the outbox then forgets the address; nobody else
gets anything. Officers get content-free notices in their language, and a new item always
reaches someone."""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from app.extensions import db
from app.models import OutboxEmail, Submission
from app.services.intake import notices
from app.services.outreach import outbox
from tests.factories import SubmissionFactory, UserFactory
from tests.helpers import act, submit_report
from tests.smtp import deliver, html_part, text_part


def officer_replies(client, app, auth):
    auth.login()
    with app.app_context():
        public_id = db.session.scalar(sa.select(Submission.public_id))
    return act(client, public_id, "message", {"body": "날짜를 기억하시나요?"})


def test_notice_is_neutral_and_the_address_is_forgotten(client, app, auth, runner, smtp_server):
    SubmissionFactory(notice_email="me@example.org")
    assert officer_replies(client, app, auth).status_code == 302
    deliver(runner)
    mailed = [item for item in smtp_server.received if item.rcpt_tos == ["me@example.org"]]
    assert len(mailed) == 1
    message = mailed[0].message
    body = text_part(message)
    assert message["Subject"] == "새 메시지가 있습니다"
    for leak in ("날짜를", "목소리", "Moksori", "http", "receipt", "제보"):
        assert leak not in body and leak not in str(message["Subject"])
    # Nor do the headers or the envelope (Return-Path): the form promised neither name nor site.
    as_sent = {"From": message["From"], "Message-ID": message["Message-ID"], "envelope": mailed[0].mail_from,
               "Reply-To": message["Reply-To"] or "", "Sender": message["Sender"] or ""}
    for leak in (app.config["ORG_NAME_KO"], app.config["ORG_NAME_EN"], "moksori", "목소리", "127.0.0.1"):
        for name, value in as_sent.items():
            assert leak.casefold() not in str(value).casefold(), (name, value)
    assert message["From"] == app.config["SUBMITTER_NOTICE_FROM"] == "알림 <notice@example.invalid>"
    assert mailed[0].mail_from == "notice@example.invalid"
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


def test_officers_get_a_content_free_notice_in_their_language(app_ctx, runner, smtp_server):
    UserFactory(email="ko-officer@example.org", name="김민지")
    english = UserFactory(email="en-officer@example.org", english=True)
    UserFactory(email="admin@example.org", admin=True, bilingual=True)
    submission = SubmissionFactory(narrative="보위부 구류장에서 고문을 당했습니다.")
    public_id = submission.public_id
    # The intake already queued the notice for the Korean-speaking officer (the report is in Korean).
    assert db.session.scalar(sa.select(sa.func.count(OutboxEmail.id))) == 1
    assert notices.notify_new_item(db.session, submission) == 0  # one waiting notice is enough
    assert notices.notify_assigned(db.session, submission, english) is True
    db.session.commit()
    deliver(runner)
    received = {item.rcpt_tos[0]: item.message for item in smtp_server.received}
    assert set(received) == {"ko-officer@example.org", "en-officer@example.org"}
    korean = received["ko-officer@example.org"]
    assert korean["Subject"] == "[목소리] 새 항목이 기다리고 있습니다"
    body = text_part(korean)
    assert body.startswith("김민지 님, 안녕하세요.") and "http://127.0.0.1:5000/staff/" in body
    assert "고문" not in body and public_id not in body and public_id not in html_part(korean)
    assert received["en-officer@example.org"]["Subject"] == "[Moksori] An item was assigned to you"
    assert text_part(received["en-officer@example.org"]).startswith("Hello en-officer,")


def test_notices_fall_back_to_any_officer_then_admins(app_ctx):
    UserFactory(email="admin@example.org", admin=True)
    submission = Submission(locale="en")
    assert notices.notify_new_item(db.session, submission) == 1  # no officer at all: the admins
    db.session.execute(sa.delete(OutboxEmail))
    db.session.commit()
    officer = UserFactory(email="ko-officer@example.org")
    assert notices.notify_new_item(db.session, submission) == 1  # nobody reads English: every officer
    assert db.session.scalar(sa.select(OutboxEmail.recipient)) == "ko-officer@example.org"
    officer.active = False
    assert notices.notify_assigned(db.session, submission, officer) is False
    db.session.rollback()


def submitter_notice():
    db.session.expire_all()
    return db.session.scalar(sa.select(OutboxEmail).where(OutboxEmail.kind == notices.SUBMITTER_NOTICE))


def test_a_notice_given_up_on_forgets_the_address_and_is_not_queued_again(client, app, auth, runner, smtp_server):
    SubmissionFactory(notice_email="me@example.org")
    assert officer_replies(client, app, auth).status_code == 302
    smtp_server.fail_next("550 5.1.1 <me@example.org>: Recipient address rejected")
    deliver(runner)
    with app.app_context():
        row = submitter_notice()
        assert row.state == "failed" and (row.recipient, row.body_text, row.body_html) == ("", "", "")
        assert "me@example.org" not in row.last_error
    # `outbox retry-failed` has no address to send to: it leaves the notice alone.
    assert "0 messages queued again" in runner.invoke(args=["outbox", "retry-failed"]).output
    deliver(runner)
    assert not [item for item in smtp_server.received if item.rcpt_tos != ["officer@example.org"]]


def test_a_notice_stuck_behind_an_unreachable_server_is_given_up_after_days(client, app, auth, runner, smtp_server):
    SubmissionFactory(notice_email="me@example.org")
    assert officer_replies(client, app, auth).status_code == 302
    smtp_server.stop()  # a long mail outage: no attempt is counted, the row would wait for ever
    try:
        deliver(runner)
        with app.app_context():
            row = submitter_notice()
            assert (row.state, row.recipient) == ("pending", "me@example.org")  # not old yet: kept to send
            row.created_at -= outbox.NOTICE_MAX_WAIT + timedelta(minutes=1)
            db.session.commit()
        deliver(runner)
        with app.app_context():
            row = submitter_notice()
            assert row.state == "failed" and (row.recipient, row.body_text) == ("", "")
            assert "forgotten" in row.last_error
    finally:
        smtp_server.start()
