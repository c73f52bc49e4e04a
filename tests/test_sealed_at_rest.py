"""What a copy of the server holds about what people wrote, attacked without keys:

- determinism: eight identical reports leave no more repeated high-entropy byte strings at
  rest than eight different reports of the same length;
- lengths: two reports whose texts and files differ by 1 to 200 bytes within one size class
  cannot be told apart, in the database, the files or the search index;
- order: the blocks of one token are not stored next to each other;
- several copies over time: what changed between two copies is which submissions were indexed
  in between, and nothing that links a new block to an old one.

Each protection is also turned off, and the same check must then catch it.
"""
from __future__ import annotations

import base64
import contextlib
import itertools
import json
import random
import re
import string
from pathlib import Path

import numpy as np
import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from app.extensions import db, limiter
from app.models import Attachment, SearchBlock, SearchMember, SearchSegment, Submission
from app.sealed import crypto, search
from app.sealed.search import blocks, segments
from app.sealed.vault import CONTENT_FIELDS
from tests.helpers import submit_report
from tests.sealed_attack import dictionary

KOREAN = dictionary.commonest_syllables()[:300]


def officer_visits(officer) -> None:
    assert officer.get("/staff/").status_code == 200


@pytest.fixture
def officer(app, auth, client, org_keys, monkeypatch):
    monkeypatch.setattr(limiter, "enabled", False)
    auth.login()
    return client


def korean_text(rng: random.Random, syllables: int) -> str:
    words, left = [], syllables
    while left > 0:
        size = min(left, rng.randint(2, 5))
        words.append("".join(rng.choice(KOREAN) for _ in range(size)))
        left -= size
    return " ".join(words)


ENCODED = re.compile(r"[0-9a-fA-F]{32,}|[A-Za-z0-9_-]{43,}={0,2}")


def _as_bytes(value) -> list[bytes]:
    """A binary value as it is; in a text value, the runs of hex or base64 that could carry a
    key, a hash or a MAC, decoded (the words, dates and codes of text columns are not what
    repeats when content is encrypted deterministically)."""
    if isinstance(value, bytes):
        return [value]
    found = []
    for run in ENCODED.findall(str(value)):
        with contextlib.suppress(ValueError):  # not hex nor base64 after all: a word
            found.append(bytes.fromhex(run) if len(run) % 2 == 0 and all(c in string.hexdigits for c in run)
                         else base64.urlsafe_b64decode(run + "=" * (-len(run) % 4)))
    return found


def rows_at_rest(app) -> dict[tuple[str, str], list[bytes]]:
    """Every row of every table, as bytes, by (table, primary key): what a dump holds."""
    found = {}
    with app.app_context():
        connection = db.session.connection()
        for table in db.metadata.sorted_tables:
            key = [column.name for column in table.primary_key.columns]
            for row in connection.execute(sa.select(table)).mappings():
                values = [part for value in row.values() if value is not None for part in _as_bytes(value)]
                found[(table.name, repr([row[k] for k in key]))] = values
        db.session.rollback()
    for path in Path(app.config["UPLOAD_DIR"]).rglob("*"):
        if path.is_file():
            found[("file", path.name)] = [path.read_bytes()]
    return found


def repeated_strings(values: list[bytes], width: int = 16) -> int:
    """How many distinct high-entropy byte strings of `width` bytes (at least 12 different byte
    values, as random bytes have) occur more than once among `values`. Random bytes never
    repeat; encrypted content repeats only when equal content gives equal ciphertext."""
    windows = [np.lib.stride_tricks.sliding_window_view(np.frombuffer(v, np.uint8), width)
               for v in values if len(v) >= width]
    if not windows:
        return 0
    every = np.concatenate(windows)
    distinct = 1 + (np.diff(np.sort(every, axis=1), axis=1) != 0).sum(axis=1)
    rows = np.ascontiguousarray(every[distinct >= 12])
    _, counts = np.unique(rows.view(np.dtype((np.void, width))).ravel(), return_counts=True)
    return int((counts > 1).sum())


def written_by(app, action) -> list[bytes]:
    """The values stored by `action` (rows and files that were not there before)."""
    before = rows_at_rest(app)
    action()
    after = rows_at_rest(app)
    return [value for key, values in after.items() if before.get(key) != values for value in values]


# --- determinism ------------------------------------------------------------------------------

def eight_reports(app, officer, texts: list[str]) -> list[bytes]:
    def send() -> None:
        for text in texts:  # each indexed in its own officer visit: eight segments
            assert submit_report(app.test_client(), narrative=text).status_code == 200
            officer_visits(officer)
    return written_by(app, send)


