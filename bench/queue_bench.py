"""The staff queue and search at scale, measured from a second process against gunicorn.

Run: .venv/bin/python bench/queue_bench.py [--databases sqlite,postgresql] [--sizes 10000,100000]
                                           [--requests 200] [--deep 50]

For each database and size: a fresh database, `flask demo seed --submissions N`, an officer
created with `flask users create`, gunicorn started as its own process; then this process logs
in through the real forms (password, then TOTP from pyotp) and times, one request at a time,
the default queue page, filtered pages, a deep page (keyset cursors followed --deep pages in,
then that page timed), searches for 고문 (two syllables) and 공개처형 (four), and 고문 with
every match counted (the page's "count them all" link; other pages stop counting at 1,000).
PostgreSQL runs in a database `moksori_bench` (--pg-database) that is created and dropped by
the run; one that another process is using is left alone and the run stops. Traffic goes to 127.0.0.1 only
and every loop is bounded.
"""
from __future__ import annotations

import argparse
import html
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Callable
from http.client import HTTPConnection
from http.cookies import SimpleCookie
from pathlib import Path

import pyotp
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent))
from public_load import ROOT, VENV, free_port, percentiles, start

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
PG_DATABASE = "moksori_bench"
EMAIL, PASSWORD = "bench.officer@example.org", "bench password for the queue"
PAGES = [
    ("default queue page", "/staff/"),
    ("filtered: status + one officer's items", "/staff/?status=in_review&assignee={officer}"),
    ("filtered: category + language + files", "/staff/?category=V02&language=ko&files=with&sort=updated"),
    ("filtered: priority order + province", "/staff/?province=KP-09&sort=priority"),
    ("search 고문 (2 syllables)", "/staff/?q=" + urllib.parse.quote("고문")),
    ("search 공개처형 (4 syllables)", "/staff/?q=" + urllib.parse.quote("공개처형")),
    ("search a three-word phrase", "/staff/?q=" + urllib.parse.quote('"손을 뒤로 묶인"')),
    ("search a North Korean spelling (로동단련대)", "/staff/?q=" + urllib.parse.quote("로동단련대")),
    ("search 고문 + category + province", "/staff/?category=V02&province=KP-09&q=" + urllib.parse.quote("고문")),
    ("search 고문, every match counted", "/staff/?counts=all&q=" + urllib.parse.quote("고문")),
    ("statistics dashboard", "/staff/dashboard"),
]
ALL_COUNT = re.compile(r'<span class="count">([\d,]+)</span>')  # the first one is "All"


def _unused_totp_code(secret: str, remembered: Path | None) -> str:
    """The current TOTP code, after waiting for the next 30-second step if the last login (of
    this process or an earlier one, noted beside the secret) used this step's: the server
    refuses a code twice, as it should."""
    totp = pyotp.TOTP(secret)
    noted = remembered.with_name(remembered.name + ".step") if remembered else None
    last = int(noted.read_text()) if noted and noted.exists() else -1
    step = int(time.time()) // totp.interval
    if step <= last:
        time.sleep((last + 1) * totp.interval - time.time() + 0.5)
        step = int(time.time()) // totp.interval
    if noted:
        noted.write_text(str(step))
    return totp.at(step * totp.interval)


class Browser:
    """Keeps the session cookie like a browser; only ever talks to 127.0.0.1:port."""

    def __init__(self, port: int):
        self.port, self.cookies = port, {}

    def request(self, method: str, path: str, form: dict | None = None, body: bytes | None = None,
                content_type: str = "") -> tuple[int, str, str]:
        """A form is sent urlencoded; a ready `body` (e.g. multipart) as it is, with its type."""
        connection = HTTPConnection("127.0.0.1", self.port, timeout=60)
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        if form is not None:
            body = urllib.parse.urlencode(form).encode()
            content_type = "application/x-www-form-urlencoded"
        if content_type:
            headers["Content-Type"] = content_type
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        text = response.read().decode()
        for header in response.headers.get_all("Set-Cookie") or []:
            for key, morsel in SimpleCookie(header).items():
                self.cookies[key] = morsel.value
        connection.close()
        return response.status, response.getheader("Location") or "", text

    def post_form(self, path: str, data: dict) -> tuple[int, str, str]:
        _, _, page = self.request("GET", path)
        hidden = dict(re.findall(r'<input[^>]*name="([^"]*csrf_token)"[^>]*value="([^"]*)"', page))
        return self.request("POST", path, {**hidden, **data})

    def login(self, email: str = EMAIL, remembered: Path | None = None) -> None:
        """Password, then TOTP: the first login enrolls it (the page shows the secret, kept in
        `remembered`); a later run of a kept instance (--reuse) uses the kept secret."""
        status, location, _ = self.post_form("/staff/login", {"email": email, "password": PASSWORD})
        assert status == 302 and location.endswith("/staff/2fa"), (status, location)
        _, _, page = self.request("GET", "/staff/2fa")
        enrolling = re.search(r'id="totp-secret">([A-Z2-7]+)<', page)
        if enrolling:
            secret = enrolling.group(1)
            if remembered:
                remembered.write_text(secret)
        else:
            assert remembered and remembered.exists(), "enrolled by an earlier run whose secret was not kept"
            secret = remembered.read_text().strip()
        status, _, _ = self.post_form("/staff/2fa", {"code": _unused_totp_code(secret, remembered)})
        assert status == 302, status

    def timed(self, path: str) -> tuple[float, str]:
        started = time.perf_counter()
        status, _, text = self.request("GET", path)
        elapsed = (time.perf_counter() - started) * 1000
        assert status == 200, (status, path)
        return elapsed, text


