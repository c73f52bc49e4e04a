"""The health check beside the home pages (the pages themselves are tested with the locales, in
i18n/): each dependency of a submission, ok or failing, broken for real one at a time; 503
when one fails, and nothing in the answer that would help an attacker (no path, no host, no
exception text)."""
from __future__ import annotations

import json
import os
from contextlib import contextmanager

import pytest
from limits.storage import storage_from_string

from app.extensions import limiter
from config import TestingConfig
from tests.helpers import running_app

ALL_OK = {"database": "ok", "uploads": "ok", "keys": "ok"}


def answer(client):
    response = client.get("/healthz")
    assert response.headers.getlist("Set-Cookie") == []
    return response.status_code, response.get_json()


def no_details(body: dict, *secrets: str) -> None:
    text = json.dumps(body)
    assert set(body) == {"status", "checks"} and set(body["checks"].values()) <= {"ok", "failing"}
    for secret in ("Error", "error", "/", "127.0.0.1", *secrets):
        assert secret not in text, secret


def test_healthz_says_ok_for_each_dependency(client):
    assert answer(client) == (200, {"status": "ok", "checks": ALL_OK})


@pytest.mark.parametrize("broken", ["missing", "a file"])
def test_an_upload_folder_that_cannot_be_written_fails_the_check(client, app, tmp_path, broken):
    folder = tmp_path / "uploads"
    if broken == "a file":
        folder.write_bytes(b"not a folder")
    usual, app.config["UPLOAD_DIR"] = app.config["UPLOAD_DIR"], str(folder)
    try:
        status, body = answer(client)
    finally:
        app.config["UPLOAD_DIR"] = usual
    assert status == 503 and body == {"status": "failing", "checks": {**ALL_OK, "uploads": "failing"}}
    no_details(body, str(tmp_path))


def test_missing_keys_fail_the_check(client, no_keys):
    assert answer(client) == (503, {"status": "failing", "checks": {**ALL_OK, "keys": "failing"}})


@contextmanager
def another_app(app, **settings):
    """An app beside the session's (same database, folder and keys) with other settings."""
    config = type("Config", (TestingConfig,), {"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                                               "UPLOAD_DIR": app.config["UPLOAD_DIR"], **settings})
    with running_app(config) as application:
        yield application


def test_an_unreachable_database_fails_the_check(app, tmp_path):
    unreachable = ("postgresql+psycopg://moksori@127.0.0.1:1/moksori" if os.environ.get("TEST_DATABASE_URL")
                   else f"sqlite:///{tmp_path}/no-such-folder/moksori.sqlite3")
    with another_app(app, SQLALCHEMY_DATABASE_URI=unreachable) as down:
        status, body = answer(down.test_client())
    assert status == 503
    assert body == {"status": "failing", "checks": {**ALL_OK, "database": "failing", "keys": "failing"}}
    no_details(body, str(tmp_path), "moksori")


@contextmanager
def rate_limit_store(app, url: str):
    """The session app's limiter on a real store at `url` for a while (the limiter is one
    object per process: another app would rebind it for every test)."""
    usual_url, usual_storage = app.config["RATELIMIT_STORAGE_URI"], limiter._storage
    app.config["RATELIMIT_STORAGE_URI"], limiter._storage = url, storage_from_string(url)
    try:
        yield limiter.storage
    finally:
        app.config["RATELIMIT_STORAGE_URI"], limiter._storage = usual_url, usual_storage


def test_a_rate_limit_store_that_does_not_answer_fails_the_check(app, client):
    with rate_limit_store(app, "redis://127.0.0.1:1/0"):
        status, body = answer(client)
    assert status == 503 and body == {"status": "failing", "checks": {**ALL_OK, "rate_limits": "failing"}}
    no_details(body, "6379", ":1")


def test_a_rate_limit_store_that_answers_passes_the_check(app, client):
    url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    with rate_limit_store(app, url) as storage:
        if not storage.check():
            pytest.skip(f"Redis is not reachable at {url}; set TEST_REDIS_URL")
        assert answer(client) == (200, {"status": "ok", "checks": {**ALL_OK, "rate_limits": "ok"}})


@contextmanager
def limiter_of_a_new_process():
    """The limiter as a process that has not yet built an app finds it (no store, on), put back
    afterwards: an app with RATELIMIT_ENABLED off then leaves it without any store at all."""
    usual = limiter.enabled, limiter._storage
    limiter.enabled, limiter._storage = True, None
    try:
        yield
    finally:
        limiter.enabled, limiter._storage = usual


def test_limits_turned_off_with_a_redis_store_configured_still_answer(app):
    """Issue 20, item 7.4: RATELIMIT_ENABLED=false beside a Redis RATELIMIT_STORAGE_URI (the load
    benchmarks' settings on a production configuration) made /healthz a 500: the store it asked
    was never made. Unused limits have no store to check."""
    url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    if not storage_from_string(url).check():
        pytest.skip(f"Redis is not reachable at {url}; set TEST_REDIS_URL")
    with limiter_of_a_new_process(), another_app(app, RATELIMIT_ENABLED=False, RATELIMIT_STORAGE_URI=url) as off:
        assert answer(off.test_client()) == (200, {"status": "ok", "checks": ALL_OK})
