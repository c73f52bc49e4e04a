"""One batch of trusted timestamps over 10,000 new pieces: tree, request, verification, storage.

    .venv/bin/python bench/timestamp_bench.py [--pieces 10000] [--runs 3] [--database-url URL]

A fresh database (SQLite in a temporary folder, or an empty PostgreSQL database given by URL)
is built with the real migrations; the organization's keys are made; --pieces commitments are
written as intake writes them (sealed salts, one submission each 10 pieces); then a real
authority — OpenSSL's `openssl ts -reply` behind an HTTP server on 127.0.0.1 (tests/tsa.py) — is
asked for one batch by `timestamps.run`, the code `flask evidence timestamp` calls. Each run
starts from the same unstamped pieces (the batch is deleted between runs). Budget: < 5 s.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402
from flask_migrate import upgrade  # noqa: E402

from app import create_app  # noqa: E402
from app.extensions import db  # noqa: E402
from app.models import Submission, TimestampBatch, TimestampPiece  # noqa: E402
from app.sealed import commitments, keys  # noqa: E402
from app.sealed import tsa as tsa_client  # noqa: E402
from app.sealed.crypto import seal_padded  # noqa: E402
from app.services import merkle  # noqa: E402
from app.services.evidence import timestamps  # noqa: E402
from config import TestingConfig  # noqa: E402
from tests.tsa import TestAuthority, _handler, make_authority  # noqa: E402


def seed(count: int) -> None:
    """`count` pieces as intake leaves them: salt sealed to the org key, leaf hash in the clear."""
    org_public = keys.public_key(db.session, "org")
    items = [Submission(public_id=f"BENCH{i:05d}", kind="report", key_for_org=b"x", content_sealed=b"x")
             for i in range(count // 10 + 1)]
    db.session.add_all(items)
    db.session.flush()
    rows = []
    for i in range(count):
        salt, digest = commitments.os.urandom(32), commitments.os.urandom(32)
        item = items[i // 10]
        rows.append({"submission_id": item.id, "kind": "account",
                     "salt_sealed": seal_padded(org_public, salt, f"timestamp.salt:account::{item.public_id}".encode()),
                     "leaf_hash": commitments.leaf_for(salt, digest)})
    db.session.execute(sa.insert(TimestampPiece), rows)
    db.session.commit()


def reset(leaves: dict[int, bytes]) -> None:
    """The pieces unstamped again, with their leaf hashes (a stamped batch moves them into itself)."""
    db.session.execute(sa.update(TimestampPiece), [{"id": i, "batch_id": None, "leaf_index": None, "leaf_hash": h}
                                                   for i, h in leaves.items()])
    db.session.execute(sa.delete(TimestampBatch))
    db.session.commit()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pieces", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="timestamp-bench-"))

    class Config(TestingConfig):
        SQLALCHEMY_DATABASE_URI = args.database_url or f"sqlite:///{folder / 'bench.sqlite3'}"
        UPLOAD_DIR = str(folder / "uploads")

    authority = make_authority(folder / "ca", "Bench")
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    state = TestAuthority(f"http://127.0.0.1:{server.server_address[1]}/tsa", authority, authority, folder)
    server.RequestHandlerClass = _handler(state)
    threading.Thread(target=server.serve_forever, daemon=True).start()

    app = create_app(Config)
    with app.app_context():
        upgrade()
        keys.create_keys(db.session, "bench")
        db.session.commit()
        started = time.perf_counter()
        seed(args.pieces)
        print(f"{args.pieces:,} pieces committed as intake does in {time.perf_counter() - started:.2f} s "
              f"({db.engine.dialect.name})")
        anchors = tsa_client.load_anchors(str(authority.ca_file))
        rows = db.session.execute(sa.select(TimestampPiece.id, TimestampPiece.leaf_hash))
        saved = {row.id: row.leaf_hash for row in rows}
        leaves = [bytes(saved[i]) for i in sorted(saved)]
        started = time.perf_counter()
        tree = merkle.levels(leaves)
        paths = [merkle.inclusion_path(tree, i) for i in range(len(leaves))]
        tree_time = time.perf_counter() - started
        root = tree[-1][0]
        sample = range(0, len(leaves), 97)
        assert all(merkle.verify_inclusion(leaves[i], i, len(leaves), paths[i], root) for i in sample)
        totals = []
        for run in range(args.runs):
            reset(saved)
            started = time.perf_counter()
            result = timestamps.run(db.session, [state.url], anchors, timeout=10)
            totals.append(time.perf_counter() - started)
            assert result.outcome == "stamped" and result.pieces == args.pieces, result
            print(f"run {run + 1}: one batch of {result.pieces:,} pieces stamped in {totals[-1]:.3f} s")
        request = tsa_client.request_for(tree[-1][0])
        started = time.perf_counter()
        answer = timestamps.http_post(state.url, request.der, 10)
        asked = time.perf_counter() - started
        started = time.perf_counter()
        tsa_client.verify_answer(request, answer, anchors)
        verified = time.perf_counter() - started
    print(f"tree and all {len(leaves):,} inclusion paths: {tree_time * 1000:.0f} ms; asking the authority "
          f"(HTTP + openssl ts -reply): {asked * 1000:.0f} ms; checking the token: {verified * 1000:.1f} ms")
    print(f"one batch (claim + tree + request + verification + storage): median {statistics.median(totals):.3f} s, "
          f"max {max(totals):.3f} s — budget 5 s")
    server.shutdown()


if __name__ == "__main__":
    main()
