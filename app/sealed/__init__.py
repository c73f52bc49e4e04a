"""Sealed data: everything that encrypts, holds keys or opens what people wrote.

The rest of the app calls the modules below and never a primitive: no module outside this
package imports `cryptography`, `argon2` or app.sealed.crypto (tests/test_layout.py checks
it). SECURITY.md explains every choice; this is the contract.

What is sealed, under which key:

    what                                          key                      module
    a submission's account, text facets, notice   its content key          sealing.ItemKey, vault
    address, messages both ways, file names,      (random, one per
    file hashes and exact sizes, files            submission)
    officers' notes, status and hold reasons      the org key pair         vault (seal to the public half)
    contact details                               the identity key pair    sealing.seal_for_identity
    the content key                               the org key pair, and    sealing (seal_for_org,
                                                  the receipt code         ReceiptSecret.wrap)
    the search index's blocks                     a search key (random,    search (blocks, segments)
                                                  sealed to the org key)
    the private keys                              each staff password,     keys (grant, create_keys)
                                                  and the recovery code
    an unlocked session's keys                    a key only its cookie    key_sessions
                                                  holds
    trusted timestamps' salts                     the org key pair         commitments
    the case-file signing key (Ed25519)           the org key pair         signing
    an account's canonical JSON at intake         its content key          commitments
    TOTP secrets, the audit chain's MACs, data    DATA_ENCRYPTION_KEY      installation
    from before sealing                           (configuration)

Who holds what: the org and identity private keys exist unwrapped only in an unlocked
session (a logged-in officer, in memory and in its key session encrypted under the cookie's
key), in a command given the recovery code, and in the search worker's thread while the
session that started it lasts. A receipt code opens its own submission's content key. The
installation key opens no testimony.

What may leave the package: plain text only onto the objects of the request that opened them
(vault: `item.narrative`, `message.body`, … for that request), search results as submission
ids, and ciphertext. Never a key, and never anything derived from content that does not
depend on a key and fresh randomness: every sealed value has a random nonce and is padded to
a size class (crypto.size_class); the search index has a random nonce per segment; a trusted
timestamp's leaf hash is salted with 32 random bytes that are sealed.

Modules: crypto (primitives: AES-GCM, X25519 sealing, HKDF, PRF, Argon2id, padding, file
streams), installation, passwords (staff login hashes), keys, key_sessions, sealing, vault,
search (the sealed index), commitments (salted commitments for trusted timestamps), tsa (RFC 3161
requests and the checks of their tokens; a TLS certificate's expiry for ops/watch.py), signing
(the organization's Ed25519 key that signs case files).
"""
