"""Sealed data: cryptography, keys, key sessions, sealing, the vault and the search index."""
