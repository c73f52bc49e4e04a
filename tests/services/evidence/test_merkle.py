"""services/merkle.py against an independent, straightforward RFC 9162 §2.1 implementation
(the recursive definitions, written out here), for trees of 1, 2, 3, … and 10,000 leaves."""
from __future__ import annotations

import hashlib
import os
import random
from functools import cache

import pytest

from app.services import merkle


def rfc9162(leaves: list[bytes]):
    """MTH and PATH exactly as RFC 9162 §2.1.1 and §2.1.3.1 define them (memoized on ranges)."""

    def split(n: int) -> int:
        k = 1
        while k * 2 < n:
            k *= 2
        return k

    @cache
    def mth(lo: int, hi: int) -> bytes:
        n = hi - lo
        if n == 1:
            return hashlib.sha256(b"\x00" + leaves[lo]).digest()
        k = split(n)
        return hashlib.sha256(b"\x01" + mth(lo, lo + k) + mth(lo + k, hi)).digest()

    def path(m: int, lo: int, hi: int) -> list[bytes]:
        n = hi - lo
        if n == 1:
            return []
        k = split(n)
        if m < k:
            return [*path(m, lo, lo + k), mth(lo + k, hi)]
        return [*path(m - k, lo + k, hi), mth(lo, lo + k)]

    return (lambda: mth(0, len(leaves))), (lambda m: path(m, 0, len(leaves)))


@pytest.mark.parametrize("size", [1, 2, 3, 4, 5, 7, 8, 9, 31, 33, 10_000])
def test_root_and_paths_match_rfc_9162(size):
    rng = random.Random(size)
    data = [rng.randbytes(64) for _ in range(size)]
    hashes = [merkle.leaf_hash(d) for d in data]
    tree = merkle.levels(hashes)
    expected_root, expected_path = rfc9162(data)
    assert tree[-1][0] == merkle.root(hashes) == expected_root()
    indexes = range(size) if size < 100 else sorted({0, 1, 2, 4095, 4096, 8191, 8192, size - 2, size - 1,
                                                      *rng.sample(range(size), 40)})
    for index in indexes:
        assert merkle.inclusion_path(tree, index) == expected_path(index), index
    # Every leaf's path verifies (RFC 9162 §2.1.3.2), and nothing else does.
    root = tree[-1][0]
    for index in range(size):
        path = merkle.inclusion_path(tree, index)
        assert merkle.verify_inclusion(hashes[index], index, size, path, root)
    other = (size // 2 + 1) % size
    path = merkle.inclusion_path(tree, size // 2)
    if size > 1:
        assert not merkle.verify_inclusion(hashes[size // 2], other, size, path, root)
        assert not merkle.verify_inclusion(hashes[other], size // 2, size, path, root)
        broken = [*path[:-1], bytes(a ^ 1 if i == 0 else a for i, a in enumerate(path[-1]))]
        assert not merkle.verify_inclusion(hashes[size // 2], size // 2, size, broken, root)
        assert not merkle.verify_inclusion(hashes[size // 2], size // 2, size, path[:-1], root)
    assert not merkle.verify_inclusion(hashes[0], size, size, path, root)


def test_a_leaf_is_not_a_node():
    """The 0x00/0x01 prefixes (second-preimage defence): two leaves' concatenation, taken as
    one leaf, does not give their parent."""
    a, b = os.urandom(32), os.urandom(32)
    assert merkle.leaf_hash(a + b) != merkle.node_hash(a, b)


def test_an_empty_tree_is_refused():
    with pytest.raises(ValueError):
        merkle.levels([])
