"""Lighthouse scores (performance, accessibility, best practices, SEO; mobile) of the public
pages, against the app served by gunicorn on 127.0.0.1 with a throw-away SQLite database.

Run:  .venv/bin/python bench/lighthouse.py [--lighthouse PATH] [--pages /ko/,/ko/report,...]
Needs Lighthouse from npm (`npm install --prefix /tmp/lh lighthouse@12`; the default --lighthouse
is /tmp/lh/node_modules/.bin/lighthouse) and Debian's Chromium at /usr/bin/chromium. The suite
does not run this and CI does not depend on it; tests/public/test_page_head.py checks directly
what Lighthouse's SEO and best-practice audits look at (description, hreflang, favicon).

Performance uses Lighthouse's simulated mobile throttling (4× slower CPU): on a loaded machine
its "total blocking time" grows with the machine's load, so the script waits (at most five
minutes) for the 1-minute load average to fall below --quiet-load before measuring.
"""
from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAGES = ["/ko/", "/ko/report", "/ko/receipt", "/ko/safety", "/en/", "/en/report", "/en/receipt", "/en/safety"]
CATEGORIES = ["performance", "accessibility", "best-practices", "seo"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except urllib.error.HTTPError:  # it answered (503 until the development keys exist)
            return
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"the app did not answer at {url}")


def wait_for_quiet(limit: float) -> None:
    deadline = time.monotonic() + 300
    while os.getloadavg()[0] > limit and time.monotonic() < deadline:
        time.sleep(10)


def audit(lighthouse: str, url: str) -> dict:
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        subprocess.run(
            [lighthouse, url, "--quiet", "--form-factor=mobile", "--output=json", f"--output-path={out.name}",
             "--chrome-flags=--headless=new --no-sandbox --disable-gpu"],
            check=True, env={**os.environ, "CHROME_PATH": "/usr/bin/chromium"}, timeout=300)
        return json.load(open(out.name))


def failures(report: dict) -> list[str]:
    """The weighted audits that did not score 1, as "category: audit (value)"."""
    found = []
    for name in CATEGORIES:
        for ref in report["categories"][name]["auditRefs"]:
            result = report["audits"][ref["id"]]
            if ref.get("weight") and result["score"] is not None and result["score"] < 1:
                found.append(f"{name}: {ref['id']} ({result.get('displayValue', result['score'])})")
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lighthouse", default="/tmp/lh/node_modules/.bin/lighthouse")
    parser.add_argument("--pages", default=",".join(PAGES))
    parser.add_argument("--quiet-load", type=float, default=1.5)
    args = parser.parse_args()

    instance = tempfile.mkdtemp(prefix="moksori-lighthouse-")
    env = {**os.environ, "INSTANCE_DIR": instance, "DATABASE_URL": f"sqlite:///{instance}/db.sqlite3",
           "UPLOAD_DIR": f"{instance}/uploads", "GUNICORN_WORKERS": "1"}
    subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"],
                   cwd=ROOT, env=env, check=True, capture_output=True)
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "-b", f"127.0.0.1:{port}", "wsgi:app"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_for(f"{base}/healthz")
        print(f"{'page':<14}" + "".join(f"{name:>16}" for name in CATEGORIES))
        for path in args.pages.split(","):
            wait_for_quiet(args.quiet_load)
            report = audit(args.lighthouse, base + path)
            scores = [round(report["categories"][name]["score"] * 100) for name in CATEGORIES]
            print(f"{path:<14}" + "".join(f"{score:>16}" for score in scores)
                  + f"   load {os.getloadavg()[0]:.1f}")
            for line in failures(report):
                print(f"{'':<14}{line}")
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