def deep_path(browser: Browser, pages: int) -> str:
    path = "/staff/"
    for _ in range(pages):
        _, text = browser.timed(path)
        found = re.search(r'<a href="([^"]+)" rel="next">', text)
        if not found:
            break
        path = html.unescape(found.group(1))
    return path


def flask(env: dict, *args: str, stdin: str | None = None) -> str:
    return subprocess.run([str(VENV / "flask"), "--app", "wsgi", *args], cwd=ROOT, env={**os.environ, **env},
                          input=stdin, text=True, check=True, capture_output=True).stdout


RECOVERY_CODE = re.compile(r"\b[0-9A-Z]{5}(?:-[0-9A-Z]{5}){5}\b")


def create_keys(env: dict) -> str:
    """The first admin creates the organization's keys; returns the recovery code it prints."""
    printed = flask(env, "users", "create", "bench.admin@example.org", "--role", "admin", "--password-stdin",
                    stdin=PASSWORD + "\n")
    return RECOVERY_CODE.search(printed).group(0)


def prepare(database: str, size: int, pg_name: str, then: Callable[[dict, str], None] | None = None) -> dict:
    """A fresh database seeded with `size` submissions and the bench officer; `then(env,
    recovery code)` seeds more before the officer is made (records_bench.py)."""
    instance = tempfile.mkdtemp(prefix="moksori-queue-bench-")
    url = f"sqlite:///{instance}/bench.sqlite3"
    if database == "postgresql":
        drop_postgres(pg_name)
        admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{pg_name}" TEMPLATE template0 ENCODING \'UTF8\'')
        admin.dispose()
        url = sa.engine.make_url(PG_ADMIN).set(database=pg_name).render_as_string(hide_password=False)
    env = {"INSTANCE_DIR": instance, "APP_ENV": "development", "DATABASE_URL": url, "PYTHONPATH": str(ROOT)}
    flask(env, "db", "upgrade", "heads")
    code = create_keys(env)
    started = time.perf_counter()
    if size:  # sealed as intake seals, and indexed with keyed tokens at once (the recovery code on stdin)
        flask(env, "demo", "seed", "--submissions", str(size), "--random-seed", "1", "--recovery-code-stdin",
              stdin=code + "\n")
    print(f"  seeded {size:,} on {database} in {time.perf_counter() - started:.0f}s", flush=True)
    if then is not None:
        then(env, code)
    flask(env, "users", "create", EMAIL, "--role", "officer", "--password-stdin", stdin=f"{PASSWORD}\n{code}\n")
    return env


def drop_postgres(pg_name: str) -> None:
    """Drop the bench database; never one someone else is connected to (no FORCE)."""
    admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{pg_name}"')
    admin.dispose()


def wait_for_quiet(limit: float, patience: int = 600) -> float:
    """Latency on a shared machine measures its neighbours too: wait (bounded) until the
    1-minute load average is under `limit`; returns the load measuring starts with."""
    deadline = time.monotonic() + patience
    while os.getloadavg()[0] >= limit and time.monotonic() < deadline:
        time.sleep(5)
    return os.getloadavg()[0]


def save_prepared(env: dict, database: str, size: int, pg_name: str) -> Path:
    """Keep a seeded instance for a later run (`--reuse`): seeding 1,000,000 takes long, and on
    a shared machine it is better done while others work and measured when they are done."""
    path = Path(env["INSTANCE_DIR"]) / "bench-prepared.json"
    path.write_text(json.dumps({"env": env, "database": database, "size": size, "pg_name": pg_name}))
    return path


def load_prepared(path: str) -> tuple[dict, str, int, str]:
    saved = json.loads(Path(path).read_text())
    return saved["env"], saved["database"], saved["size"], saved["pg_name"]


# The first admin that create_keys makes (same password): it holds the keys too, so a seed that
# was stopped before its officer was created can still be measured (--as-admin).
ADMIN_EMAIL = "bench.admin@example.org"


