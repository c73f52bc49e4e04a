"""Staff passwords as the login checks them: an Argon2id hash (argon2-cffi's PasswordHasher,
64 MiB, 3 passes). This hash opens nothing: the keys an account holds are wrapped under a
separate Argon2id derivation of the password with a salt of its own (keys.py)."""
from __future__ import annotations

import functools

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify(password_hash: str | None, password: str | None) -> bool:
    """Whether the password matches the hash. Without a hash (an unknown e-mail address) a
    dummy hash is checked, so that the answer takes as long either way."""
    try:
        return _hasher.verify(password_hash or _dummy_hash(), password or "-") and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


@functools.cache
def _dummy_hash() -> str:
    """Made on first use, not at import: every process and CLI command imports this module."""
    return _hasher.hash("not a real password, only for timing")
