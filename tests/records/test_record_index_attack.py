"""What a copy of the index shows about records (SECURITY.md, "Search without plaintext").

A state knows a name — it planted a report naming 박영호 through the public form, hoping an
officer makes a record of him — and copies the server while nobody is logged in. The officer
made that record, another person of the same name, a record the state knows nothing of, and
then edited the first; each was indexed on its own (a segment each: the most an attacker can
tell apart). From the copy the attacker tries to confirm the name:

- the same 16-byte string (label, AES-GCM nonce, first block of ciphertext, tag) in two
  segments that both hold the name: what a deterministic label or encryption would show;
- the blocks' sizes and counts: does the segment of a record with a description look
  different from one with a name alone (counts are padded to classes, at least 64 heads and
  16, 8 and 4 tails of each size, then powers of two: a description long enough to need more
  than 64 tokens shows as the next class, and no more than that);
- bodies read as plaintext heads; every key the configuration holds or derives tried as the
  search key, computing the labels of the name's tokens in every segment;
- the name's bytes anywhere in the index tables.

Expected: nothing. With one protection turned off each, the same attack succeeds: bodies
encrypted deterministically (a key per segment that does not depend on its nonce, a fixed
AES-GCM nonce) repeat across segments; no padding makes segments' shapes differ; a search key
from the configuration confirms the name in exactly the segments that hold it; bodies in the
clear name their tokens.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass

import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from app.extensions import db, limiter
from app.models import Record, SearchRecordMember, Submission
from app.sealed import crypto, installation
from app.sealed.search import blocks, text, worker
from app.sealed.search import keys as search_keys
from app.services.records import records
from app.services.records.records import RecordInput
from tests.helpers import post_form, submit_report
from tests.sealed_attack import attacker
from tests.sealed_attack.attacker import Copy

NAME = "박영호"
OTHER = "황보철민"
# 40 tokens with the name and its alias, where 황보철민 alone has 7: one class of block counts.
DESCRIPTION = "회령 보위부 반탐과 지도원. 키가 크고 왼손잡이, 청진 출신."
LONG = DESCRIPTION + " 2009년부터 전거리교화소 계호원. 동생은 국경경비대 군관이다. 사람들은 그를 호랑이라고 불렀다."


@dataclass
class Scene:
    copy: Copy
    record_segments: dict[int, int]  # segment id -> the one record it holds
    named: set[int]  # segments (of records and the planted report) that hold the name
    other: int  # the segment of the record the attacker knows nothing of
    long: int  # one with a description of more than 64 tokens


@pytest.fixture
def officer(app, auth, client, org_keys):
    auth.login()
    return client


class Copies:
    """A copy of the index after each of the officer's visits (backups, a server read now and
    then), all kept: a segment rewritten since is still in an earlier copy."""

    def __init__(self, app) -> None:
        self.app = app
        self.blocks: dict[bytes, tuple[bytes, int, bytes]] = {}
        self.nonces: dict[int, bytes] = {}

    def take(self) -> Copy:
        with self.app.app_context():
            copy = Copy.read(db.session.connection())
            db.session.rollback()
        self.blocks.update({block[0]: block for block in copy.blocks})
        self.nonces.update(copy.nonces)
        return copy

    def union(self, last: Copy) -> Copy:
        return Copy(list(self.blocks.values()), last.doc_ids, self.nonces, last.member)


def _visit(officer, copies: Copies) -> None:
    assert officer.get("/staff/").status_code == 200  # the session indexes what waits
    copies.take()


def _made(app, officer, copies: Copies, make) -> int:
    with app.app_context():
        record = make()
        db.session.commit()
        record_id = record.id
    _visit(officer, copies)
    return record_id


def _segment_of(record_id: int) -> int:
    return db.session.scalar(sa.select(SearchRecordMember.segment_id).where(SearchRecordMember.record_id == record_id))


def scene(app, officer, monkeypatch, keyring) -> Scene:
    monkeypatch.setattr(limiter, "enabled", False)
    monkeypatch.setattr(worker, "MAX_OPEN", 10**6)  # no merges: every record alone in its segment
    copies = Copies(app)
    planted = submit_report(app.test_client(), narrative=f"보위원 {NAME}이 회령에서 사람들을 때렸습니다.")
    assert planted.status_code == 200
    _visit(officer, copies)

    def person(name, description=""):
        return lambda: records.create(db.session, None, RecordInput(
            kind="person", name=name, aliases=["Pak Yong-ho"] if name == NAME else [], description=description,
            person_role="perpetrator", agency="state_security"))

    first = _made(app, officer, copies, person(NAME))
    with app.app_context():
        first_segment = _segment_of(first)
    other = _made(app, officer, copies, person(OTHER))
    second = _made(app, officer, copies, person(NAME, DESCRIPTION))
    long = _made(app, officer, copies, person("김정남", LONG))

    def edited():
        record = db.session.get(Record, first)
        return records.update(db.session, None, keyring, record,
                              RecordInput(kind="person", name=NAME, description="반탐과"), record.version)

    _made(app, officer, copies, edited)
    assert post_form(officer, "/staff/logout", {}, page_url="/staff/").status_code == 302
    copy = copies.union(copies.take())
    with app.app_context():
        planted = db.session.scalar(sa.select(sa.func.max(Submission.id)))
        record_segments = {segment: record for record, segment in
                           db.session.execute(sa.select(SearchRecordMember.record_id, SearchRecordMember.segment_id))}
        named = {first_segment, _segment_of(first), _segment_of(second), copy.member[planted]}
        result = Scene(copy, record_segments, named, _segment_of(other), _segment_of(long))
        db.session.rollback()
    assert len(result.named) == 4 and first_segment in copy.nonces  # the edited record's first segment
    return result


def repeated_strings(copy: Copy, segments: set[int]) -> int:
    """16-byte strings stored in more than one of these segments."""
    where: dict[bytes, set[int]] = defaultdict(set)
    for label, segment, body in copy.blocks:
        if segment in segments:
            for part in (label, body[:12], body[12:28], body[-16:]):
                where[part].add(segment)
    return sum(1 for found in where.values() if len(found) > 1)


def shapes(copy: Copy, segments: set[int]) -> set[tuple]:
    """What each segment looks like without a key: how many blocks of each size it holds."""
    sizes: dict[int, Counter] = defaultdict(Counter)
    for _label, segment, body in copy.blocks:
        if segment in segments:
            sizes[segment][len(body)] += 1
    return {tuple(sorted(found.items())) for found in sizes.values()}


def name_tokens(name: str) -> list[str]:
    """The tokens a record holding the name has, as the source code says (text.py)."""
    query = text.parse(name)
    return [*query.tokens, text.name_key(name)]


def confirmed(copy: Copy, name: str, candidates: list[bytes]) -> set[int]:
    """The segments where some candidate key computes the label of one of the name's tokens."""
    labels = {label: segment for label, segment, _ in copy.blocks}
    found = set()
    for key in candidates:
        for token in name_tokens(name):
            token_key = attacker._token_key(key, token)
            for segment, nonce in copy.nonces.items():
                if labels.get(attacker._label(token_key, nonce, 0)) == segment:
                    found.add(segment)
    return found


