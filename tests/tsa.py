"""A real RFC 3161 time-stamping authority for tests: OpenSSL's `openssl ts -reply` behind an
HTTP server (http.server in a thread) on 127.0.0.1, with a CA it makes itself (cryptography):
a root CA and a TSA certificate whose extendedKeyUsage is critical timeStamping.

It records every request body it receives, and can be told to misbehave the ways an
authority, or someone between us and it, might:

- "refuse": close the connection without an answer (an authority that is down);
- "error": answer 503;
- "wrong-signer": sign with a TSA certificate from another CA (which the app does not trust);
- "tamper": flip a byte of the signature in the reply;
- "replay": answer with the first reply it ever gave (another nonce, another root);
- "other-root": stamp a different message than the one asked for.
"""
from __future__ import annotations

import datetime
import shutil
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

OPENSSL = shutil.which("openssl") or "/usr/bin/openssl"


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Moksori test"),
                      x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _pem(path: Path, *objects) -> None:
    data = b""
    for item in objects:
        if isinstance(item, x509.Certificate):
            data += item.public_bytes(serialization.Encoding.PEM)
        else:
            data += item.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption())
    path.write_bytes(data)


@dataclass
class Authority:
    """One CA with its TSA certificate, and the openssl configuration that signs with it."""

    folder: Path
    root: x509.Certificate
    tsa: x509.Certificate

    @property
    def ca_file(self) -> Path:
        return self.folder / "ca.pem"

    @property
    def config(self) -> Path:
        return self.folder / "openssl.cnf"


def make_authority(folder: Path, name: str) -> Authority:
    folder.mkdir(parents=True, exist_ok=True)
    now = datetime.datetime.now(datetime.UTC)
    root_key, tsa_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    root = (x509.CertificateBuilder().subject_name(_name(f"{name} root")).issuer_name(_name(f"{name} root"))
            .public_key(root_key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                         crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(root_key.public_key()), critical=False)
            .sign(root_key, hashes.SHA256()))
    tsa = (x509.CertificateBuilder().subject_name(_name(f"{name} TSA")).issuer_name(root.subject)
           .public_key(tsa_key.public_key()).serial_number(x509.random_serial_number())
           .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=30))
           .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
           .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False,
                                        data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                        crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
           .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
           .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()), critical=False)
           .sign(root_key, hashes.SHA256()))
    _pem(folder / "ca.pem", root)
    _pem(folder / "tsa.pem", tsa)
    _pem(folder / "tsa.key", tsa_key)
    (folder / "serial").write_text("01\n")
    (folder / "openssl.cnf").write_text(f"""
[ tsa ]
default_tsa = tsa_config
[ tsa_config ]
dir = {folder}
serial = $dir/serial
crypto_device = builtin
signer_cert = $dir/tsa.pem
signer_key = $dir/tsa.key
signer_digest = sha256
default_policy = 1.3.6.1.4.1.99999.1
digests = sha256, sha384, sha512
accuracy = secs:1
ordering = yes
tsa_name = yes
ess_cert_id_chain = no
ess_cert_id_alg = sha256
""")
    return Authority(folder, root, tsa)


def openssl_reply(authority: Authority, query: bytes, folder: Path) -> bytes:
    """`openssl ts -reply` for one query: the TimeStampResp in DER."""
    query_file, reply_file = folder / "query.tsq", folder / "reply.tsr"
    query_file.write_bytes(query)
    subprocess.run([OPENSSL, "ts", "-reply", "-config", str(authority.config), "-queryfile", str(query_file),
                    "-out", str(reply_file)], check=True, capture_output=True, timeout=30)
    return reply_file.read_bytes()


@dataclass
class TestAuthority:
    """The running server: its URL, the CA file to trust, what it received, how it behaves."""

    url: str
    good: Authority
    other: Authority
    folder: Path
    mode: str = "ok"
    received: list[bytes] = field(default_factory=list)
    replies: list[bytes] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def ca_file(self) -> str:
        return str(self.good.ca_file)

    def answer(self, query: bytes) -> bytes | None:
        with self.lock:
            self.received.append(query)
            mode = self.mode
            if mode in ("refuse", "error"):
                return None
            if mode == "replay" and self.replies:
                return self.replies[0]
            if mode == "other-root":
                query = other_query(query, self.folder)
            signer = self.other if mode == "wrong-signer" else self.good
            reply = openssl_reply(signer, query, self.folder)
            if mode == "tamper":
                reply = reply[:-10] + bytes([reply[-10] ^ 0x01]) + reply[-9:]
            self.replies.append(reply)
            return reply


def other_query(query: bytes, folder: Path) -> bytes:
    """A query for another message with the same nonce: the authority stamps something else."""
    imprint = query.find(bytes.fromhex("0420"))  # the OCTET STRING of the SHA-256 imprint
    return query[:imprint + 2] + bytes(32) + query[imprint + 34:]


def _handler(state: TestAuthority):
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            reply = state.answer(body)
            if state.mode == "refuse":
                self.close_connection = True
                self.connection.close()
                return
            if reply is None:
                self.send_response(503)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, *args):
            pass

    return Handler


@pytest.fixture(scope="session")
def _authorities(tmp_path_factory) -> tuple[Authority, Authority]:
    folder = tmp_path_factory.mktemp("tsa")
    return make_authority(folder / "good", "Good"), make_authority(folder / "other", "Other")


@pytest.fixture
def tsa(_authorities, tmp_path) -> Iterator[TestAuthority]:
    """A time-stamping authority on 127.0.0.1 (mode "ok" until a test changes it)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    state = TestAuthority(f"http://127.0.0.1:{server.server_address[1]}/tsa", *_authorities, folder=tmp_path)
    server.RequestHandlerClass = _handler(state)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
