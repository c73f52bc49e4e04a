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
and the first HEAD_POSTINGS postings; the tails follow the segment's layout, a ladder of sizes
whose last step repeats (layout 2: 128 postings, then 512, then 1,024 each; layout 1, the first,
had four tails of 128 before the 1,024s). A common word then costs a search few blocks and a rare
one stores little padding: at 1,000,000 reports a common pair holds 300–1,500 postings in a
segment, four blocks in layout 2 where layout 1 needed six. Blocks come in the sizes of the
ladder and the head's only, and each segment is padded with dummy blocks (random labels, bodies
encrypting zeros) to a class of block counts of each size, so that a copy shows neither how often
any token occurs nor, beyond its class, how many distinct tokens a segment holds. A segment keeps
the layout it was written in (search_segment.layout); the worker rewrites older ones.
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
from app.sealed.search.text import MAX_TERM_TOKENS, TOKEN_BYTES, has_positions

POSITION_BITS = 19
DOC_BITS = 32 - POSITION_BITS
MAX_SEGMENT_DOCS = 1 << DOC_BITS  # 8,192 submissions per segment
# A phrase adds up to MAX_TERM_TOKENS to a position: that must never carry into the document bits.
MAX_POSITION = (1 << POSITION_BITS) - 1 - MAX_TERM_TOKENS
LABEL = 16
NONCE = 16
HEAD_POSTINGS = 13
_HEAD = struct.Struct(f"<BB{TOKEN_BYTES}sII")  # kind (0 = dummy), token length, token, count, tails
HEAD_PLAIN = 128
if _HEAD.size + HEAD_POSTINGS * 4 > HEAD_PLAIN:  # a layout that does not fit must not import
    raise RuntimeError("a head's postings do not fit in HEAD_PLAIN")
MIN_HEADS = 64
# The fewest blocks a segment stores of each tail size (postings per tail), real or dummy.
MIN_TAILS = {128: 16, 512: 8, 1024: 4}


