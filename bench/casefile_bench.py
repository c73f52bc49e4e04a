"""A case file with trusted-timestamp proofs for an item with 10 files: export, then checks.

    .venv/bin/python bench/casefile_bench.py [--files 10] [--kb 800] [--runs 5] [--database-url URL]

A fresh database (SQLite in a temporary folder, or an empty PostgreSQL database given by URL)
with the real migrations and the organization's keys. One report with --files photos of about
--kb KiB each is sent through the real public form (metadata removed, files sealed, salted
commitments); a real authority (OpenSSL's `openssl ts -reply` behind HTTP on 127.0.0.1,
tests/tsa.py) stamps the batch. Then, --runs times, the case file is made by the code the
officer's export button runs (casefile.start + casefile.stream: opening the item, its custody
log, every proof, the tokens and certificates, VERIFY.txt, the signature) and read to the end.
Also timed once: `flask export verify`'s check of that ZIP, and the shipped verify_proofs.py
under `python3 -I`. Budget: the case file in < 2 s.
"""
from __future__ import annotations

import argparse
import io
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402
from flask_migrate import upgrade  # noqa: E402
from PIL import Image  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from app import create_app  # noqa: E402
from app.extensions import db  # noqa: E402
from app.models import Submission, User  # noqa: E402
from app.sealed import keys  # noqa: E402
from app.sealed import tsa as tsa_client  # noqa: E402
from app.services import accounts  # noqa: E402
from app.services.evidence import casefile, timestamps  # noqa: E402
from app.services.evidence.verify import verify  # noqa: E402
from config import TestingConfig  # noqa: E402
from tests.helpers import submit_report  # noqa: E402
from tests.tsa import TestAuthority, _handler, make_authority  # noqa: E402


def photo(kb: int, seed: int) -> bytes:
    """A JPEG of about `kb` KiB: noise compresses badly, as photos do."""
    side = 64
    while True:
        image = Image.frombytes("RGB", (side, side), os.urandom(side * side * 3))
        out = io.BytesIO()
        image.save(out, "JPEG", quality=85)
        if out.tell() >= kb * 1024 or side > 4000:
            return out.getvalue()
        side = int(side * 1.4)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=10)
    parser.add_argument("--kb", type=int, default=800)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="casefile-bench-"))

    authority = make_authority(folder / "ca", "Bench")
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    state = TestAuthority(f"http://127.0.0.1:{server.server_address[1]}/tsa", authority, authority, folder)
    server.RequestHandlerClass = _handler(state)
    threading.Thread(target=server.serve_forever, daemon=True).start()

    class Config(TestingConfig):
        SQLALCHEMY_DATABASE_URI = args.database_url or f"sqlite:///{folder / 'bench.sqlite3'}"
        UPLOAD_DIR = str(folder / "uploads")
        TSA_URLS = (state.url,)
        TSA_CA_FILE = str(authority.ca_file)
        MAX_FILES_PER_SUBMISSION = max(args.files, 10)

    app = create_app(Config)
    with app.app_context():
        upgrade()
        keyring, _code = keys.create_keys(db.session, "bench")
        officer = accounts.create_user(db.session, "bench@example.org", "bench password", role="officer",
                                       name="bench", languages=["ko"], keyring=keyring, contact_access=False)
        db.session.commit()
        officer_id = officer.id
    files = [(f"사진 {i}.jpg", photo(args.kb, i)) for i in range(args.files)]
    sent = submit_report(app.test_client(), narrative="벤치마크 제보", files=files, keep_metadata="y")
    assert sent.status_code == 200, sent.status_code
    with app.app_context():
        result = timestamps.run(db.session, [state.url], tsa_client.load_anchors(str(authority.ca_file)), timeout=10)
        assert result.outcome == "stamped" and result.pieces == args.files + 1, result
        item = db.session.scalar(sa.select(Submission))
        public_id = item.public_id
    totals, body = [], b""
    for run in range(args.runs):
        with app.test_request_context():
            started = time.perf_counter()
            user = db.session.get(User, officer_id)
            job = casefile.start(db.session, user, [db.session.get(Submission, item.id)], False)
            db.session.close()
            trust = casefile.Trust.from_config(app.config)
            body = b"".join(casefile.stream(lambda: Session(db.engine), job, app.config["UPLOAD_DIR"], keyring, trust))
            totals.append(time.perf_counter() - started)
        print(f"run {run + 1}: case file of {public_id} ({len(body) / 1e6:.1f} MB) in {totals[-1]:.3f} s")
    path = folder / "case.zip"
    path.write_bytes(body)
    with zipfile.ZipFile(path) as archive:
        proofs = sum(1 for name in archive.namelist() if name.startswith("timestamps/"))
        archive.extractall(folder / "unpacked")
    with app.app_context():
        started = time.perf_counter()
        checked = verify(db.session, path)
        verified = time.perf_counter() - started
        assert checked.ok and checked.proofs == args.files + 1, checked.differences
    started = time.perf_counter()
    script = subprocess.run(["python3", "-I", "timestamps/verify_proofs.py"], cwd=folder / "unpacked",
                            capture_output=True, text=True, check=False)
    scripted = time.perf_counter() - started
    assert script.returncode == 0, script.stdout
    print(f"{args.files} files of ~{args.kb} KiB, {checked.proofs} proofs, {proofs} files under timestamps/ "
          f"({Config.SQLALCHEMY_DATABASE_URI.split(':')[0]})")
    print(f"case file: median {statistics.median(totals):.3f} s, max {max(totals):.3f} s — budget 2 s")
    print(f"flask export verify (manifest, signature, proofs, token, custody, database): {verified:.3f} s; "
          f"verify_proofs.py under python3 -I: {scripted:.3f} s")
    server.shutdown()


if __name__ == "__main__":
    main()
