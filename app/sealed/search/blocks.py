"""The blocks of the encrypted multimap: how a token's postings in one segment become
fixed-size encrypted blocks under labels that only the search key can compute.

Keys, all from the search key K (32 random bytes, sealed to the org key):
    K_t   = PRF(K, "search token " ‖ token)            one per token, for its labels
    label = PRF(K_t, segment nonce ‖ block index)[:16] block 0 is the head, 1… the tails
    K_s   = HKDF(K, "search segment", salt=nonce)      one per segment, for the bodies
    body  = AES-256-GCM(K_s, random nonce, plaintext, associated data = label)

The segment nonce is random, so one token has unrelated labels in every segment: a planted
report cannot teach anybody what a label means anywhere else (Cash et al., NDSS 2014, Π_pack;
one static index per segment as in Demertzis et al., NDSS 2020). A body is bound to its label,
so bodies cannot be swapped between labels unnoticed.

Postings are 32-bit numbers, `document number << POSITION_BITS | position` (a document's
number is its place in the segment's sorted list of submission ids), sorted. A head holds the
token itself (merges need it), how many postings the token has here, how many tails follow,
and the first HEAD_POSTINGS postings; the first SMALL_TAILS tails hold SMALL_TAIL postings each
and any further one BIG_TAIL (a common word costs a search few blocks, a rare one stores little
padding). Blocks come in these three sizes only, and each segment is padded with dummy blocks
(random labels, bodies encrypting zeros) to a class of block counts of each size, so that a copy
shows neither how often any token occurs nor, beyond its class, how many distinct tokens a
segment holds.
"""
from __future__ import annotations

import math
import os
import secrets
import struct
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from app.sealed.crypto import Aead, hkdf, prf
from app.sealed.search.text import MAX_TERM_TOKENS, TOKEN_BYTES

POSITION_BITS = 19
DOC_BITS = 32 - POSITION_BITS
MAX_SEGMENT_DOCS = 1 << DOC_BITS  # 8,192 submissions per segment
# A phrase adds up to MAX_TERM_TOKENS to a position: that must never carry into the document bits.
MAX_POSITION = (1 << POSITION_BITS) - 1 - MAX_TERM_TOKENS
LABEL = 16
NONCE = 16
HEAD_POSTINGS = 13
SMALL_TAIL, BIG_TAIL = 128, 1024
SMALL_TAILS = 4
_HEAD = struct.Struct(f"<BB{TOKEN_BYTES}sII")  # kind (1 = head, 0 = dummy), token length, token, count, tails
HEAD_PLAIN = 128
if _HEAD.size + HEAD_POSTINGS * 4 > HEAD_PLAIN:  # a layout that does not fit must not import
    raise RuntimeError("a head's postings do not fit in HEAD_PLAIN")
MIN_HEADS, MIN_SMALL_TAILS, MIN_BIG_TAILS = 64, 16, 4


def count_class(count: int, floor: int) -> int:
    """How many blocks of a kind a segment stores for `count` real ones: at least `floor`, then
    powers of two up to 1,024 (what one report alone can fill: its count shows only to a
    power of two), then steps of 2^(1/8), about 9 %, for the large merged segments."""
    if count <= floor:
        return floor
    if count <= 1024:
        return 1 << (count - 1).bit_length()
    step = math.ceil(8 * math.log2(count / 1024))
    size = math.ceil(1024 * 2 ** (step / 8))
    while size < count:  # floating point may land one short
        step += 1
        size = math.ceil(1024 * 2 ** (step / 8))
    return size


def token_key(search_key: bytes, token: str) -> bytes:
    return prf(search_key, b"search token " + token.encode())


def label(token_key_: bytes, nonce: bytes, index: int) -> bytes:
    return prf(token_key_, nonce + index.to_bytes(4, "big"))[:LABEL]


def segment_cipher(search_key: bytes, nonce: bytes) -> Aead:
    return Aead(hkdf(search_key, b"search segment", salt=nonce))


def new_nonce() -> bytes:
    return os.urandom(NONCE)


@dataclass
class Head:
    token: str
    count: int
    tails: int
    postings: np.ndarray  # the first min(count, HEAD_POSTINGS) postings


