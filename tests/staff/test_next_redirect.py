"""A `next` that carries control characters (issue 20, item 7.3). urlsplit() drops CR, LF and TAB
before it parses, so `/` CR LF `//evil.example` passed as a path, and the redirect after the
second step — the code already used — answered 500 with a line break in its Location header.
Now such a target is refused whole and the default page follows, at both places that redirect
to `next`: the end of the login and the language switch."""
from __future__ import annotations

from urllib.parse import quote

import pytest

from app.security import is_safe_redirect
from tests.factories import PASSWORD, UserFactory
from tests.helpers import SECRET_RE, post_form, totp_code

HOSTILE = ["/\r\n//evil.example", "/\r//evil.example", "/\n//evil.example", "/\t//evil.example",
           "/staff/\x00", "/staff/\u202e", "/\x7f//evil.example", "/\\evil.example"]


def landed_on_our_page(response) -> str:
    assert response.status_code == 302, response.status_code
    location = response.headers["Location"]
    assert "evil" not in location and not any(ch in location for ch in "\r\n\t\x00\\")
    return location


@pytest.mark.parametrize("target", HOSTILE)
def test_control_characters_and_backslashes_are_never_a_safe_target(target):
    assert not is_safe_redirect(target)


@pytest.mark.parametrize("target", ["/\r\n//evil.example", "/staff/\r\nSet-Cookie: a=b"])
def test_the_login_ends_on_the_queue_not_on_an_error(app, client, target):
    user = UserFactory(email="next@example.org")
    url = f"/staff/login?next={quote(target, safe='')}"
    assert post_form(client, url, {"email": user.email, "password": PASSWORD}).status_code == 302
    secret = SECRET_RE.search(client.get("/staff/2fa").get_data(as_text=True)).group(1)
    response = post_form(client, "/staff/2fa", {"code": totp_code(secret)})
    assert landed_on_our_page(response).endswith("/staff/")
    assert client.get("/staff/").status_code == 200  # logged in, not stuck halfway


@pytest.mark.parametrize("target", HOSTILE)
def test_the_language_switch_falls_back_to_the_login(client, target):
    response = post_form(client, "/staff/language", {"lang": "en", "next": target}, page_url="/staff/login")
    assert landed_on_our_page(response).endswith("/staff/login")
