"""A key that lives in one process's memory only, for data that must be written to disk for a
moment and never be readable afterwards (a partner group's import while it is stored: see
app/services/groups/import_jobs.py). Each value is AES-GCM under a key derived for its name,
padded to its size class and bound to that name; the key is never written anywhere, so a copy of
the disk taken at any moment holds ciphertext that nothing can open, and a process that dies
leaves nothing anyone can read."""
from __future__ import annotations

from app.sealed.crypto import aead_decrypt_padded, aead_encrypt_padded, hkdf, random_key


class EphemeralKey:
    def __init__(self, purpose: bytes) -> None:
        self._key = random_key()
        self._purpose = purpose

    def _key_for(self, name: str) -> bytes:
        return hkdf(self._key, self._purpose + b":" + name.encode())

    def seal(self, name: str, data: bytes) -> bytes:
        return aead_encrypt_padded(self._key_for(name), data, name.encode())

    def open(self, name: str, blob: bytes) -> bytes:
        return aead_decrypt_padded(self._key_for(name), blob, name.encode())
