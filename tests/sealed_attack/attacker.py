"""The attack of issue 18, written as well as we can, against a copy of the search index.

The attacker sends reports of its own choosing, sees which segment each of them lands in (it
may take a copy after each one: backups, or a server it can read now and then), then copies
everything while no officer is logged in and tries to read everybody else's testimony with
what the copy holds:

- a codebook: which labels appear in the segments of which planted reports. Each dictionary
  pair is planted in its own set of reports (a code of weight CODE_WEIGHT among PLANTS), so a
  label seen in exactly the segments of that set names that pair — if labels repeat at all;
- block bodies read as plaintext heads (a token and its first postings with positions), in
  case they are not encrypted;
- every key the configuration holds, or derives, tried as the search key: with it, the label
  of every dictionary pair can be computed for every segment and every head decrypted;
- the same byte string stored for a planted report and for someone else's (any deterministic
  encryption of equal content);
- then names (surname + given syllables), places and facilities whose every pair was decoded
  in a victim's segment, and the victim's text put back in order from decoded positions; where
  nothing is known, the commonest syllable.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import struct
from collections import defaultdict
from dataclasses import dataclass, field
from difflib import SequenceMatcher

import numpy as np
import sqlalchemy as sa
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from tests.sealed_attack import dictionary

PLANTS, CODE_WEIGHT = 32, 5
HEAD_LAYOUT = struct.Struct("<BB64sII")  # as the source code, which the attacker has, says
HEAD_SIZE, HEAD_POSTINGS = 128, 13
POSITION_BITS = 19


def codes(count: int) -> list[tuple[int, ...]]:
    """A distinct set of CODE_WEIGHT plants for each of `count` pairs."""
    found = list(itertools.islice(itertools.combinations(range(PLANTS), CODE_WEIGHT), count))
    if len(found) < count:
        raise ValueError("more pairs than codes")
    return found


def planted_texts() -> list[list[str]]:
    """Per plant, the pairs it carries (each pair goes into the plants of its code)."""
    texts: list[list[str]] = [[] for _ in range(PLANTS)]
    for pair, code in zip(dictionary.planted_pairs(), codes(len(dictionary.planted_pairs())), strict=True):
        for plant in code:
            texts[plant].append(pair)
    return texts


@dataclass
class Copy:
    """The index tables as a copy of the database holds them, and who is in which segment."""

    blocks: list[tuple[bytes, int, bytes]]  # label, segment id, body
    doc_ids: dict[int, list[int]]  # segment id -> submission ids in document order
    nonces: dict[int, bytes]
    member: dict[int, int]  # submission id -> segment id

    @classmethod
    def read(cls, connection: sa.Connection) -> Copy:
        blocks = [tuple(row) for row in connection.execute(sa.text("SELECT label, segment_id, body FROM search_block"))]
        doc_ids, nonces = {}, {}
        for segment_id, raw, nonce in connection.execute(
                sa.text("SELECT id, doc_ids, nonce FROM search_segment WHERE state = 'live'")):
            doc_ids[segment_id], nonces[segment_id] = np.frombuffer(raw, "<i8").tolist(), bytes(nonce)
        member = dict(connection.execute(sa.text("SELECT submission_id, segment_id FROM search_member")).tuples().all())
        return cls([(bytes(a), b, bytes(c)) for a, b, c in blocks], doc_ids, nonces, member)

    def labels_of(self, segment_id: int) -> set[bytes]:
        return {label for label, segment, _ in self.blocks if segment == segment_id}


@dataclass
class Result:
    names: set[tuple[int, str]] = field(default_factory=set)  # (victim, name) decoded and true
    places: set[tuple[int, str]] = field(default_factory=set)
    syllables_right: float = 0.0  # share of the victims' syllables put back in place
    baseline: float = 0.0  # the same, always guessing the commonest syllable
    codebook: int = 0  # labels the attacker could name
    plaintext_heads: int = 0
    key_found: bool = False  # a key of the configuration opens the index
    shared_bytes: int = 0  # 16-byte strings stored both for planted reports and for others


class Attacker:
    def __init__(self) -> None:
        self.pair_of_code = {code: pair for pair, code in zip(dictionary.planted_pairs(),
                                                             codes(len(dictionary.planted_pairs())), strict=True)}
        self.seen: dict[int, set[bytes]] = {}  # plant -> labels of its segment when it was indexed

    def snapshot(self, plant: int, connection: sa.Connection, submission_id: int) -> None:
        """A copy taken just after the plant was indexed: the labels of its segment."""
        self.seen[plant] = {bytes(label) for label in connection.scalars(sa.text(
            "SELECT label FROM search_block WHERE segment_id = "
            "(SELECT segment_id FROM search_member WHERE submission_id = :sid)"), {"sid": submission_id})}

    def codebook(self) -> dict[bytes, str]:
        where: dict[bytes, set[int]] = defaultdict(set)
        for plant, labels in self.seen.items():
            for label in labels:
                where[label].add(plant)
        return {label: self.pair_of_code[code] for label, plants in where.items()
                if (code := tuple(sorted(plants))) in self.pair_of_code}

    @staticmethod
    def plaintext_heads(copy: Copy) -> dict[int, list[tuple[str, list[int]]]]:
        """Bodies that read as a head without any key (12-byte nonce, plaintext, 16-byte tag)."""
        found: dict[int, list[tuple[str, list[int]]]] = defaultdict(list)
        for _label, segment, body in copy.blocks:
            plain = body[12:-16]
            if len(plain) != HEAD_SIZE:  # heads are the blocks of the smallest size
                continue
            kind, length, name, count, _tails = HEAD_LAYOUT.unpack_from(plain)
            if kind != 1 or length > 64:
                continue
            try:
                token = name[:length].decode()
            except UnicodeDecodeError:
                continue
            if token[:2] in ("w:", "s:", "p:"):
                postings = np.frombuffer(plain, "<u4", count=min(count, 13), offset=HEAD_LAYOUT.size).tolist()
                found[segment].append((token, postings))
        return found

    @staticmethod
    def shared_strings(copy: Copy, planted_segments: set[int]) -> int:
        """Labels, nonces, first ciphertext blocks or tags that planted segments share with the
        others: what equal content encrypted deterministically would show."""
        def strings(inside: bool) -> set[bytes]:
            return {part for label, segment, body in copy.blocks if (segment in planted_segments) == inside
                    for part in (label, body[:12], body[12:28], body[-16:])}
        return len(strings(True) & strings(False))

    @staticmethod
    def with_key(copy: Copy, candidates: list[bytes], segments: set[int]) -> dict[int, list[tuple[str, list[int]]]]:
        """If a candidate is the search key (a few common tokens' labels are found with it):
        every head of these segments, decrypted with the segment's key (the formulas are in
        the source code, app/sealed/search/blocks.py), names its token and its positions."""
        labels = {label for label, _segment, _body in copy.blocks}
        probe = ["w:니다", "w:습니", "w:에서", "s:그"]
        for key in candidates:
            if not any(_label(_token_key(key, token), nonce, 0) in labels
                       for token in probe for nonce in copy.nonces.values()):
                continue
            found: dict[int, list[tuple[str, list[int]]]] = defaultdict(list)
            ciphers = {segment: AESGCM(HKDF(hashes.SHA256(), 32, copy.nonces[segment],
                                            b"moksori search segment").derive(key)) for segment in segments}
            bodies = {label: body for label, _segment, body in copy.blocks}
            for label, segment, body in copy.blocks:
                if segment not in ciphers or len(body) != 12 + HEAD_SIZE + 16:
                    continue
                try:
                    plain = ciphers[segment].decrypt(body[:12], body[12:], label)
                except InvalidTag:
                    continue
                kind, length, name, count, tails = HEAD_LAYOUT.unpack_from(plain)
                if kind != 1:
                    continue
                token = name[:length].decode()
                postings = np.frombuffer(plain, "<u4", count=min(count, HEAD_POSTINGS),
                                         offset=HEAD_LAYOUT.size).tolist()
                token_key = _token_key(key, token)
                for index in range(1, tails + 1):  # with the key, a head's tails are found too
                    tail_label = _label(token_key, copy.nonces[segment], index)
                    tail = bodies[tail_label]
                    plain_tail = ciphers[segment].decrypt(tail[:12], tail[12:], tail_label)
                    postings += np.frombuffer(plain_tail, "<u4").tolist()
                found[segment].append((token, postings[:count]))
            return found
        return {}

    def attack(self, copy: Copy, victims: dict[int, dictionary.Victim], planted: set[int],
               configuration: list[bytes] = ()) -> Result:
        result = Result()
        book = self.codebook()
        heads = self.plaintext_heads(copy)
        result.codebook, result.plaintext_heads = len(book), sum(len(v) for v in heads.values())
        opened = self.with_key(copy, list(configuration), {copy.member[sid] for sid in victims})
        result.key_found = bool(opened)
        for segment, found in opened.items():
            heads[segment] += found
        result.shared_bytes = self.shared_strings(copy, {copy.member[sid] for sid in planted if sid in copy.member})
        label_segments: dict[int, set[str]] = defaultdict(set)
        for label, segment, _ in copy.blocks:
            if label in book:
                label_segments[segment].add(book[label])
        for segment, found in heads.items():
            label_segments[segment].update(token[2:] for token, _ in found if token.startswith("w:"))
        commonest = dictionary.commonest_syllables()[0]
        right = baseline = total = 0
        names_in, places_in, texts_in = {}, {}, {}  # per segment, worked out once
        for sid, victim in victims.items():
            segment = copy.member.get(sid)
            if segment not in names_in:
                pairs = label_segments.get(segment, set())
                names_in[segment] = _names(pairs)
                places_in[segment] = {place for place in dictionary.PLACES + dictionary.FACILITIES
                                      if all(pair in pairs for pair in dictionary.pairs_of(place))}
                texts_in[segment] = _texts(heads.get(segment, []))
            result.names.update((sid, name) for name in names_in[segment] & set(victim.names))
            result.places.update((sid, place) for place in places_in[segment] & set(victim.places))
            truth = dictionary.syllables(victim.text)
            doc_ids = copy.doc_ids.get(segment, [])
            guess = (texts_in[segment].get(doc_ids.index(sid), "") if sid in doc_ids else "") or commonest * len(truth)
            right += _matched(truth, guess)
            baseline += _matched(truth, commonest * len(truth))
            total += len(truth)
        result.syllables_right, result.baseline = right / total, baseline / total
        return result


def configuration_keys(config: dict) -> list[bytes]:
    """Every key a copy of the configuration holds, and what a program could derive from it."""
    master = base64.urlsafe_b64decode(config["DATA_ENCRYPTION_KEY"].encode() + b"==")
    secret = hashlib.sha256(config["SECRET_KEY"].encode()).digest()
    found = [master, secret]
    for base in (master, secret):
        for label in (b"search", b"search tokens", b"search key", b"search index", b"field", b"file"):
            found.append(HKDF(hashes.SHA256(), 32, None, b"moksori " + label).derive(base))
    return found


def _token_key(key: bytes, token: str) -> bytes:
    return hmac.digest(key, b"search token " + token.encode(), hashlib.sha256)


def _label(token_key: bytes, nonce: bytes, index: int) -> bytes:
    return hmac.digest(token_key, nonce + index.to_bytes(4, "big"), hashlib.sha256)[:16]


def _names(pairs: set[str]) -> set[str]:
    """Surname + two given syllables whose two pairs were both decoded."""
    starts = defaultdict(list)
    for pair in pairs:
        starts[pair[0]].append(pair)
    return {pair + follow[1] for pair in pairs if len(pair) == 2 and pair[0] in dictionary.SURNAMES
            and pair[1] in dictionary.GIVEN for follow in starts.get(pair[1], [])
            if len(follow) == 2 and follow[1] in dictionary.GIVEN}


def _texts(heads: list[tuple[str, list[int]]]) -> dict[int, str]:
    """Each document's syllables in order, from the positions of the tokens that were read."""
    slots: dict[int, dict[int, str]] = defaultdict(dict)
    for token, postings in heads:
        if token.startswith("w:"):
            for value in postings:
                slots[value >> POSITION_BITS][value & ((1 << POSITION_BITS) - 1)] = token[2:]
    texts = {}
    for doc, found in slots.items():
        text = []
        for position in sorted(found):
            pair = found[position]
            text.append(pair[0])
            following = found.get(position + 1)
            if len(pair) == 2 and not (following and following[0] == pair[1]):
                text.append(pair[1])  # the end of a run of Hangul
        texts[doc] = dictionary.syllables("".join(text))
    return texts


def _matched(truth: str, guess: str) -> int:
    return sum(block.size for block in SequenceMatcher(None, truth, guess, autojunk=False).get_matching_blocks())
