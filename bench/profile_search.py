"""Where a staff search's time goes at scale, in process: cProfile over repeated requests of the
queue page against an instance seeded by queue_bench.py (--prepare-only or --keep).

Run: .venv/bin/python bench/profile_search.py PREPARED_JSON ['"손을 뒤로 묶인"' …]
                                               [--requests 20] [--top 25] [--as-admin]
The officer logs in through the real forms (password, then TOTP, enrolled if needed) with
Flask's test client: no network and no gunicorn, so what is left is the application's own work
and the database's. For each query it prints the median milliseconds of the whole request and
of the search's parts (finding the ids, the page, the counts), then the profile's top lines.
"""
from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import re
import statistics
import sys
import time
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

QUERIES = ["고문", "공개처형", '"손을 뒤로 묶인"', "로동단련대"]


def timed_parts() -> dict[str, list[float]]:
    """Wrap the search's parts so each request's time in them is recorded."""
    from app.sealed import search
    from app.sealed.search import reader

    parts: dict[str, list[float]] = {"find": [], "fetch": []}

    def wrap(module, name: str, part: str) -> None:
        inner = getattr(module, name)

        def timed(*args, **kwargs):
            started = time.perf_counter()
            try:
                return inner(*args, **kwargs)
            finally:
                parts[part].append((time.perf_counter() - started) * 1000)
        setattr(module, name, timed)

    wrap(search, "matching_ids", "find")
    wrap(reader.segments, "fetch", "fetch")
    return parts


def login(client, email: str, remembered: Path) -> None:
    import pyotp
    from queue_bench import PASSWORD

    def post(path: str, data: dict):
        page = client.get(path).get_data(as_text=True)
        hidden = dict(re.findall(r'<input[^>]*name="([^"]*csrf_token)"[^>]*value="([^"]*)"', page))
        return client.post(path, data={**hidden, **data})

    response = post("/staff/login", {"email": email, "password": PASSWORD})
    assert response.status_code == 302, response.status_code
    page = client.get("/staff/2fa").get_data(as_text=True)
    enrolling = re.search(r'id="totp-secret">([A-Z2-7]+)<', page)
    if enrolling:
        remembered.write_text(enrolling.group(1))
    totp = pyotp.TOTP(remembered.read_text().strip())
    noted = remembered.with_name(remembered.name + ".step")
    step = int(time.time()) // totp.interval
    if noted.exists() and step <= int(noted.read_text()):
        time.sleep((step + 1) * totp.interval - time.time() + 0.5)
        step = int(time.time()) // totp.interval
    noted.write_text(str(step))
    assert post("/staff/2fa", {"code": totp.at(step * totp.interval)}).status_code == 302


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("prepared")
    parser.add_argument("queries", nargs="*", default=QUERIES)
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--sort", default="tottime", help="cProfile's order: tottime, cumulative …")
    parser.add_argument("--as-admin", action="store_true")
    args = parser.parse_args()
    saved = json.loads(Path(args.prepared).read_text())
    os.environ.update(saved["env"])
    from queue_bench import ADMIN_EMAIL, EMAIL

    from app import create_app
    from config import DevelopmentConfig

    parts = timed_parts()
    app = create_app(DevelopmentConfig)
    client = app.test_client()
    email = ADMIN_EMAIL if args.as_admin else EMAIL
    login(client, email, Path(saved["env"]["INSTANCE_DIR"]) / f"bench-totp-{email}.txt")
    for query in args.queries:
        path = "/staff/?q=" + urllib.parse.quote(query)
        for _ in range(3):
            assert client.get(path).status_code == 200
        for part in parts.values():
            part.clear()
        totals = []
        profile = cProfile.Profile()
        for _ in range(args.requests):
            started = time.perf_counter()
            profile.enable()
            client.get(path)
            profile.disable()
            totals.append((time.perf_counter() - started) * 1000)
        fetches = len(parts["fetch"]) // max(len(parts["find"]), 1)
        print(f"\n== {query}: request {statistics.median(totals):.1f} ms (median of {args.requests}), "
              f"find {statistics.median(parts['find']):.1f} ms, of which {fetches} fetches "
              f"{statistics.median(parts['fetch']) * fetches:.1f} ms", flush=True)
        pstats.Stats(profile).sort_stats(args.sort).print_stats(args.top)


if __name__ == "__main__":
    main()