def _head_plain(token: str, postings: np.ndarray, count: int, tails: int) -> bytes:
    name = token.encode()
    body = _HEAD.pack(1, len(name), name, count, tails) + postings.astype("<u4").tobytes()
    return body.ljust(HEAD_PLAIN, b"\0")


def read_head(plain: bytes) -> Head | None:
    """A head's contents, or None for a dummy block."""
    kind, length, name, count, tails = _HEAD.unpack_from(plain)
    if kind != 1:
        return None
    first = np.frombuffer(plain, dtype="<u4", count=min(count, HEAD_POSTINGS), offset=_HEAD.size)
    return Head(name[:length].decode(), count, tails, first.astype(np.uint32))


def tail_span(index: int) -> tuple[int, int]:
    """Where tail `index` (1, 2, …) starts among a token's postings, and how many it holds."""
    if index <= SMALL_TAILS:
        return HEAD_POSTINGS + (index - 1) * SMALL_TAIL, SMALL_TAIL
    return HEAD_POSTINGS + SMALL_TAILS * SMALL_TAIL + (index - SMALL_TAILS - 1) * BIG_TAIL, BIG_TAIL


def tails_for(count: int) -> int:
    """How many tails a token with `count` postings has."""
    rest = count - HEAD_POSTINGS
    if rest <= 0:
        return 0
    if rest <= SMALL_TAILS * SMALL_TAIL:
        return -(-rest // SMALL_TAIL)
    return SMALL_TAILS + -(-(rest - SMALL_TAILS * SMALL_TAIL) // BIG_TAIL)


def read_tail(plain: bytes, index: int, count: int) -> np.ndarray:
    """The postings in tail `index` of a token with `count` postings."""
    start, size = tail_span(index)
    return np.frombuffer(plain, dtype="<u4", count=min(count - start, size)).astype(np.uint32)


@dataclass
class Built:
    blocks: list[tuple[bytes, bytes]]  # (label, body), in random order
    heads: int  # as stored (padded)
    tails: int
    real_heads: int
    real_tails: int


def build(search_key: bytes, nonce: bytes, postings: Iterable[tuple[str, np.ndarray]]) -> Built:
    """Every block of a segment: each token's head and tails, then dummies up to the classes,
    shuffled so that a token's blocks do not sit together in the table's physical order."""
    cipher = segment_cipher(search_key, nonce)
    heads: list[tuple[bytes, bytes]] = []
    tails: dict[int, list[tuple[bytes, bytes]]] = {SMALL_TAIL: [], BIG_TAIL: []}
    for token, found in postings:
        key = token_key(search_key, token)
        count_tails = tails_for(len(found))
        head_label = label(key, nonce, 0)
        heads.append((head_label, cipher.encrypt(
            _head_plain(token, found[:HEAD_POSTINGS], len(found), count_tails), head_label)))
        for index in range(1, count_tails + 1):
            start, size = tail_span(index)
            chunk = found[start:start + size].astype("<u4").tobytes()
            tail_label = label(key, nonce, index)
            tails[size].append((tail_label, cipher.encrypt(chunk.ljust(size * 4, b"\0"), tail_label)))
    real_heads, real_small, real_big = len(heads), len(tails[SMALL_TAIL]), len(tails[BIG_TAIL])
    heads += _dummies(cipher, count_class(real_heads, MIN_HEADS) - real_heads, HEAD_PLAIN)
    small = tails[SMALL_TAIL] + _dummies(cipher, count_class(real_small, MIN_SMALL_TAILS) - real_small, SMALL_TAIL * 4)
    big = tails[BIG_TAIL] + _dummies(cipher, count_class(real_big, MIN_BIG_TAILS) - real_big, BIG_TAIL * 4)
    return Built(shuffled(heads + small + big), len(heads), len(small) + len(big), real_heads, real_small + real_big)


def shuffled(blocks: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """Blocks in an order that says nothing: rows are stored in the order they are inserted
    (PostgreSQL's heap, SQLite's rowids), and a token's head followed by its tails would show
    how often it occurs."""
    secrets.SystemRandom().shuffle(blocks)
    return blocks


def _dummies(cipher: Aead, count: int, size: int) -> list[tuple[bytes, bytes]]:
    zeros = bytes(size)
    out = []
    for _ in range(count):
        name = os.urandom(LABEL)
        out.append((name, cipher.encrypt(zeros, name)))
    return out
