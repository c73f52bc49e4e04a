"""Shared fixtures: one app per test session with its schema built by the real migrations,
on SQLite by default and on PostgreSQL when TEST_DATABASE_URL is set; every test starts
from empty tables (the seeded taxonomy stays), no uploaded files and fresh rate limits.
The names are Flask's (`app`, `client`, `runner`, `auth`); items and accounts come from
tests/factories.py."""
from __future__ import annotations

import os
import secrets
import shutil
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from app import create_app
from app.extensions import db, limiter
from app.models import OrgKey, User
from app.public import KEYS_SEEN, page_cache
from app.sealed import keys
from config import TestingConfig
from tests import factories
from tests.helpers import SECRET_RE, post_form, running_app, totp_code

KEEP_TABLES = {"category", "alembic_version"}
pytest_plugins = ["tests.smtp", "tests.tsa"]  # smtp_server (a real aiosmtpd server), tsa (openssl ts -reply)


def _postgres_database(admin_url: str):
    """Create a throw-away database beside TEST_DATABASE_URL's; yields its URL."""
    name = f"moksori_test_{secrets.token_hex(4)}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}" TEMPLATE template0 ENCODING \'UTF8\''))
    url = sa.engine.make_url(admin_url).set(database=name)
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n AND pid <> pg_backend_pid()"
            ), {"n": name})
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


@contextmanager
def throwaway_database(sqlite_path: Path):
    """A database of its own: beside TEST_DATABASE_URL's (created, then dropped) when that is
    set, else an SQLite file at `sqlite_path`."""
    admin_url = os.environ.get("TEST_DATABASE_URL")
    if admin_url:
        yield from _postgres_database(admin_url)
    else:
        yield f"sqlite:///{sqlite_path}"


@contextmanager
def spare_app(tmp_path: Path, name: str):
    """A second, empty instance: its own database and upload directory, the same keys."""
    with throwaway_database(tmp_path / f"{name}.sqlite3") as url:
        class Config(TestingConfig):
            SQLALCHEMY_DATABASE_URI = url
            UPLOAD_DIR = str(tmp_path / f"{name}-uploads")

        with running_app(Config) as application:
            yield application


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    with throwaway_database(tmp_path_factory.mktemp("db") / "test.sqlite3") as url:
        yield url


@pytest.fixture(scope="session")
def app(database_url, tmp_path_factory):
    class Config(TestingConfig):
        SQLALCHEMY_DATABASE_URI = database_url
        UPLOAD_DIR = str(tmp_path_factory.mktemp("uploads"))

    application = create_app(Config)
    with application.app_context():
        upgrade()
    factories.use_app(application)
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(autouse=True)
def _clean_state(request, app):
    yield
    with app.app_context():
        db.session.remove()
        # Every model table exists: the migrations build exactly the models (test_migrations).
        tables = [t for t in reversed(db.metadata.sorted_tables) if t.name not in KEEP_TABLES]
        with db.engine.begin() as connection:
            for table in tables:
                connection.execute(table.delete())
        limiter.reset()
        page_cache.store().clear()  # as a worker that starts afresh
    upload_dir = Path(app.config["UPLOAD_DIR"])
    for child in upload_dir.iterdir():
        shutil.rmtree(child) if child.is_dir() else child.unlink()


class OrgKeys:
    """The organization's keys of one test: made fresh for each (the tables are emptied after
    every test), with the recovery code that opens them."""

    def __init__(self, keyring, code):
        self.keyring, self.code = keyring, code


@pytest.fixture(autouse=True)
def org_keys(app):
    with app.app_context():
        keyring, code = keys.create_keys(db.session, "test")
        db.session.commit()
    factories.use_keys(keyring)
    yield OrgKeys(keyring, code)
    factories.use_keys(keys.Keyring())


@pytest.fixture
def no_keys(app, org_keys):
    """An installation whose first admin has not created the organization's keys yet."""
    with app.app_context():
        db.session.execute(sa.delete(OrgKey))
        db.session.commit()
    # Removing keys is something only a test does: the app keeps a "yes" for a minute.
    app.extensions.pop(KEYS_SEEN, None)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def app_ctx(app):
    with app.app_context():
        yield app


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


class AuthActions:
    """Staff log in through the real forms (CSRF on): password, then the TOTP code. A user who
    does not exist yet is made by UserFactory, and their first login enrolls TOTP, as the
    page shows the secret then (so each account logs in once through here)."""

    def __init__(self, app, client):
        self._app = app
        self._client = client

    def login(self, role="officer", email=None, languages=("ko",), locale=None, client=None,
              contact_access=None, totp_secret=None, password=factories.PASSWORD) -> User:
        """Log `client` (by default the test's) in; returns the user, with its TOTP secret as
        `totp_secret` and the code it gave as `totp_code_used`. A new officer may not see contact
        details unless `contact_access`. An
        account that has logged in before needs its `totp_secret` (the next time step's code is
        used: a step already used is refused)."""
        client = client or self._client
        email = email or f"{role}@example.org"
        with self._app.app_context():
            user = db.session.scalar(sa.select(User).where(User.email == email))
        if user is None:
            access = {} if contact_access is None else {"contact_access": contact_access}
            user = factories.UserFactory(email=email, admin=role == "admin", languages=languages, locale=locale,
                                         **access)
        response = post_form(client, "/staff/login", {"email": email, "password": password})
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        if totp_secret is None:
            user.totp_secret = SECRET_RE.search(client.get("/staff/2fa").get_data(as_text=True)).group(1)
            code = totp_code(user.totp_secret)
        else:
            user.totp_secret, code = totp_secret, totp_code(totp_secret, offset_steps=1)
        response = post_form(client, "/staff/2fa", {"code": code})
        assert response.status_code == 302, response.get_data(as_text=True)[:800]
        user.totp_code_used = code
        return user

    def logout(self):
        return post_form(self._client, "/staff/logout", {}, page_url="/staff/")


@pytest.fixture
def auth(app, client):
    return AuthActions(app, client)
