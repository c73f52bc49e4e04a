"""Subscriptions: addresses as a Korean keyboard types them, signed links bound to their purpose
and row that expire, RFC 8058 list headers."""
from __future__ import annotations

import time
from unittest import mock

import pytest
from itsdangerous import TimestampSigner

from app.extensions import db
from app.services.outreach import subscriptions
from tests.factories import SubscriberFactory


@pytest.mark.parametrize(
    "typed, problem",
    [
        ("", "이메일 주소를 입력해 주세요"),
        ("ㅜ므ㄷ@ㄷㅌ믇ㅔㅣㄷ.채ㅡ", "한글이 들어 있습니다"),
        ("홍길동@example.org", "한/영 키"),
        ("name@example", "형식이 올바르지 않습니다"),
        ("name@@example.org", "형식이 올바르지 않습니다"),
        ("na me@example.org", "형식이 올바르지 않습니다"),
        (".name@example.org", "형식이 올바르지 않습니다"),
        ("name@example.org\r\nBcc: x@y.z", "형식이 올바르지 않습니다"),
        ("ｎａｍｅ＠ｅｘａｍｐｌｅ．ｏｒｇ", None),  # full-width IME mode: understood
        ("Name.Tag+news@Example.ORG", None),
    ],
)
def test_email_problems_in_korean(app, typed, problem):
    with app.test_request_context("/ko/"):
        app.preprocess_request()
        message = subscriptions.email_problem(typed)
    assert (message is None) if problem is None else (problem in message)


def test_normalized_address_is_lower_case_ascii():
    assert subscriptions.normalize_email(" ｎａｍｅ＠Ｅｘａｍｐｌｅ．ｏｒｇ ") == "name@example.org"


@pytest.fixture
def subscriber(app_ctx):
    return SubscriberFactory(email="ngo@example.org", pending=True)


def test_tokens_round_trip_and_are_bound_to_purpose_and_row(app_ctx, subscriber):
    links = subscriptions.Links.from_config(app_ctx.config)
    token = links.token(subscriber, "confirm")
    assert links.read(db.session, token, "confirm").id == subscriber.id
    tampered = token[:-10] + ("A" if token[-10] != "A" else "B") + token[-9:]
    for bad, purpose in ((token, "manage"), (tampered, "confirm"), ("nonsense", "confirm"), ("", "confirm")):
        with pytest.raises(subscriptions.LinkProblem) as problem:
            links.read(db.session, bad, purpose)
        assert problem.value.reason == "invalid"
    subscriber.token_key = "n" * 32  # e.g. a removed row whose id came back
    db.session.commit()
    with pytest.raises(subscriptions.LinkProblem):
        links.read(db.session, token, "confirm")


def test_old_tokens_expire(app_ctx, subscriber):
    links = subscriptions.Links.from_config(app_ctx.config)
    with mock.patch.object(TimestampSigner, "get_timestamp", return_value=int(time.time()) - 73 * 3600):
        token = links.token(subscriber, "confirm")
        manage = links.token(subscriber, "manage")
    with pytest.raises(subscriptions.LinkProblem) as problem:
        links.read(db.session, token, "confirm")
    assert problem.value.reason == "expired"
    assert links.read(db.session, manage, "manage").id == subscriber.id  # manage links last longer


def test_list_headers_follow_rfc_8058(app_ctx):
    headers = subscriptions.Links.from_config(app_ctx.config).list_headers("https://x.example/ko/subscribe/unsubscribe/t")
    assert headers["List-Unsubscribe"] == "<https://x.example/ko/subscribe/unsubscribe/t>"
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert headers["List-Id"] == "<updates.127.0.0.1>"
