"""Issue 18's attack on the search index, through the real forms, on SQLite and PostgreSQL.

A state service plants reports holding a dictionary (every pair of the 400 commonest
syllables, names from common surnames and given-name syllables, North Korean places and
facilities), each pair in its own set of 5 of 32 reports, and takes a copy after each one is
indexed. Thirty people send testimonies naming people and places from those very lists: ten
indexed together, ten one at a time, ten in the same batch as a further planted report (sent
the same night). Segments are merged, the officer logs out, and the attacker copies the
database and tries everything in tests/sealed_attack/attacker.py.

Expected: no name, no place, and syllables put back no better than always guessing the
commonest one. The same attack, with one protection turned off, must succeed: a search key
that the configuration gives away (not random, sealed to the org key) opens every segment;
bodies that are not encrypted give every token and its positions. (Labels that repeat across
segments, which a codebook would need, cannot even be stored: a label is unique in its table,
and one computed without the segment's nonce fails the second segment's insert.)

The mutated runs take SQLite only: the protections are the same code on both databases; the
unmutated attack runs on both.
"""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.extensions import db, limiter
from app.models import Submission
from app.sealed import crypto, installation
from app.sealed.search import blocks, worker
from app.sealed.search import keys as search_keys
from tests.helpers import post_form, receipt_code, submit_report
from tests.sealed_attack import attacker, dictionary
from tests.sealed_attack.attacker import Attacker, Copy, Result

CHUNK = 19_000  # characters per form field (the forms take 20,000)


def _chunks(words: list[str]) -> list[str]:
    out, current = [], []
    size = 0
    for word in words:
        if size + len(word) + 1 > CHUNK:
            out.append(" ".join(current))
            current, size = [], 0
        current.append(word)
        size += len(word) + 1
    return [*out, " ".join(current)] if current else out


def _newest_id(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.max(Submission.id)))


def send(app, words: list[str]) -> int:
    """A report through the public form, then follow-ups on the receipt page, as the attacker
    or a victim would send them; returns the submission's id."""
    sender = app.test_client()
    chunks = _chunks(words)
    page = submit_report(sender, narrative=chunks[0])
    assert page.status_code == 200, page.status_code
    sid = _newest_id(app)
    if len(chunks) > 1:
        assert post_form(sender, "/ko/receipt", {"code": receipt_code(page.get_data(as_text=True))}).status_code == 302
        for chunk in chunks[1:]:
            assert post_form(sender, "/ko/receipt/status", {"body": chunk}, files=[]).status_code == 302
    return sid


def officer_visits(officer) -> None:
    """An officer opens the queue: the session indexes what waits (and merges what is due)."""
    assert officer.get("/staff/").status_code == 200


def scenario(app, officer, monkeypatch) -> tuple[Copy, Attacker, dict[int, dictionary.Victim], set[int]]:
    monkeypatch.setattr(limiter, "enabled", False)  # the attacker uses a new Tor circuit for each report
    spy = Attacker()
    planted: set[int] = set()
    with monkeypatch.context() as early:
        early.setattr(worker, "MAX_OPEN", 10**6)  # merges have not caught up: each plant alone in a segment
        for plant, pairs in enumerate(attacker.planted_texts()):
            sid = send(app, pairs)
            planted.add(sid)
            officer_visits(officer)
            with app.app_context():
                spy.snapshot(plant, db.session.connection(), sid)
                db.session.rollback()
        people = dictionary.victims()
        victims: dict[int, dictionary.Victim] = {}
        for victim in people[:10]:  # one morning's reports, indexed together
            victims[send(app, [victim.text])] = victim
        officer_visits(officer)
        for victim in people[10:20]:  # each indexed on its own
            victims[send(app, [victim.text])] = victim
            officer_visits(officer)
        night = [name for victim in people for name in victim.names] + dictionary.PLACES + dictionary.FACILITIES
        planted.add(send(app, night))  # sent the same night as the last ten
        for victim in people[20:]:
            victims[send(app, [victim.text])] = victim
        officer_visits(officer)
    officer_visits(officer)  # merges catch up
    assert post_form(officer, "/staff/logout", {}, page_url="/staff/").status_code == 302
    with app.app_context():
        staff = sa.text("SELECT count(*) FROM key_session WHERE kind = 'staff'")
        assert db.session.scalar(staff) == 0  # no officer is logged in
        copy = Copy.read(db.session.connection())
        db.session.rollback()
    return copy, spy, victims, planted


@pytest.fixture
def officer(app, auth, client, org_keys):
    auth.login()
    return client


def attack(app, officer, monkeypatch) -> tuple[Result, int, int]:
    copy, spy, victims, planted = scenario(app, officer, monkeypatch)
    result = spy.attack(copy, victims, planted, attacker.configuration_keys(app.config))
    names = sum(len(v.names) for v in victims.values())
    places = sum(len(v.places) for v in victims.values())
    return result, names, places


def test_a_copy_with_planted_reports_reads_nobody_elses_testimony(app, officer, monkeypatch):
    result, _names, _places = attack(app, officer, monkeypatch)
    assert result.codebook == 0 and result.plaintext_heads == 0 and result.shared_bytes == 0
    assert not result.key_found
    assert result.names == set()
    assert result.places == set()
    assert result.syllables_right <= result.baseline + 0.005


sqlite_only = pytest.mark.skipif("os.environ.get('TEST_DATABASE_URL')", reason="the mutated runs take SQLite only")


@sqlite_only
def test_with_a_search_key_from_the_configuration_the_copy_reads_everything(app, officer, monkeypatch):
    """Protection off: the search key derived from DATA_ENCRYPTION_KEY instead of random."""
    master = installation.parse_master_key(app.config["DATA_ENCRYPTION_KEY"])
    monkeypatch.setattr(search_keys, "random_key", lambda: crypto.hkdf(master, b"search"))
    result, names, places = attack(app, officer, monkeypatch)
    assert result.key_found
    assert len(result.names) >= names * 0.9 and len(result.places) >= places * 0.9
    assert result.syllables_right >= 0.95 > result.baseline + 0.5


class _NoEncryption:
    def encrypt(self, plaintext: bytes, aad: bytes) -> bytes:
        return bytes(12) + plaintext + bytes(16)

    def decrypt(self, blob: bytes, aad: bytes) -> bytes:
        return blob[12:-16]


@sqlite_only
def test_with_bodies_in_the_clear_positions_give_the_texts_back(app, officer, monkeypatch):
    """Protection off: block bodies that are not encrypted show every token and its positions."""
    monkeypatch.setattr(blocks, "segment_cipher", lambda key, nonce: _NoEncryption())
    result, names, _places = attack(app, officer, monkeypatch)
    assert result.plaintext_heads > 0
    assert len(result.names) >= names * 0.9
    # A common word's postings beyond a head's first 13 are in tails that no key links to it.
    assert result.syllables_right >= 0.8 > result.baseline + 0.5
