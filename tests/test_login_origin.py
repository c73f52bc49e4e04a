"""Login CSRF from older browsers (issue 20, item 7.1). The receipt form's token is not tied to a
cookie, so another site can fetch one and have a visitor's browser post it with the attacker's
own receipt code: the visitor is then logged into the attacker's submission and may add to it.
Current browsers mark such a POST (Sec-Fetch-Site: cross-site) and it was refused; a browser
without fetch metadata, posting from a sandboxed frame or a no-referrer page, says only
`Origin: null` — which is also what our own no-referrer pages used to make it say. Now a POST
that opens a session with `Origin: null` and no fetch metadata is refused with a localized page,
and the pages of those forms are same-origin, so a real visitor's browser names our origin."""
from __future__ import annotations

import re

import pytest

from tests.factories import PASSWORD, UserFactory
from tests.helpers import hidden_fields, post_form, receipt_code, submit_report

OLD_BROWSER_FORGED = {"Origin": "null"}  # no Sec-Fetch-* at all
REFUSED = {"en": "Please open the page again and send it from there",
           "ko": "페이지를 다시 열어 거기에서 보내 주세요"}


def attackers_code(app) -> str:
    return receipt_code(submit_report(app.test_client()).get_data(as_text=True)).replace(" ", "")


def fetched_token(app, lang: str) -> dict[str, str]:
    """What the attacker's server fetches from the receipt page: its hidden fields."""
    return hidden_fields(app.test_client().get(f"/{lang}/receipt").get_data(as_text=True))


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_a_forged_receipt_login_from_an_old_browser_opens_nothing(app, lang):
    code = attackers_code(app)
    victim = app.test_client()
    response = victim.post(f"/{lang}/receipt", data={**fetched_token(app, lang), "code": code},
                           headers=OLD_BROWSER_FORGED)
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and response.headers.getlist("Set-Cookie") == []
    assert f'<html lang="{lang}">' in html and REFUSED[lang] in html
    assert f'href="/{lang}/receipt" id="back-to-form"' in html  # what a real visitor needs to try again
    assert code not in html  # the attacker's code is not handed to the visitor either
    assert victim.get(f"/{lang}/receipt/status").status_code == 302  # no submission opened


@pytest.mark.parametrize("headers", [{}, {"Origin": "http://localhost"},
                                     {"Origin": "null", "Sec-Fetch-Site": "same-origin"}])
def test_a_real_visitor_still_opens_their_submission(app, client, headers):
    """No Origin (the oldest browsers), our origin (any browser on our same-origin page), or
    `null` with fetch metadata that says it is ours (a current browser)."""
    code = receipt_code(submit_report(client).get_data(as_text=True))
    page = client.get("/en/receipt")
    sent = client.post("/en/receipt", data={**hidden_fields(page.get_data(as_text=True)), "code": code},
                       headers=headers)
    assert sent.status_code == 302 and sent.headers["Location"].endswith("/en/receipt/status")


def test_after_the_refusal_the_form_works_again(app, client):
    code = receipt_code(submit_report(client).get_data(as_text=True))
    refused = client.post("/ko/receipt", data={**fetched_token(app, "ko"), "code": code}, headers=OLD_BROWSER_FORGED)
    back = re.search(r'href="([^"]+)" id="back-to-form"', refused.get_data(as_text=True)).group(1)
    assert post_form(client, back, {"code": code}).status_code == 302


@pytest.mark.parametrize("path", ["/ko/receipt", "/en/receipt", "/staff/login"])
def test_the_forms_that_open_a_session_send_their_origin(client, path):
    response = client.get(path)
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert '<meta name="referrer" content="same-origin">' in response.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/ko/", "/ko/report", "/ko/receipt/status", "/staff/2fa"])
def test_every_other_page_still_sends_no_referrer(client, path):
    response = client.get(path)
    assert response.headers["Referrer-Policy"] == "no-referrer"
    if response.status_code == 200:
        assert '<meta name="referrer" content="no-referrer">' in response.get_data(as_text=True)


def test_a_forged_staff_login_from_an_old_browser_is_refused(client):
    user = UserFactory(email="origin@example.org")
    page = client.get("/staff/login")
    data = {**hidden_fields(page.get_data(as_text=True)), "email": user.email, "password": PASSWORD}
    refused = client.post("/staff/login", data=data, headers=OLD_BROWSER_FORGED)
    assert refused.status_code == 400 and REFUSED["ko"] in refused.get_data(as_text=True)
    assert client.get("/staff/2fa").status_code == 302  # the first step was not passed
    assert client.post("/staff/login", data=data, headers={"Origin": "http://localhost"}).status_code == 302
