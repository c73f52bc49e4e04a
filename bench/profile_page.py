"""Where a public page's time goes, in process: cProfile over repeated renders, or (--cpu) the
CPU time each public page costs next to the bare Flask app of public_load.py.

Run: .venv/bin/python bench/profile_page.py [/ko/report] [--requests 200] [--sort tottime] [--top 30]
     .venv/bin/python bench/profile_page.py --cpu [--requests 200]
A fresh SQLite instance (real migrations, the organization's keys, published updates) and
Flask's test client: no network, no gunicorn, so what is left is the application's own work.
CPU time (time.thread_time) is what a busy machine inflates least: waiting for a core is not
counted, so it gives a before/after that other work on a shared machine does not swamp.
"""
from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("INSTANCE_DIR", tempfile.mkdtemp(prefix="moksori-profile-"))
os.environ.setdefault("APP_ENV", "development")

from bare_app import app as bare_app
from flask_migrate import upgrade
from public_load import public_pages, seed_updates

from app import create_app
from config import DevelopmentConfig


def cpu_ms(client, path: str, requests: int, batches: int = 5) -> float:
    """Median over batches of the CPU milliseconds one request of `path` costs."""
    for _ in range(10):
        assert client.get(path).status_code == 200, path
    results = []
    for _ in range(batches):
        started = time.thread_time()
        for _ in range(requests // batches):
            client.get(path)
        results.append((time.thread_time() - started) / (requests // batches) * 1000)
    return statistics.median(results)


def cpu_table(app, requests: int) -> None:
    slug = seed_updates()
    bare = cpu_ms(bare_app.test_client(), "/ko/", requests)
    client = app.test_client()
    print(f"{'page':<40}{'CPU ms':>8}{'x bare':>8}   (median of 5 batches, {requests} requests)")
    print(f"{'bare Flask /ko/':<40}{bare:>8.2f}")
    for path in public_pages(slug):
        if client.get(path).status_code != 200:
            continue
        ms = cpu_ms(client, path, requests)
        print(f"{path.replace(slug, '<slug>'):<40}{ms:>8.2f}{ms / bare:>7.1f}x")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("path", nargs="?", default="/ko/report")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--sort", default="cumulative")
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--cpu", action="store_true", help="CPU time of every public page instead of a profile")
    args = parser.parse_args()
    app = create_app(DevelopmentConfig)
    with app.app_context():
        upgrade()
    if args.cpu:
        return cpu_table(app, args.requests)
    client = app.test_client()
    for _ in range(10):  # warm-up: templates compiled, keys created, caches filled
        assert client.get(args.path).status_code == 200
    started = time.perf_counter()
    for _ in range(args.requests):
        client.get(args.path)
    print(f"{args.path}: {(time.perf_counter() - started) / args.requests * 1000:.2f} ms per request unprofiled")
    profile = cProfile.Profile()
    profile.enable()
    for _ in range(args.requests):
        client.get(args.path)
    profile.disable()
    pstats.Stats(profile).sort_stats(args.sort).print_stats(args.top)


if __name__ == "__main__":
    main()