def determinism(app, officer) -> tuple[int, int]:
    """Repeated strings at rest after eight identical reports, and after eight different ones."""
    rng = random.Random(5)
    same = korean_text(rng, 400)
    identical = repeated_strings(eight_reports(app, officer, [same] * 8))
    different = []
    for _ in range(8):
        text = korean_text(rng, 400)
        different.append((text + "가" * len(same))[:len(same)])
    control = repeated_strings(eight_reports(app, officer, different))
    return identical, control


def test_identical_reports_leave_no_more_repeated_bytes_than_different_ones(app, officer):
    """What repeats in both runs (about 230 strings) is the audit chain, each event naming the
    previous one's hash in hex, and how many events the two runs write differs by a few (231
    against 226 was seen on PostgreSQL). Ten is that margin; equal ciphertext for equal
    content repeats far more (the mutant below: more than 50 over the control)."""
    identical, control = determinism(app, officer)
    assert identical <= control + 10, (identical, control)


class _Deterministic:
    """Block bodies under one key and one nonce: equal content, equal ciphertext."""

    def __init__(self) -> None:
        self._aead = AESGCM(b"d" * 32)

    def encrypt(self, plaintext: bytes, aad: bytes) -> bytes:
        return bytes(12) + self._aead.encrypt(bytes(12), plaintext, aad)

    def decrypt(self, blob: bytes, aad: bytes) -> bytes:
        return self._aead.decrypt(blob[:12], blob[12:], aad)


def test_with_deterministic_block_encryption_identical_reports_repeat_at_rest(app, officer, monkeypatch):
    monkeypatch.setattr(blocks, "segment_cipher", lambda key, nonce: _Deterministic())
    identical, control = determinism(app, officer)
    assert identical > control + 50, (identical, control)


# --- lengths ----------------------------------------------------------------------------------

def content_length(narrative: str) -> int:
    """The sealed account's plaintext length, as sealing.ItemKey.seal_json makes it."""
    values = {name: None for name in CONTENT_FIELDS} | {"narrative": narrative}
    return len(json.dumps(values, ensure_ascii=False, sort_keys=True).encode())


def footprint(app, sid: int) -> dict:
    """Everything a copy shows of one submission: sealed values' lengths, its files' sizes at
    rest, and its search segment (it is alone in it)."""
    with app.app_context():
        item = db.session.get(Submission, sid)
        sealed = {column: len(getattr(item, column) or b"") for column in (
            "key_for_org", "key_for_receipt", "content_sealed", "contact_sealed", "notice_sealed")}
        files = sorted((a.size_class, len(a.name_sealed), len(a.hashes_sealed),
                        Path(app.config["UPLOAD_DIR"], a.stored_name[:2], a.stored_name).stat().st_size)
                       for a in db.session.scalars(sa.select(Attachment).where(Attachment.submission_id == sid)))
        segment = db.session.get(SearchSegment, db.session.scalar(
            sa.select(SearchMember.segment_id).where(SearchMember.submission_id == sid)))
        bodies = sorted(len(b) for b in db.session.scalars(sa.select(SearchBlock.body)
                                                           .where(SearchBlock.segment_id == segment.id)))
        found = {"sealed": sealed, "files": files, "segment": (segment.docs, segment.heads, segment.tails),
                 "blocks": bodies}
        db.session.rollback()
    return found


