"""A visit that sends nothing leaves nothing on the device (issue 10, item 7): the public
pages set no cookie, their forms carry a signed CSRF token of their own (app/form_tokens.py),
and that token is refused as strictly as the session token was: missing, tampered, expired,
issued for another form or sent from another site."""
from __future__ import annotations

import re
import time
from unittest import mock

import pytest
import sqlalchemy as sa
from flask import Flask, session

from app import form_tokens, sessions
from app.extensions import db
from app.models import Submission, Subscriber
from app.services.outreach import subscriptions
from tests.factories import SubscriberFactory
from tests.helpers import hidden_fields, post_form, receipt_code, submit_report

PUBLIC_PAGES = ["/", "/healthz"] + [f"/{lang}/{page}" for lang in ("ko", "en") for page in (
    "", "report", "contact", "receipt", "subscribe", "updates", "updates.atom", "receipt/status", "subscribe/sent")]
FORMS = ["report", "contact", "receipt", "subscribe"]


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def token_of(client, path: str) -> str:
    return hidden_fields(client.get(path).get_data(as_text=True))["csrf_token"]


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_a_public_page_sets_no_cookie(app, path):
    visitor = app.test_client()
    response = visitor.get(path)
    assert response.status_code in (200, 302), response.status_code
    assert response.headers.getlist("Set-Cookie") == []
    assert visitor.get_cookie("session") is None and visitor.get_cookie("remember_token") is None


def test_the_pages_linked_from_the_public_pages_set_no_cookie(app):
    visitor = app.test_client()
    seen, waiting = set(), ["/ko/", "/en/"]
    while waiting:
        path = waiting.pop()
        if path in seen:
            continue
        seen.add(path)
        response = visitor.get(path)
        assert response.headers.getlist("Set-Cookie") == [], path
        if response.mimetype == "text/html":
            for link in re.findall(r'href="(/(?:ko|en)/[^"#?]*)', response.get_data(as_text=True)):
                waiting.append(link)
    assert {"/ko/report", "/en/contact", "/ko/receipt", "/en/subscribe", "/ko/updates"} <= seen


def test_a_report_sent_without_any_cookie_is_stored_and_sets_none(app, app_ctx):
    visitor = app.test_client(use_cookies=False)
    response = post_form(visitor, "/ko/report", {"narrative": "쿠키 없이 보낸 제보"})
    assert response.status_code == 200 and receipt_code(response.get_data(as_text=True))
    assert response.headers.getlist("Set-Cookie") == []
    assert count(Submission) == 1


def test_contact_and_subscribe_sent_without_any_cookie_set_none(app, app_ctx):
    visitor = app.test_client(use_cookies=False)
    sent = post_form(visitor, "/en/contact", {"alias": "Kim", "topic": "other", "language": "ko",
                                              "channel": "phone", "handle": "010-0000-0000"})
    assert sent.status_code == 200 and sent.headers.getlist("Set-Cookie") == []
    sent = post_form(visitor, "/ko/subscribe", {"email": "ngo@example.org", "language": "ko", "topics": ["reports"],
                                                "consent": "y"})
    assert sent.status_code == 302 and sent.headers.getlist("Set-Cookie") == []
    assert count(Submission) == 1 and count(Subscriber) == 1


def test_a_receipt_code_sets_the_one_cookie_its_page_needs(app):
    """Opening a submission with its code is the one public POST that needs a cookie: the
    key session's token (app/public/receipt_views.py), which nothing else could carry."""
    code = receipt_code(submit_report(app.test_client()).get_data(as_text=True))
    visitor = app.test_client()
    opened = post_form(visitor, "/ko/receipt", {"code": code})
    assert opened.status_code == 302
    cookies = opened.headers.getlist("Set-Cookie")
    assert len(cookies) == 1 and cookies[0].startswith("session=") and "HttpOnly" in cookies[0]
    # The receipt page itself, a follow-up sent from it and leaving it set no other cookie:
    # Flask-Login's "strong" protection used to take the receipt session for a stolen staff
    # session and answer with a deleting `remember_token` cookie (issue 20).
    for response in (visitor.get("/ko/receipt/status"), visitor.get("/en/receipt/status"),
                     post_form(visitor, "/ko/receipt/status", {"body": "덧붙입니다"}),
                     visitor.get("/ko/receipt/status")):
        assert response.status_code in (200, 302), response.status_code
        names = [cookie.split("=", 1)[0] for cookie in response.headers.getlist("Set-Cookie")]
        assert set(names) <= {"session"}, response.headers.getlist("Set-Cookie")
        assert visitor.get_cookie("session") is not None
    assert visitor.get_cookie("remember_token") is None


@pytest.mark.parametrize("form", FORMS)
def test_a_token_from_another_form_is_refused(app, app_ctx, form):
    visitor = app.test_client()
    other = "contact" if form != "contact" else "report"
    data = {"csrf_token": token_of(visitor, f"/ko/{other}"), "narrative": "다른 양식의 토큰", "code": "1234",
            "email": "ngo@example.org", "language": "ko", "topics": "reports", "consent": "y",
            "alias": "김", "topic": "other", "handle": "x"}
    response = visitor.post(f"/ko/{form}", data=data)
    assert response.status_code == 400
    assert "다시" in response.get_data(as_text=True)
    assert count(Submission) == 0 and count(Subscriber) == 0


