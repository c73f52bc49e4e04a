"""What sealing costs where people feel it: receipt entry, a report with a 5 MB photo, staff
login; and the workers' memory afterwards.

Run: .venv/bin/python bench/sealed_bench.py [--database sqlite|postgresql] [--rounds 40]

A fresh instance (development settings: the production Argon2id parameters, t=3, 64 MiB),
its keys created by the first admin, gunicorn (gunicorn.conf.py) as its own process; this
process sends, one request at a time, through the real forms:
- report: GET /ko/report, then POST it with a 5 MB JPEG carrying EXIF GPS (type check,
  metadata stripping, SHA-256 twice, Argon2id for the receipt code, sealing, file encryption);
- receipt: POST /ko/receipt with one of those codes (Argon2id, the content key unwrapped, a
  key session written);
- login: POST /staff/login (the Argon2id login hash, then the keys unwrapped by a second
  Argon2id of the password) and POST /staff/2fa (TOTP, a new key session).
Timings are the POSTs alone. Traffic stays on 127.0.0.1; every loop is bounded.
"""
from __future__ import annotations

import argparse
import io
import os
import random
import re
import shutil
import signal
import tempfile
import time

import pyotp
import sqlalchemy as sa
from PIL import Image

from bench.public_load import free_port, percentiles, start, worker_rss_mb
from bench.queue_bench import PG_ADMIN, Browser, drop_postgres, flask

PASSWORD = "bench password for sealing"
CODE_RE = re.compile(r'id="receipt-code">\s*([0-9 ]{19})')


def photo_5mb() -> bytes:
    """A JPEG of about 5 MB (noise does not compress) with GPS and camera EXIF."""
    width, height = 2400, 1800
    image = Image.frombytes("RGB", (width, height), random.Random(1).randbytes(width * height * 3))
    exif = Image.Exif()
    exif[0x010F] = "BenchPhone"
    exif.get_ifd(0x8825)[2] = (42.0, 30.0, 0.0)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=95, exif=exif.tobytes())
    return buffer.getvalue()


def multipart(fields: dict, files: list[tuple[str, str, bytes]]) -> tuple[bytes, str]:
    boundary = "benchboundary7731"
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
             for k, v in fields.items()]
    for name, filename, data in files:
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                     f"Content-Type: image/jpeg\r\n\r\n".encode() + data + b"\r\n")
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def hidden(html: str) -> dict:
    return dict(re.findall(r'<input[^>]*name="(csrf_token|form_token)"[^>]*value="([^"]*)"', html))


class Client(Browser):
    """A browser that GETs a form and times the POST alone."""

    def page(self, path: str) -> str:
        status, _, text = self.request("GET", path)
        assert status == 200, (status, path)
        return text

    def timed_post(self, path: str, fields: dict, files=()) -> tuple[float, int, str, str]:
        body, content_type = multipart(fields, list(files))
        started = time.perf_counter()
        status, location, text = self.request("POST", path, body=body, content_type=content_type)
        return (time.perf_counter() - started) * 1000, status, location, text


def send_report(port: int, photo: bytes) -> tuple[float, str]:
    browser = Client(port)
    fields = {**hidden(browser.page("/ko/report")), "narrative": "회령 보위부 구류장에서 있었던 일입니다."}
    elapsed, status, _, text = browser.timed_post("/ko/report", fields, [("attachments", "사진.jpg", photo)])
    assert status == 200, status
    return elapsed, CODE_RE.search(text).group(1).replace(" ", "")


def enter_receipt(port: int, code: str) -> float:
    browser = Client(port)
    elapsed, status, location, _ = browser.timed_post("/ko/receipt", {**hidden(browser.page("/ko/receipt")),
                                                                      "code": code})
    assert status == 302 and location.endswith("/ko/receipt/status"), (status, location)
    return elapsed


def log_in(port: int, email: str) -> tuple[float, float]:
    """An officer's first login (a TOTP step is accepted once, so each login is another officer's)."""
    browser = Client(port)
    fields = {**hidden(browser.page("/staff/login")), "email": email, "password": PASSWORD}
    password_ms, status, _, _ = browser.timed_post("/staff/login", fields)
    assert status == 302, status
    page = browser.page("/staff/2fa")
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', page).group(1)
    totp_ms, status, _, _ = browser.timed_post("/staff/2fa", {**hidden(page), "code": pyotp.TOTP(secret).now()})
    assert status == 302, status
    return password_ms, totp_ms


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database", default="sqlite", choices=["sqlite", "postgresql"])
    parser.add_argument("--rounds", type=int, default=40)
    args = parser.parse_args()
    rounds = min(args.rounds, 200)
    instance = tempfile.mkdtemp(prefix="moksori-sealed-bench-")
    url = f"sqlite:///{instance}/bench.sqlite3"
    if args.database == "postgresql":
        drop_postgres("moksori_sealed_bench")
        admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.exec_driver_sql('CREATE DATABASE "moksori_sealed_bench" TEMPLATE template0 ENCODING \'UTF8\'')
        admin.dispose()
        url = sa.engine.make_url(PG_ADMIN).set(database="moksori_sealed_bench").render_as_string(hide_password=False)
    env = {"INSTANCE_DIR": instance, "APP_ENV": "development", "DATABASE_URL": url, "PYTHONPATH": os.getcwd(),
           "RATELIMIT_ENABLED": "false"}
    flask(env, "db", "upgrade")
    printed = flask(env, "users", "create", "admin@example.org", "--role", "admin", "--password-stdin",
                    stdin=PASSWORD + "\n")
    code = re.search(r"\b[0-9A-Z]{5}(?:-[0-9A-Z]{5}){5}\b", printed).group(0)
    logins = min(rounds, 20)
    for n in range(logins):
        flask(env, "users", "create", f"officer{n}@example.org", "--password-stdin", stdin=f"{PASSWORD}\n{code}\n")
    port = free_port()
    server = start("wsgi:app", port, env)
    photo = photo_5mb()
    try:
        reports, codes = [], []
        for _ in range(rounds):
            elapsed, receipt = send_report(port, photo)
            reports.append(elapsed)
            codes.append(receipt)
        receipts = [enter_receipt(port, receipt) for receipt in codes]
        password_steps, totp_steps = [], []
        for n in range(logins):
            password_ms, totp_ms = log_in(port, f"officer{n}@example.org")
            password_steps.append(password_ms)
            totp_steps.append(totp_ms)
        print(f"{args.database}: {rounds} rounds, photo {len(photo) / 1e6:.1f} MB, one request at a time")
        for name, samples in (("report with a 5 MB photo", reports), ("receipt entry", receipts),
                              ("login: password step", password_steps), ("login: TOTP step", totp_steps)):
            p50, p95 = percentiles(samples)
            print(f"| {name} | {p50:.0f} | {p95:.0f} |")
        print("worker RSS MB:", ", ".join(f"{size:.0f}" for size in worker_rss_mb(server)))
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=20)
        if args.database == "postgresql":
            drop_postgres("moksori_sealed_bench")
        shutil.rmtree(instance, ignore_errors=True)


if __name__ == "__main__":
    main()