def extra_text(rng: random.Random, size: int) -> str:
    """`size` bytes more of a testimony: new words where there is room (they add to the index
    too), then single letters."""
    text = ""
    while size - len(text.encode()) >= 4:
        text += " " + "".join(rng.choice(KOREAN) for _ in range(min(3, (size - len(text.encode()) - 1) // 3)))
    return text + "y" * (size - len(text.encode()))


def footprints(app, officer, difference: int) -> list[dict]:
    """What a copy shows of a report with a file, and of the same with `difference` bytes more
    in the text and in the file (both within one size class)."""
    rng = random.Random(difference)
    narrative = " ".join(victim.text for victim in dictionary.victims()[:12])
    while content_length(narrative) > 3850:
        narrative = narrative[:-1]
    narrative += "x" * (3850 - content_length(narrative))  # the account's plaintext: 3,850 bytes
    file_bytes = b"a plain text note. " * 202 + b"..."  # 3,841 bytes: the 4 KiB class with its marker byte
    prints = []
    for extra in ("", extra_text(rng, difference)):
        assert 3840 < content_length(narrative + extra) + 1 <= 4096  # one class: 3,841 to 4,096 bytes
        submit_report(app.test_client(), narrative=narrative + extra,
                      files=[("기록.txt", file_bytes + b"z" * len(extra.encode()))])
        officer_visits(officer)
        with app.app_context():
            sid = db.session.scalar(sa.select(sa.func.max(Submission.id)))
            db.session.rollback()
        prints.append(footprint(app, sid))
    return prints


@pytest.mark.parametrize("difference", [1, 57, 200])
def test_reports_differing_by_up_to_200_bytes_in_one_class_look_the_same(app, officer, difference):
    first, second = footprints(app, officer, difference)
    assert first == second


def test_without_padding_of_values_and_files_the_lengths_show(app, officer, monkeypatch):
    monkeypatch.setattr(crypto, "size_class", lambda length: length)
    first, second = footprints(app, officer, 57)
    assert first["sealed"] != second["sealed"] and first["files"] != second["files"]


def test_without_padding_of_block_counts_the_index_shows_lengths(app, officer, monkeypatch):
    monkeypatch.setattr(blocks, "count_class", lambda count, floor: count)
    first, second = footprints(app, officer, 200)
    assert first["segment"] != second["segment"] and first["sealed"] == second["sealed"]


# --- order ------------------------------------------------------------------------------------

def order(app, officer, org_keys) -> float:
    """With the key (which the attacker lacks), how often a real block is stored after a block
    of the same or a later token, in the order the segment holds its tokens (their first use in
    the text): near 1 the table's physical order would replay the order of the words and keep a
    token's blocks together (how often it occurs); 0.5 is chance."""
    rng = random.Random(9)
    text = " ".join(korean_text(rng, 3) + " 고문을 당했습니다" for _ in range(400))
    assert submit_report(app.test_client(), narrative=text).status_code == 200
    officer_visits(officer)
    with app.app_context():
        keys = search.open_keys(db.session, org_keys.keyring)
        nonce = db.session.scalars(sa.select(SearchSegment.nonce)).one()
        physical = "ctid" if db.engine.dialect.name == "postgresql" else "rowid"
        stored = list(db.session.scalars(sa.text(f"SELECT label FROM search_block ORDER BY {physical}")))
        db.session.rollback()
    _ids, postings = segments.postings_of([(1, search.document([text]))])
    rank = {}  # label -> the place of its token among the segment's tokens
    for place, (token, found) in enumerate(postings.items()):
        key = blocks.token_key(keys.current, token)
        for index in range(blocks.CURRENT.tails_of(token, len(found)) + 1):
            rank[blocks.label(key, nonce, index)] = place
    real = [rank[label] for label in stored if label in rank]
    assert len(real) >= 200 and sum(1 for label in stored if label in rank) == len(rank)
    return sum(later >= earlier for earlier, later in itertools.pairwise(real)) / (len(real) - 1)


def test_the_blocks_of_a_segment_are_stored_in_no_order_of_their_tokens(app, officer, org_keys):
    assert order(app, officer, org_keys) < 0.6


def test_without_shuffling_the_blocks_follow_their_tokens(app, officer, org_keys, monkeypatch):
    monkeypatch.setattr(blocks, "shuffled", lambda rows: rows)
    assert order(app, officer, org_keys) > 0.9


# --- copies over time -------------------------------------------------------------------------

def test_two_copies_show_which_submissions_were_indexed_in_between_and_nothing_else(app, officer):
    """The differences between two copies, as an attacker holding two backups sees them."""
    first = [submit_report(app.test_client(), narrative=f"{n}번 증언: 회령 집결소에서 맞았습니다.") for n in range(3)]
    assert all(page.status_code == 200 for page in first)
    officer_visits(officer)
    with app.app_context():
        before = {label: (segment, body) for label, segment, body in
                  db.session.execute(sa.select(SearchBlock.label, SearchBlock.segment_id, SearchBlock.body))}
        segments_before = set(db.session.scalars(sa.select(SearchSegment.id)))
        db.session.rollback()
    later = submit_report(app.test_client(), narrative="회령 집결소에서 맞았다는 증언이 또 있습니다.")
    assert later.status_code == 200
    officer_visits(officer)
    with app.app_context():
        new_id = db.session.scalar(sa.select(sa.func.max(Submission.id)))
        after = {label: (segment, body) for label, segment, body in
                 db.session.execute(sa.select(SearchBlock.label, SearchBlock.segment_id, SearchBlock.body))}
        new_segments = {segment: segments.doc_ids(raw).tolist() for segment, raw in db.session.execute(
            sa.select(SearchSegment.id, SearchSegment.doc_ids).where(SearchSegment.id.not_in(segments_before)))}
        db.session.rollback()
    added = {label: value for label, value in after.items() if label not in before}
    # What the two copies tell: a new segment, and which submission it indexed.
    assert list(new_segments.values()) == [[new_id]]
    # Nothing links it to the old blocks: no label, no body, no 16-byte string of one in the other.
    old_strings = {body[i:i + 16] for _segment, body in before.values() for i in range(0, len(body) - 15, 8)}
    assert not any(body[i:i + 16] in old_strings for _s, body in added.values() for i in range(0, len(body) - 15, 8))
    assert all(before[label] == after[label] for label in before if label in after)  # old blocks are untouched