@pytest.mark.parametrize("form", FORMS)
def test_missing_tampered_and_expired_tokens_are_refused(app, app_ctx, form):
    visitor = app.test_client()
    good = token_of(visitor, f"/ko/{form}")
    data = {"narrative": "토큰 시험", "code": "1234", "email": "ngo@example.org", "language": "ko",
            "topics": "reports", "consent": "y", "alias": "김", "topic": "other", "handle": "x"}
    tampered = good[:-2] + ("AA" if not good.endswith("AA") else "BB")
    with (mock.patch("itsdangerous.timed.time.time", return_value=time.time() - 4 * 3600 - 60),
          app.test_request_context(f"/ko/{form}")):
        expired = form_tokens.issue(f"public.{form}")  # issued just over WTF_CSRF_TIME_LIMIT ago
    for token in (None, "", tampered, expired, "garbage"):
        response = visitor.post(f"/ko/{form}", data={**data, **({"csrf_token": token} if token is not None else {})})
        assert response.status_code == 400, token
    assert count(Submission) == 0 and count(Subscriber) == 0
    # The same page's own token, just issued, is accepted: the refusals above were the token's.
    accepted = visitor.post(f"/ko/{form}", data={**data, "csrf_token": good})
    assert accepted.status_code != 400


def test_a_post_that_a_browser_says_came_from_another_site_is_refused(app, app_ctx):
    visitor = app.test_client()
    token = token_of(visitor, "/ko/report")
    data = {"csrf_token": token, "narrative": "다른 사이트에서 보낸 글"}
    for headers in ({"Sec-Fetch-Site": "cross-site"}, {"Sec-Fetch-Site": "same-site"},
                    {"Origin": "https://attacker.example"}):
        assert visitor.post("/ko/report", data=data, headers=headers).status_code == 400, headers
    assert count(Submission) == 0
    ours = visitor.post("/ko/report", data=data, headers={"Sec-Fetch-Site": "same-origin", "Origin": "null"})
    assert ours.status_code == 200 and count(Submission) == 1


def test_a_token_page_token_is_bound_to_its_link(app, app_ctx):
    """The confirmation page's token works for its own link, not for another subscriber's."""
    links = subscriptions.Links.from_config(app.config)
    first, second = SubscriberFactory(email="a@example.org", state="pending"), \
        SubscriberFactory(email="b@example.org", state="pending")
    first_path = f"/ko/subscribe/confirm/{links.token(first, 'confirm')}"
    second_path = f"/ko/subscribe/confirm/{links.token(second, 'confirm')}"
    visitor = app.test_client()
    assert visitor.post(second_path, data={"csrf_token": token_of(visitor, first_path)}).status_code == 400
    confirmed = visitor.post(first_path, data={"csrf_token": token_of(visitor, first_path)})
    assert confirmed.status_code == 200 and confirmed.headers.getlist("Set-Cookie") == []
    db.session.expire_all()
    assert (first.state, second.state) == ("confirmed", "pending")


def test_ko_and_en_share_a_form_token(app, app_ctx):
    visitor = app.test_client()
    response = visitor.post("/en/report", data={"csrf_token": token_of(visitor, "/ko/report"), "narrative": "한영"})
    assert response.status_code == 200 and count(Submission) == 1


def test_an_emptied_session_sets_no_cookie_on_a_browser_that_had_none():
    """Flask itself would answer with a deleting Set-Cookie (app/sessions.py)."""
    application = Flask(__name__)
    application.secret_key = "x"
    sessions.init_app(application)

    @application.route("/touch")
    def touch():
        session["passing"] = 1
        session.pop("passing")
        return "ok"

    visitor = application.test_client()
    assert visitor.get("/touch").headers.getlist("Set-Cookie") == []
    visitor.set_cookie("session", "stale")  # a browser that had one still gets it removed
    assert visitor.get("/touch").headers.getlist("Set-Cookie")[0].startswith("session=;")


def test_the_pages_an_email_links_to_and_error_pages_set_no_cookie(app, app_ctx):
    links = subscriptions.Links.from_config(app.config)
    pending = SubscriberFactory(email="a@example.org", state="pending")
    paths = [f"/ko/subscribe/confirm/{links.token(pending, 'confirm')}",
             f"/en/subscribe/preferences/{links.token(pending, 'manage')}",
             f"/ko/subscribe/unsubscribe/{links.token(pending, 'manage')}",
             "/ko/subscribe/confirm/not-a-token", "/ko/no-such-page"]
    visitor = app.test_client()
    for path in paths:
        response = visitor.get(path)
        assert response.status_code in (200, 400, 404), path
        assert response.headers.getlist("Set-Cookie") == [], path
    # A refused form (a CSRF failure, a validation error) sets none either.
    assert visitor.post("/ko/contact", data={"alias": "김"}).headers.getlist("Set-Cookie") == []
    invalid = post_form(visitor, "/ko/subscribe", {"email": "not-an-address"})
    assert invalid.status_code == 422 and invalid.headers.getlist("Set-Cookie") == []
