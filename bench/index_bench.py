"""Keeping the sealed search index up to date, measured against gunicorn.

Run: .venv/bin/python bench/index_bench.py --reuse PREPARED_JSON [--new 500] [--rounds 3]

On an instance kept by queue_bench.py (--prepare-only or --keep): each round adds --new
submissions with `flask demo seed` *without* the recovery code, so they arrive as reports do at
night — sealed, waiting for the index. gunicorn starts (as queue_bench.py starts it), the bench
officer logs in, and the first queue page is timed: the staff request indexes nothing itself
past INLINE_LIMIT and hands the backlog to a background thread of the worker. Then /staff/ is
read every half second until it no longer says that items wait; that time gives the rate at
which the thread indexes (and merges) under a live server. Last, the workers' memory (RSS).
Traffic goes to 127.0.0.1 only and every loop is bounded.
"""
from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from public_load import free_port, start
from queue_bench import EMAIL, Browser, flask, load_prepared

WAITING = re.compile(r'id="index-waiting">[^<]*?([\d,]+)')


def worker_rss_mb(master: int) -> list[float]:
    children = subprocess.run(["ps", "--ppid", str(master), "-o", "pid="], capture_output=True, text=True).stdout
    sizes = []
    for pid in children.split():
        status = Path(f"/proc/{pid}/status").read_text()
        sizes.append(int(re.search(r"VmRSS:\s+(\d+)", status).group(1)) / 1024)
    return sizes


def one_round(env: dict, new: int) -> tuple[float, float, float, list[float]]:
    flask(env, "demo", "seed", "--submissions", str(new))
    port = free_port()
    server = start("wsgi:app", port, env)
    try:
        browser = Browser(port)
        browser.login(EMAIL, Path(env["INSTANCE_DIR"]) / f"bench-totp-{EMAIL}.txt")
        started = time.perf_counter()
        first, page = browser.timed("/staff/")
        waiting = WAITING.search(page)
        deadline = time.monotonic() + 900
        while WAITING.search(page) and time.monotonic() < deadline:
            time.sleep(0.5)
            _, page = browser.timed("/staff/")
        indexed_in = time.perf_counter() - started
        assert not WAITING.search(page), "still waiting after 15 minutes"
        return first, indexed_in, new / indexed_in, worker_rss_mb(server.pid) if waiting else []
    finally:
        os.killpg(server.pid, 15)
        server.wait(timeout=20)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reuse", required=True, metavar="PREPARED_JSON")
    parser.add_argument("--new", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    env, database, size, _ = load_prepared(args.reuse)
    print(f"{database}, {size:,} submissions kept, {args.new} new per round", flush=True)
    for round_ in range(1, args.rounds + 1):
        first, seconds, rate, rss = one_round(env, args.new)
        print(f"  round {round_}: first queue page {first:.0f} ms; {args.new} indexed in {seconds:.1f} s "
              f"({rate:.0f}/s, merges included); worker RSS {', '.join(f'{r:.0f}' for r in rss)} MB", flush=True)


if __name__ == "__main__":
    main()