@dataclass(frozen=True)
class Layout:
    """How a token's postings after its head are cut into tails: `ladder` gives the postings of
    the first tails, the last size repeating for as many as needed."""

    number: int
    ladder: tuple[int, ...]
    bitmaps: bool = False  # a token without positions found in many documents: one bitmap tail

    def uses_bitmap(self, token: str, count: int) -> bool:
        """Whether this token's documents are stored as a bitmap (one BITMAP_TAIL block) rather
        than as postings: for a token without positions whose postings would need more than a
        head and the first tail. 8,192 bits fit in a 512-posting tail (2 KB), where the postings
        of 142–653 documents take 2.5 KB and those of 1,300 take 6.6 KB in three blocks."""
        return self.bitmaps and not has_positions(token) and count > HEAD_POSTINGS + self.ladder[0]

    def tails_of(self, token: str, count: int) -> int:
        """How many tails a token with `count` postings in a segment has: one bitmap, or postings."""
        return 1 if self.uses_bitmap(token, count) else self.tails_for(count)

    @property
    def sizes(self) -> tuple[int, ...]:
        return tuple(sorted(set(self.ladder)))

    def span(self, index: int) -> tuple[int, int]:
        """Where tail `index` (1, 2, …) starts among a token's postings, and how many it holds."""
        fixed, repeating = self.ladder[:-1], self.ladder[-1]
        if index <= len(fixed):
            return HEAD_POSTINGS + sum(fixed[:index - 1]), fixed[index - 1]
        return HEAD_POSTINGS + sum(fixed) + (index - len(fixed) - 1) * repeating, repeating

    def tails_for(self, count: int) -> int:
        """How many tails a token with `count` postings has."""
        rest, tails = count - HEAD_POSTINGS, 0
        for size in self.ladder[:-1]:
            if rest <= 0:
                return tails
            rest, tails = rest - size, tails + 1
        return tails + max(0, -(-rest // self.ladder[-1]))


LAYOUTS = {1: Layout(1, (128, 128, 128, 128, 1024)), 2: Layout(2, (128, 512, 1024), bitmaps=True)}
BITMAP_TAIL = 512  # the tail size (in postings) a bitmap of MAX_SEGMENT_DOCS bits is stored in
if BITMAP_TAIL * 4 * 8 < MAX_SEGMENT_DOCS:
    raise RuntimeError("a bitmap of a segment's documents does not fit in BITMAP_TAIL")
CURRENT = LAYOUTS[2]


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


POSTINGS_HEAD, BITMAP_HEAD = 1, 2  # a head's kind (0: a dummy block)


@dataclass
class Head:
    token: str
    count: int
    tails: int
    postings: np.ndarray  # the first min(count, HEAD_POSTINGS) postings
    bitmap: bool = False  # tail 1 is a bitmap of the token's documents, and holds all of them


def _head_plain(token: str, postings: np.ndarray, count: int, tails: int, kind: int = POSTINGS_HEAD) -> bytes:
    name = token.encode()
    body = _HEAD.pack(kind, len(name), name, count, tails) + postings.astype("<u4").tobytes()
    return body.ljust(HEAD_PLAIN, b"\0")


def read_head(plain: bytes) -> Head | None:
    """A head's contents, or None for a dummy block."""
    kind, length, name, count, tails = _HEAD.unpack_from(plain)
    if kind not in (POSTINGS_HEAD, BITMAP_HEAD):
        return None
    first = np.frombuffer(plain, dtype="<u4", count=min(count, HEAD_POSTINGS), offset=_HEAD.size)
    return Head(name[:length].decode(), count, tails, first.astype(np.uint32), kind == BITMAP_HEAD)


def docs_bitmap(postings: np.ndarray) -> bytes:
    """The documents of postings without positions, as MAX_SEGMENT_DOCS bits."""
    bits = np.zeros(MAX_SEGMENT_DOCS, dtype=bool)
    bits[(postings >> np.uint32(POSITION_BITS)).astype(np.int64)] = True
    return np.packbits(bits, bitorder="little").tobytes()


def read_bitmap(plain: bytes) -> np.ndarray:
    """The postings (document number, position 0) a bitmap tail stands for, sorted."""
    bits = np.unpackbits(np.frombuffer(plain, dtype=np.uint8, count=MAX_SEGMENT_DOCS // 8), bitorder="little")
    return np.flatnonzero(bits).astype(np.uint32) << np.uint32(POSITION_BITS)


def read_tail(plain: bytes, start: int, count: int) -> np.ndarray:
    """The postings in a tail that starts at posting `start` of a token with `count` postings."""
    return np.frombuffer(plain, dtype="<u4", count=min(count - start, len(plain) // 4)).astype(np.uint32)


def postings_of_head(head: Head, tails: dict[int, bytes], layout: Layout) -> np.ndarray:
    """All of a token's postings in a segment, from its head and its tails' plaintexts by index.
    A tail that is missing (its segment was retired and cleaned up while a search read it)
    leaves its postings out, as a missing head leaves out the token."""
    if head.bitmap:
        return read_bitmap(tails[1]) if 1 in tails else head.postings
    found = [read_tail(tails[index], layout.span(index)[0], head.count)
             for index in range(1, head.tails + 1) if index in tails]
    return np.concatenate([head.postings, *found]) if found else head.postings


@dataclass
class Built:
    blocks: list[tuple[bytes, bytes]]  # (label, body), in random order
    heads: int  # as stored (padded)
    tails: int
    real_heads: int
    real_tails: int


def build(search_key: bytes, nonce: bytes, postings: Iterable[tuple[str, np.ndarray]],
          layout: Layout = CURRENT) -> Built:
    """Every block of a segment: each token's head and tails, then dummies up to the classes,
    shuffled so that a token's blocks do not sit together in the table's physical order."""
    cipher = segment_cipher(search_key, nonce)
    heads: list[tuple[bytes, bytes]] = []
    tails: dict[int, list[tuple[bytes, bytes]]] = {size: [] for size in layout.sizes}
    for token, found in postings:
        key = token_key(search_key, token)
        head_label = label(key, nonce, 0)
        if layout.uses_bitmap(token, len(found)):
            heads.append((head_label, cipher.encrypt(
                _head_plain(token, found[:HEAD_POSTINGS], len(found), 1, BITMAP_HEAD), head_label)))
            tail_label = label(key, nonce, 1)
            tails[BITMAP_TAIL].append((tail_label, cipher.encrypt(docs_bitmap(found).ljust(BITMAP_TAIL * 4, b"\0"),
                                                                  tail_label)))
            continue
        count_tails = layout.tails_for(len(found))
        heads.append((head_label, cipher.encrypt(
            _head_plain(token, found[:HEAD_POSTINGS], len(found), count_tails), head_label)))
        for index in range(1, count_tails + 1):
            start, size = layout.span(index)
            chunk = found[start:start + size].astype("<u4").tobytes()
            tail_label = label(key, nonce, index)
            tails[size].append((tail_label, cipher.encrypt(chunk.ljust(size * 4, b"\0"), tail_label)))
    real_heads = len(heads)
    real_tails = sum(len(blocks) for blocks in tails.values())
    heads += _dummies(cipher, count_class(real_heads, MIN_HEADS) - real_heads, HEAD_PLAIN)
    stored_tails = []
    for size, found_tails in tails.items():
        padding = count_class(len(found_tails), MIN_TAILS[size]) - len(found_tails)
        stored_tails += found_tails + _dummies(cipher, padding, size * 4)
    return Built(shuffled(heads + stored_tails), len(heads), len(stored_tails), real_heads, real_tails)


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
