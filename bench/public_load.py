"""Public pages under load from a second process, against gunicorn, and concurrent submissions.

Run: .venv/bin/python bench/public_load.py [--requests 400] [--concurrency 8]
Reports p50/p95 of /ko/ and /ko/report against a bare Flask response on the same gunicorn
settings, worker memory (RSS), and whether concurrent report submissions were all stored
exactly once. Traffic goes to 127.0.0.1 only and every loop is bounded.
"""
from __future__ import annotations

import argparse
import http.client
import os
import re
import signal
import socket
import sqlite3
import statistics
import subprocess
import tempfile
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from http.cookies import SimpleCookie
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv" / "bin"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(module: str, port: int, env: dict) -> subprocess.Popen:
    process = subprocess.Popen(
        [str(VENV / "gunicorn"), "-c", str(ROOT / "gunicorn.conf.py"), module],
        cwd=ROOT, env={**os.environ, **env, "GUNICORN_BIND": f"127.0.0.1:{port}"},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return process
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{module} did not start")


def timed_get(port: int, path: str) -> float:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    started = time.perf_counter()
    connection.request("GET", path)
    response = connection.getresponse()
    response.read()
    connection.close()
    assert response.status == 200, response.status
    return (time.perf_counter() - started) * 1000


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[max(0, int(len(ordered) * 0.95) - 1)]


def load(port: int, path: str, requests: int, concurrency: int) -> tuple[float, float]:
    for _ in range(20):
        timed_get(port, path)  # warm-up
    with ThreadPoolExecutor(concurrency) as pool:
        samples = list(pool.map(lambda _: timed_get(port, path), range(requests)))
    return percentiles(samples)


def submit_report(port: int, n: int) -> str | None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("GET", "/ko/report")
    page = connection.getresponse()
    html = page.read().decode()
    cookie = SimpleCookie(page.getheader("Set-Cookie"))
    fields = dict(re.findall(r'<input[^>]*name="(csrf_token|form_token)"[^>]*value="([^"]*)"', html))
    fields["narrative"] = f"동시 제출 시험 {n}: 회령 보위부 구류장에서 있었던 일입니다."
    body = urllib.parse.urlencode(fields)
    headers = {"Content-Type": "application/x-www-form-urlencoded",
               "Cookie": "; ".join(f"{k}={v.value}" for k, v in cookie.items())}
    connection.request("POST", "/ko/report", body=body, headers=headers)
    response = connection.getresponse()
    text = response.read().decode()
    connection.close()
    match = re.search(r'id="receipt-code">\s*([0-9 ]{19})', text)
    return match.group(1) if match else None


def worker_rss_mb(master: subprocess.Popen) -> list[float]:
    children = subprocess.run(["pgrep", "-P", str(master.pid)], capture_output=True, text=True).stdout.split()
    sizes = []
    for pid in children:
        status = Path(f"/proc/{pid}/status").read_text()
        sizes.append(int(re.search(r"VmRSS:\s+(\d+)", status).group(1)) / 1024)
    return sizes


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--submissions", type=int, default=200)
    args = parser.parse_args()

    instance = tempfile.mkdtemp(prefix="moksori-bench-")
    env = {"INSTANCE_DIR": instance, "APP_ENV": "development", "RATELIMIT_STORAGE_URI": "memory://",
           "DATABASE_URL": f"sqlite:///{instance}/bench.sqlite3", "PYTHONPATH": str(ROOT)}
    subprocess.run([str(VENV / "flask"), "--app", "wsgi", "db", "upgrade"], cwd=ROOT, env={**os.environ, **env},
                   check=True, capture_output=True)
    # The first admin creates the organization's keys: reports are sealed from the first one.
    subprocess.run([str(VENV / "flask"), "--app", "wsgi", "users", "create", "bench.admin@example.org", "--role",
                    "admin", "--password-stdin"], cwd=ROOT, env={**os.environ, **env}, input="bench admin password\n",
                   text=True, check=True, capture_output=True)
    bare_port, app_port = free_port(), free_port()
    bare = start("bench.bare_app:app", bare_port, env)
    app = start("wsgi:app", app_port, {**env, "RATELIMIT_ENABLED": "false"})
    try:
        rows = [("bare Flask /ko/", *load(bare_port, "/ko/", args.requests, args.concurrency)),
                ("Moksori /ko/", *load(app_port, "/ko/", args.requests, args.concurrency)),
                ("Moksori /ko/report", *load(app_port, "/ko/report", args.requests, args.concurrency))]
        print(f"{'page':<22}{'p50 ms':>8}{'p95 ms':>8}   ({args.requests} requests, {args.concurrency} concurrent)")
        for name, p50, p95 in rows:
            print(f"{name:<22}{p50:>8.1f}{p95:>8.1f}")
        started = time.perf_counter()
        with ThreadPoolExecutor(args.concurrency) as pool:
            codes = list(pool.map(lambda n: submit_report(app_port, n), range(args.submissions)))
        elapsed = time.perf_counter() - started
        stored = sqlite3.connect(f"{instance}/bench.sqlite3").execute(
            "SELECT count(*), count(DISTINCT receipt_lookup) FROM submission").fetchone()
        print(f"concurrent submissions: {args.submissions} sent, {sum(1 for c in codes if c)} receipts shown, "
              f"{stored[0]} stored, {stored[1]} distinct receipt look-ups, {elapsed:.1f}s")
        print("worker RSS MB:", ", ".join(f"{size:.0f}" for size in worker_rss_mb(app)))
    finally:
        for process in (bare, app):
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=10)


if __name__ == "__main__":
    main()
