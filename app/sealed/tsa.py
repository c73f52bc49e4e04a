"""RFC 3161 time-stamp requests and the checks of their answers (SECURITY.md, "Trusted
timestamps"), with Trail of Bits' rfc3161-client (and `cryptography` for the certificates):
no ASN.1 of our own.

What is stamped is the root of a batch's Merkle tree: the request's message imprint is
SHA-256(root), with a fresh random nonce and a request for the authority's certificate. An
answer is kept only when it is granted, its signature verifies through a chain to one of the
trust anchors (TSA_CA_FILE, or the system's store), its signer carries the critical
extendedKeyUsage timeStamping, its nonce is ours and its imprint is SHA-256 of the root we
sent. `openssl ts -verify -in token.tsr -data root.bin -CAfile ca.pem` checks the same.
"""
from __future__ import annotations

import re
import ssl
import warnings
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from rfc3161_client import (
    HashAlgorithm,
    TimeStampRequest,
    TimestampRequestBuilder,
    VerificationError,
    VerifierBuilder,
    decode_timestamp_response,
)

REQUEST_TYPE = "application/timestamp-query"
REPLY_TYPE = "application/timestamp-reply"


class TokenRefused(Exception):
    """An answer that is not a valid token over what we asked for; the message says why."""


class AnchorsError(Exception):
    """The trust anchors cannot be read."""


@dataclass(frozen=True)
class TrustAnchors:
    """The root certificates a token's chain must end in."""

    roots: tuple[x509.Certificate, ...]
    source: str

    def __len__(self) -> int:
        return len(self.roots)


def load_anchors(ca_file: str | None) -> TrustAnchors:
    """TSA_CA_FILE (PEM, one or more certificates), or the system's store when it is empty."""
    if ca_file:
        paths = [Path(ca_file)]
    else:
        defaults = ssl.get_default_verify_paths()
        if defaults.cafile:
            paths = [Path(defaults.cafile)]
        elif defaults.capath:
            paths = sorted(p for p in Path(defaults.capath).iterdir() if p.suffix in (".pem", ".crt"))
        else:
            paths = []
    roots: list[x509.Certificate] = []
    for path in paths:
        try:
            with warnings.catch_warnings():  # a system store holds old roots with odd serial numbers
                warnings.simplefilter("ignore")
                roots += x509.load_pem_x509_certificates(path.read_bytes())
        except (OSError, ValueError) as error:
            raise AnchorsError(f"cannot read certificates from {path}: {error}") from error
    if not roots:
        raise AnchorsError(f"no certificates in {ca_file or 'the system store'}")
    return TrustAnchors(tuple(dict.fromkeys(roots)), ca_file or "the system store")


def anchors_from_pem(data: bytes, source: str) -> TrustAnchors:
    """Trust anchors from PEM bytes (a case file's timestamps/tsa-roots.pem)."""
    try:
        roots = x509.load_pem_x509_certificates(data)
    except ValueError as error:
        raise AnchorsError(f"cannot read certificates from {source}: {error}") from error
    return TrustAnchors(tuple(roots), source)


def _pem(certificates) -> bytes:
    return b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certificates)


def shipped_certificates(tokens: list[bytes], anchors: TrustAnchors | None) -> tuple[bytes, bytes]:
    """What a case file carries to check its tokens with OpenSSL alone: (roots, carried) as PEM.
    `carried` are the certificates inside the tokens (the authority's signer, and any chain it
    sent: `-untrusted`); `roots` the trust anchors those certificates are issued under (`-CAfile`),
    found by issuer name, the way a chain is built."""
    carried: dict[x509.Certificate, None] = {}
    for token in tokens:
        try:
            signed = decode_timestamp_response(token).signed_data
        except ValueError:
            continue
        for der in sorted(signed.certificates):
            carried.setdefault(x509.load_der_x509_certificate(der), None)
    roots: dict[x509.Certificate, None] = {}
    if anchors is not None:
        by_subject: dict[x509.Name, list[x509.Certificate]] = {}
        for root in anchors.roots:
            by_subject.setdefault(root.subject, []).append(root)
        frontier = list(carried)
        while frontier:  # up through any intermediate in the anchors file to its root
            certificate = frontier.pop()
            for root in by_subject.get(certificate.issuer, []):
                if root not in roots:
                    roots[root] = None
                    if root.issuer != root.subject:
                        frontier.append(root)
    return _pem(roots), _pem(carried)


@dataclass(frozen=True)
class Request:
    """A request over one root: its DER bytes go to the authority."""

    root: bytes
    request: TimeStampRequest

    @property
    def der(self) -> bytes:
        return self.request.as_bytes()

    @property
    def nonce(self) -> int | None:
        return self.request.nonce


def request_for(root: bytes) -> Request:
    built = (TimestampRequestBuilder().data(root).hash_algorithm(HashAlgorithm.SHA256)
             .nonce(nonce=True).cert_request(cert_request=True).build())
    return Request(root, built)


def _check(response_der: bytes, root: bytes, anchors: TrustAnchors, nonce: int | None) -> datetime:
    try:
        response = decode_timestamp_response(response_der)
    except ValueError as error:
        raise TokenRefused(f"not a time-stamp response ({str(error).splitlines()[0][:120]})") from error
    builder = VerifierBuilder(nonce=nonce)
    for certificate in anchors.roots:
        builder = builder.add_root_certificate(certificate)
    try:
        builder.build().verify_message(response, root)
    except (VerificationError, ValueError) as error:
        raise TokenRefused(_short(str(error))) from error
    if nonce is not None and response.tst_info.nonce != nonce:  # verify_message checks it; said twice on purpose
        raise TokenRefused("Nonce mismatch")
    return response.tst_info.gen_time.astimezone(UTC)


def _short(message: str) -> str:
    """OpenSSL's error stack as its reasons ("certificate verify error: unable to get local
    issuer certificate"), anything else as its first line."""
    reasons = list(dict.fromkeys(re.findall(r'(?:reason|data): "([^"]+)"', message)))
    return ("; ".join(reasons) if reasons else message.splitlines()[0])[:200]


def verify_answer(request: Request, response_der: bytes, anchors: TrustAnchors) -> datetime:
    """The token's time, if the answer is a valid token over `request` (nonce included);
    raises TokenRefused otherwise."""
    if request.nonce is None:
        raise TokenRefused("the request has no nonce")
    return _check(response_der, request.root, anchors, request.nonce)


def verify_stored(response_der: bytes, root: bytes, anchors: TrustAnchors) -> datetime:
    """A kept token checked again (a case file's, an export's): chain, signer and imprint."""
    return _check(response_der, root, anchors, None)


def token_time(response_der: bytes) -> datetime:
    """The time a token states (not checked)."""
    return decode_timestamp_response(response_der).tst_info.gen_time.astimezone(UTC)


def certificate_expiry(pem: bytes) -> datetime:
    """When the first certificate of a PEM file expires: the TLS certificate nginx serves, which
    ops/watch.py watches (X.509 is parsed in this package only). ValueError if it is none."""
    return x509.load_pem_x509_certificate(pem).not_valid_after_utc