def measure(database: str, size: int, requests: int, deep: int, pg_name: str, quiet: float,
            env: dict | None = None, keep: bool = False, email: str = EMAIL) -> list[tuple]:
    env = env or prepare(database, size, pg_name)
    port = free_port()
    server = start("wsgi:app", port, env)
    results = []
    try:
        browser = Browser(port)
        browser.login(email, Path(env["INSTANCE_DIR"]) / f"bench-totp-{email}.txt")
        _, first = browser.timed("/staff/")
        assignees = re.search(r'<select[^>]*id="assignee"[^>]*>(.*?)</select>', first, re.S).group(1)
        officer = next(value for value, label in re.findall(r'value="(\d+)">([^<]*)<', assignees)
                       if not label.startswith("bench."))  # one of the officers the seed assigned items to
        paths = [(name, path.format(officer=officer)) for name, path in PAGES]
        paths.insert(4, (f"deep page ({deep} pages in)", deep_path(browser, deep)))
        load = wait_for_quiet(quiet)
        matching, samples = {}, {name: [] for name, _ in paths}
        for name, path in paths:
            for _ in range(10):
                browser.timed(path)  # warm-up: caches, connection pool, plans
            exact = path if "counts=all" in path else path + ("&" if "?" in path else "?") + "counts=all"
            found = ALL_COUNT.search(browser.timed(exact)[1])
            matching[name] = found.group(1) if found else "all"  # the dashboard counts, it lists nothing
        for _ in range(requests):  # round robin: a passing disturbance hits every request kind alike
            for name, path in paths:
                samples[name].append(browser.timed(path)[0])
        print(f"  (load average {load:.2f} before, {os.getloadavg()[0]:.2f} after; {os.cpu_count()} CPUs)", flush=True)
        for name, _ in paths:
            p50, p95 = percentiles(samples[name])
            results.append((database, size, name, matching[name], p50, p95))
            print(f"  {name:<40}{matching[name]:>9}{p50:>8.1f}{p95:>8.1f}", flush=True)
    finally:
        os.killpg(server.pid, 15)
        server.wait(timeout=20)
        if keep:
            print(f"  kept: --reuse {save_prepared(env, database, size, pg_name)}", flush=True)
        elif database == "postgresql":
            drop_postgres(pg_name)
        if not keep:
            shutil.rmtree(env["INSTANCE_DIR"], ignore_errors=True)  # database, keys, demo files
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--deep", type=int, default=50)
    parser.add_argument("--pg-database", default=PG_DATABASE)
    parser.add_argument("--quiet-load", type=float, default=0.8,
                        help="wait (up to 10 minutes) for a 1-minute load average below this before measuring")
    parser.add_argument("--prepare-only", action="store_true",
                        help="seed each database and size, keep them and print the --reuse argument; measure nothing")
    parser.add_argument("--reuse", action="append", default=[], metavar="PREPARED_JSON",
                        help="measure an instance kept by --prepare-only or --keep (repeatable)")
    parser.add_argument("--keep", action="store_true", help="keep the seeded instance after measuring")
    parser.add_argument("--as-admin", action="store_true", help="log in as the first admin, not the bench officer")
    args = parser.parse_args()
    results = []
    if args.prepare_only:
        for database in args.databases.split(","):
            for size in (int(s) for s in args.sizes.split(",")):
                pg_name = f"{args.pg_database}_{size}" if database == "postgresql" else args.pg_database
                print(f"--reuse {save_prepared(prepare(database, size, pg_name), database, size, pg_name)}",
                      flush=True)
        return
    for prepared in args.reuse:
        env, database, size, pg_name = load_prepared(prepared)
        print(f"{database}, {size:,} submissions: {'items':>23}{'p50 ms':>8}{'p95 ms':>8}", flush=True)
        results += measure(database, size, min(args.requests, 1000), min(args.deep, 500), pg_name, args.quiet_load,
                           env=env, keep=args.keep, email=ADMIN_EMAIL if args.as_admin else EMAIL)
    for database in args.databases.split(",") if not args.reuse else []:
        for size in (int(s) for s in args.sizes.split(",")):
            print(f"{database}, {size:,} submissions: {'items':>23}{'p50 ms':>8}{'p95 ms':>8}", flush=True)
            results += measure(database, size, min(args.requests, 1000), min(args.deep, 500), args.pg_database,
                               args.quiet_load, keep=args.keep)
    print("\n| database | submissions | request | items matching | p50 ms | p95 ms |\n|---|---:|---|---:|---:|---:|")
    for database, size, name, matching, p50, p95 in results:
        print(f"| {database} | {size:,} | {name} | {matching} | {p50:.1f} | {p95:.1f} |")


if __name__ == "__main__":
    main()
