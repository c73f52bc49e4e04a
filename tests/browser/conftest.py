"""Browser fixtures: the session's app served on 127.0.0.1 by a real threaded server, and
Debian's Chromium driven by Playwright (no browser download: `make test` installs the
Debian package). Every page runs in a fresh context that blocks and records any request
to a host other than 127.0.0.1 (page.third_party_requests), so a test can prove the site
loads nothing from elsewhere; page.console_errors collects console errors (CSP refusals)."""
from __future__ import annotations

import os
import threading
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from axe_playwright_python.sync_playwright import Axe
from werkzeug.serving import WSGIRequestHandler, make_server

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LOCAL_HOST = "127.0.0.1"
BROWSER_DIR = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config, items):
    """Every test under tests/browser is a browser test (`-m "not browser"` skips them)."""
    for item in items:
        if BROWSER_DIR in Path(item.path).resolve().parents:
            item.add_marker(pytest.mark.browser)


class _QuietHandler(WSGIRequestHandler):
    """No access log line per request; errors are still logged."""

    def log_request(self, code="-", size="-"):
        pass


def _closed_before_sending(app):
    """Werkzeug's development server closes a response only after sending all of it: when
    Chromium drops a request half-way (a favicon it no longer needs once the next page is
    asked for), the open static file is left to the garbage collector and the test fails on
    its ResourceWarning. gunicorn closes on a dropped connection too; here every answer is read
    and closed before the server sends it."""

    def wsgi(environ, start_response):
        answer = app(environ, start_response)
        try:
            return [b"".join(answer)]
        finally:
            if hasattr(answer, "close"):
                answer.close()

    return wsgi


@pytest.fixture(scope="session")
def live_server(app):
    """The session app on a free port; Flask pushes an app context for every request."""
    server = make_server(LOCAL_HOST, 0, _closed_before_sending(app), threaded=True, request_handler=_QuietHandler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://{LOCAL_HOST}:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        message = f"Debian's Chromium is not installed at {CHROMIUM}; run `make test` as root to install it"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()
    finally:
        playwright.stop()


class ThirdPartyGuard:
    """Aborts and records every request whose host is not 127.0.0.1."""

    def __init__(self):
        self.blocked: list[str] = []

    def __call__(self, route):
        url = route.request.url
        if urlsplit(url).hostname == LOCAL_HOST:
            route.continue_()
        else:
            self.blocked.append(url)
            route.abort("blockedbyclient")


def _open_page(browser, live_server, **context_options):
    guard = ThirdPartyGuard()
    context = browser.new_context(base_url=live_server, locale="ko-KR", **context_options)
    context.set_default_timeout(10_000)
    context.route("**/*", guard)
    page = context.new_page()
    page.third_party_requests = guard.blocked  # read by tests: must stay empty
    # Console errors include what the CSP refused (an inline style, a foreign image), which
    # never reaches the network and so never reaches the guard.
    page.console_errors = []
    page.on("console", lambda message: message.type == "error" and page.console_errors.append(message.text))
    return context, page


@pytest.fixture
def page_js_off(browser, live_server):
    """A phone-sized page with JavaScript disabled, as in Tor Browser's safest level."""
    context, page = _open_page(browser, live_server, java_script_enabled=False,
                               viewport={"width": 360, "height": 800})
    yield page
    context.close()


@pytest.fixture
def page_js_on(browser, live_server):
    context, page = _open_page(browser, live_server)
    yield page
    context.close()


_axe = Axe()


def axe_problems(page) -> list[str]:
    """axe-core's violations on the page, one readable line each (empty: none)."""
    return [f"{v['id']} ({v['impact']}): {v['help']} at {[node['target'] for node in v['nodes']]}"
            for v in _axe.run(page).response["violations"]]
