"""Where one public page's time goes: cProfile over repeated renders, in process.

Run: .venv/bin/python bench/profile_page.py [/ko/report] [--requests 200] [--sort tottime] [--top 30]
A fresh SQLite instance (real migrations, the organization's keys) and Flask's test client:
no network, no gunicorn, so what is left is the application's own work for that page.
"""
from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("INSTANCE_DIR", tempfile.mkdtemp(prefix="moksori-profile-"))
os.environ.setdefault("APP_ENV", "development")

from flask_migrate import upgrade

from app import create_app
from config import DevelopmentConfig


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("path", nargs="?", default="/ko/report")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--sort", default="cumulative")
    parser.add_argument("--top", type=int, default=40)
    args = parser.parse_args()
    app = create_app(DevelopmentConfig)
    with app.app_context():
        upgrade()
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
