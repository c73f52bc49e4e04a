"""The receipt code's Argon2id (64 MiB, ~140 ms of a core; seconds on a loaded machine) runs with
no transaction open. On SQLite every transaction holds the write lock (app/database.py): with the
derivation inside it, concurrent reports queued behind each other's Argon2id, and under load
some waited past the busy timeout (bench/README.md, 16 of 100). PostgreSQL has no such lock, so
this is SQLite's test."""
from __future__ import annotations

import sqlite3

import pytest
import sqlalchemy as sa

from app.sealed import sealing
from tests.helpers import post_form, receipt_code, submit_report


@pytest.fixture
def lock_probe(app, monkeypatch):
    """Each derivation of a receipt secret first asks whether another writer could start now."""
    url = sa.make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() != "sqlite":
        pytest.skip("SQLite's write lock; PostgreSQL writers do not wait for each other here")
    seen: list[str] = []
    derive = sealing.derive_key

    def probing(*args, **kwargs):
        other = sqlite3.connect(url.database, timeout=0)
        try:
            other.execute("BEGIN IMMEDIATE")
            other.rollback()
            seen.append("free")
        except sqlite3.OperationalError:
            seen.append("locked")
        finally:
            other.close()
        return derive(*args, **kwargs)

    monkeypatch.setattr(sealing, "derive_key", probing)
    return seen


def test_a_report_derives_its_receipt_key_without_holding_the_write_lock(client, lock_probe):
    response = submit_report(client)
    assert response.status_code == 200 and receipt_code(response.get_data(as_text=True))
    assert lock_probe == ["free"]


def test_a_contact_request_derives_its_receipt_key_without_holding_the_write_lock(client, lock_probe):
    response = post_form(client, "/ko/contact", {"alias": "영희", "language": "ko", "topic": "evidence",
                                                 "channel": "signal", "handle": "@younghee"})
    assert response.status_code == 200 and receipt_code(response.get_data(as_text=True))
    assert lock_probe == ["free"]


def test_entering_a_receipt_code_derives_without_holding_the_write_lock(client, lock_probe):
    code = receipt_code(submit_report(client).get_data(as_text=True))
    lock_probe.clear()
    response = post_form(client, "/ko/receipt", {"code": code})
    assert response.status_code == 302
    assert lock_probe == ["free"]
