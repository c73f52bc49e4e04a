"""The session cookie is written only when there is something to keep (issue 10, item 7).

Flask's cookie session answers an emptied session with a deleting Set-Cookie even when the
browser never had the cookie (a `session.pop()` of a missing key marks it modified), so a
visitor who only read a page would still get a cookie header. Here a request that brought no
session cookie and leaves an empty session gets no Set-Cookie at all; everything else is
Flask's own behaviour (signed, HttpOnly, SameSite=Strict, config.py).
"""
from __future__ import annotations

from flask import Flask, request
from flask.sessions import SecureCookieSessionInterface


class CookieOnlyWhenNeeded(SecureCookieSessionInterface):
    def save_session(self, app, session, response):
        if not session and self.get_cookie_name(app) not in request.cookies:
            return  # nothing to keep, nothing on the device to delete
        super().save_session(app, session, response)


def init_app(app: Flask) -> None:
    app.session_interface = CookieOnlyWhenNeeded()
