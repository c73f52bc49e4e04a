"""RFC 9162 Merkle trees (Certificate Transparency 2.0, §2.1): the tree a batch of trusted
timestamps is built over (services/evidence/timestamps.py). Hashing only, with hashlib.

    leaf hash      SHA-256(0x00 ‖ leaf data)
    interior node  SHA-256(0x01 ‖ left ‖ right)
    MTH(D[n])      split at k, the largest power of two smaller than n

Building the tree level by level, pairing neighbours and carrying a last odd node up
unchanged, gives exactly RFC 9162's tree (its split puts every complete power-of-two subtree
on the left); tests/services/evidence/test_merkle.py checks it against the recursive
definition. An inclusion path lists the sibling hashes from the leaf up (RFC 9162 §2.1.3.1).
"""
from __future__ import annotations

import hashlib
from collections.abc import Sequence

HASH_SIZE = 32
LEAF, NODE = b"\x00", b"\x01"


def leaf_hash(leaf_data: bytes) -> bytes:
    return hashlib.sha256(LEAF + leaf_data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(NODE + left + right).digest()


def levels(leaves: Sequence[bytes]) -> list[list[bytes]]:
    """Every level of the tree over `leaves` (leaf hashes), from the leaves to the root."""
    if not leaves:
        raise ValueError("a tree needs at least one leaf")
    tree = [list(leaves)]
    while len(tree[-1]) > 1:
        below = tree[-1]
        above = [node_hash(below[i], below[i + 1]) for i in range(0, len(below) - 1, 2)]
        if len(below) % 2:
            above.append(below[-1])
        tree.append(above)
    return tree


def root(leaves: Sequence[bytes]) -> bytes:
    return levels(leaves)[-1][0]


def inclusion_path(tree: list[list[bytes]], index: int) -> list[bytes]:
    """The audit path of leaf `index` in a tree from levels()."""
    if not 0 <= index < len(tree[0]):
        raise IndexError(f"leaf {index} is not in a tree of {len(tree[0])}")
    path = []
    for level in tree[:-1]:
        sibling = index ^ 1
        if sibling < len(level):
            path.append(level[sibling])
        index //= 2
    return path


def verify_inclusion(leaf: bytes, index: int, size: int, path: Sequence[bytes], expected_root: bytes) -> bool:
    """RFC 9162 §2.1.3.2, step by step: does `path` lead from leaf hash `leaf` at `index` in
    a tree of `size` leaves to `expected_root`?"""
    if index >= size or index < 0:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == expected_root