def plaintext_tokens(copy: Copy) -> set[str]:
    """Tokens read from bodies as if they were not encrypted (nonce ‖ plaintext ‖ tag)."""
    found = set()
    for _label, _segment, body in copy.blocks:
        plain = body[12:-16]
        if len(plain) != attacker.HEAD_SIZE:
            continue
        kind, length, name, _count, _tails = attacker.HEAD_LAYOUT.unpack_from(plain)
        if kind not in (1, 2) or length > 64:
            continue
        try:
            token = name[:length].decode()
        except UnicodeDecodeError:
            continue
        if token[:2] in ("w:", "s:", "p:", "t:", "n:"):
            found.add(token)
    return found


def test_a_copy_cannot_confirm_a_known_name_in_the_records_index(app, officer, org_keys, monkeypatch):
    seen = scene(app, officer, monkeypatch, org_keys.keyring)
    copy = seen.copy
    assert repeated_strings(copy, set(copy.nonces)) == 0
    singles = set(seen.record_segments) - {seen.long}
    assert len(shapes(copy, singles)) == 1  # a name alone, with aliases, with a description: one shape
    (heads, *_tails), = shapes(copy, {seen.long})
    assert heads == (blocks.HEAD_PLAIN + 28, 128)  # the next class, not the count
    assert confirmed(copy, NAME, attacker.configuration_keys(app.config)) == set()
    assert not plaintext_tokens(copy)
    stored = b"".join(label + body for label, _segment, body in copy.blocks)
    for name in (NAME, OTHER, "Pak", "yong", "반탐과"):
        assert name.encode() not in stored and name.casefold().encode() not in stored


class _Deterministic:
    """AES-GCM under a key that does not depend on the segment, with a fixed nonce."""

    def __init__(self, key: bytes):
        self._aead = AESGCM(crypto.hkdf(key, b"search segment"))

    def encrypt(self, plaintext: bytes, aad: bytes) -> bytes:
        return bytes(12) + self._aead.encrypt(bytes(12), plaintext, aad)

    def decrypt(self, blob: bytes, aad: bytes) -> bytes:
        return self._aead.decrypt(blob[:12], blob[12:], aad)


class _Clear:
    def encrypt(self, plaintext: bytes, aad: bytes) -> bytes:
        return bytes(12) + plaintext + bytes(16)

    def decrypt(self, blob: bytes, aad: bytes) -> bytes:
        return blob[12:-16]


sqlite_only = pytest.mark.skipif("os.environ.get('TEST_DATABASE_URL')", reason="the mutated runs take SQLite only")


@sqlite_only
def test_with_deterministic_bodies_the_name_repeats_across_segments(app, officer, org_keys, monkeypatch):
    monkeypatch.setattr(blocks, "segment_cipher", lambda key, nonce: _Deterministic(key))
    seen = scene(app, officer, monkeypatch, org_keys.keyring)
    assert repeated_strings(seen.copy, seen.named) > 0


@sqlite_only
def test_without_padding_a_description_shows(app, officer, org_keys, monkeypatch):
    monkeypatch.setattr(blocks, "count_class", lambda count, floor: count)
    seen = scene(app, officer, monkeypatch, org_keys.keyring)
    assert len(shapes(seen.copy, set(seen.record_segments) - {seen.long})) > 1


@sqlite_only
def test_with_a_search_key_from_the_configuration_the_name_is_confirmed(app, officer, org_keys, monkeypatch):
    master = installation.parse_master_key(app.config["DATA_ENCRYPTION_KEY"])
    monkeypatch.setattr(search_keys, "random_key", lambda: crypto.hkdf(master, b"search"))
    seen = scene(app, officer, monkeypatch, org_keys.keyring)
    assert confirmed(seen.copy, NAME, attacker.configuration_keys(app.config)) == seen.named
    assert seen.other not in confirmed(seen.copy, NAME, attacker.configuration_keys(app.config))


@sqlite_only
def test_with_bodies_in_the_clear_the_names_are_read(app, officer, org_keys, monkeypatch):
    monkeypatch.setattr(blocks, "segment_cipher", lambda key, nonce: _Clear())
    seen = scene(app, officer, monkeypatch, org_keys.keyring)
    assert {text.name_key(NAME), text.name_key(OTHER), "t:박영호", "p:yong"} <= plaintext_tokens(seen.copy)
