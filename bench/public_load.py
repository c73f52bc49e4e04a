"""Public pages under load from a second process, against gunicorn, and concurrent submissions.

Run: .venv/bin/python bench/public_load.py [--requests 400] [--concurrency 8] [--runs 3]
                                           [--pages report,updates] [--skip atom] [--submissions 200]
                                           [--before PATH-TO-ANOTHER-CHECKOUT]
Reports p50/p95 of every public page (both languages) against a bare Flask response on the
same gunicorn settings, worker memory (RSS), and whether concurrent report submissions were
all stored exactly once. Each run measures the bare response and then every page, one after
the other; with --runs N the table shows the run with the median ratio for each page (the
machine is shared, so one run alone says little). With --before, a second checkout (say, main
exported with `git archive`) runs beside this one and each page is measured on both in turn,
so before and after see the same load. Traffic goes to 127.0.0.1 only and every
loop is bounded.
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
import sys
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


def start(module: str, port: int, env: dict, root: Path = ROOT) -> subprocess.Popen:
    with open(Path(env["INSTANCE_DIR"]) / f"gunicorn-{port}.log", "w") as log:  # errors, when a page fails
        process = subprocess.Popen(
            [str(VENV / "gunicorn"), "-c", str(root / "gunicorn.conf.py"), "--access-logfile", "/dev/null", module],
            cwd=root, env={**os.environ, **env, "GUNICORN_BIND": f"127.0.0.1:{port}"},
            stdout=log, stderr=log, start_new_session=True,
        )
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return process
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{module} did not start")


def timed_get(port: int, path: str) -> tuple[float, int]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    started = time.perf_counter()
    connection.request("GET", path)
    response = connection.getresponse()
    response.read()
    connection.close()
    return (time.perf_counter() - started) * 1000, response.status


def status_of(port: int, path: str) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("GET", path)
    response = connection.getresponse()
    response.read()
    connection.close()
    return response.status


def seed_updates(root: Path = ROOT, count: int = 12) -> str:
    """Published updates for the list (two pages), one update and the feeds; runs in a child
    process with the bench's environment so this process never loads the app. Returns a slug."""
    sys.path.insert(0, str(root))
    from app import create_app
    from app.extensions import db
    from app.services.outreach import subscriptions
    from app.services.outreach import updates as update_service
    from config import DevelopmentConfig

    app = create_app(DevelopmentConfig)
    with app.app_context():
        links = subscriptions.Links.from_config(app.config)
        for n in range(count):
            update = update_service.save(db.session, "bench", update_service.UpdateData(
                title_ko=f"정치범수용소 실태 보고서 {n + 1}", title_en=f"Report on political prison camps {n + 1}",
                summary_ko="증언 40건을 모은 새 보고서입니다.", summary_en="A new report built on 40 testimonies.",
                body_ko="## 요약\n\n" + "탈북민 40명의 **증언**을 바탕으로 정리했습니다. " * 40,
                body_en="## Summary\n\n" + "Built on the **testimony** of 40 escapees. " * 40,
                topics=["reports"],
            ))
            update_service.publish(db.session, "bench", update, links)
        return update.slug


def public_pages(slug: str) -> list[str]:
    pages = []
    for lang in ("ko", "en"):
        pages += [f"/{lang}/", f"/{lang}/report", f"/{lang}/contact", f"/{lang}/receipt", f"/{lang}/subscribe",
                  f"/{lang}/updates", f"/{lang}/updates/{slug}", f"/{lang}/updates.atom", f"/{lang}/safety"]
    return pages


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[max(0, int(len(ordered) * 0.95) - 1)]


def load(port: int, path: str, requests: int, concurrency: int) -> tuple[float, float, int]:
    """p50 and p95 in ms of every answer, and how many were not 200 (a page that fails under
    load is a finding, not a reason to stop measuring the others)."""
    for _ in range(20):
        timed_get(port, path)  # warm-up
    with ThreadPoolExecutor(concurrency) as pool:
        results = list(pool.map(lambda _: timed_get(port, path), range(requests)))
    return (*percentiles([ms for ms, _status in results]), sum(1 for _ms, status in results if status != 200))


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


def median_run(runs: list[tuple[float, float, float]]) -> tuple[float, float, float]:
    """Of several (p50, p95, ratio) runs, the one whose ratio is the median."""
    return sorted(runs, key=lambda run: run[2])[len(runs) // 2]


def prepare(root: Path) -> tuple[dict, str]:
    """A fresh instance of the checkout at `root`: migrated, keys made, updates published."""
    venv = ROOT / ".venv" / "bin"  # the same interpreter and packages for both checkouts
    instance = tempfile.mkdtemp(prefix="moksori-bench-")
    env = {"INSTANCE_DIR": instance, "APP_ENV": "development", "RATELIMIT_STORAGE_URI": "memory://",
           "DATABASE_URL": f"sqlite:///{instance}/bench.sqlite3", "PYTHONPATH": str(root)}
    subprocess.run([str(venv / "flask"), "--app", "wsgi", "db", "upgrade"], cwd=root, env={**os.environ, **env},
                   check=True, capture_output=True)
    # The first admin creates the organization's keys: reports are sealed from the first one.
    subprocess.run([str(venv / "flask"), "--app", "wsgi", "users", "create", "bench.admin@example.org", "--role",
                    "admin", "--password-stdin"], cwd=root, env={**os.environ, **env}, input="bench admin password\n",
                   text=True, check=True, capture_output=True)
    slug = subprocess.run([str(venv / "python"), __file__, "--seed-updates", "--root", str(root)], cwd=root,
                          env={**os.environ, **env}, check=True, capture_output=True, text=True)
    return env, slug.stdout.strip().splitlines()[-1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--pages", default="", help="only paths containing one of these comma-separated words")
    parser.add_argument("--skip", default="", help="leave out paths containing one of these comma-separated words")
    parser.add_argument("--before", type=Path,
                        help="another checkout (e.g. main) measured in the same runs, page by page alternately")
    parser.add_argument("--submissions", type=int, default=200)
    parser.add_argument("--seed-updates", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--root", type=Path, default=ROOT, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.seed_updates:
        print(seed_updates(args.root))
        return

    env, slug = prepare(ROOT)
    apps = {"after": (ROOT, env)}
    if args.before:
        before_env, _slug = prepare(args.before.resolve())
        apps = {"before": (args.before.resolve(), before_env), **apps}
    bare_port = free_port()
    ports = {name: free_port() for name in apps}
    bare = start("bench.bare_app:app", bare_port, env)
    servers = {name: start("wsgi:app", ports[name], {**apps[name][1], "RATELIMIT_ENABLED": "false"}, apps[name][0])
               for name in apps}
    try:
        wanted = [word for word in args.pages.split(",") if word]
        unwanted = [word for word in args.skip.split(",") if word]
        pages = [path for path in public_pages(slug)
                 if (not wanted or any(word in path for word in wanted)) and not any(word in path for word in unwanted)
                 and all(status_of(port, path) == 200 for port in ports.values())]
        bare_runs: list[tuple[float, float, float]] = []
        runs: dict[tuple[str, str], list[tuple[float, float, float]]] = {
            (name, path): [] for name in apps for path in pages}
        failures = dict.fromkeys(runs, 0)
        load_before = os.getloadavg()[0]
        for _ in range(args.runs):
            bare_p50, bare_p95, _failed = load(bare_port, "/ko/", args.requests, args.concurrency)
            bare_runs.append((bare_p50, bare_p95, 1.0))
            for path in pages:
                for name in apps:
                    print(f"  {name} {path}", file=sys.stderr, flush=True)
                    p50, p95, failed = load(ports[name], path, args.requests, args.concurrency)
                    runs[name, path].append((p50, p95, p50 / bare_p50))
                    failures[name, path] += failed
        print(f"{args.requests} requests, {args.concurrency} concurrent, median of {args.runs} run(s); "
              f"load average {load_before:.2f} -> {os.getloadavg()[0]:.2f}")
        print(f"{'page':<28}" + "".join(f"{f'{name} p50':>12}{'p95':>8}{'x bare':>8}" for name in apps))
        bare_p50s = sorted(run[0] for run in bare_runs)
        bare_p95s = sorted(run[1] for run in bare_runs)
        print(f"{'bare Flask /ko/':<28}{bare_p50s[len(bare_p50s) // 2]:>12.1f}{bare_p95s[len(bare_p95s) // 2]:>8.1f}")
        for path in pages:
            line = f"{path.replace(slug, '<slug>'):<28}"
            for name in apps:
                p50, p95, ratio = median_run(runs[name, path])
                line += f"{p50:>12.1f}{p95:>8.1f}{ratio:>7.1f}x"
            failed = [f"{name}: {failures[name, path]} of {args.requests * args.runs} not 200"
                      for name in apps if failures[name, path]]
            print(line + (f"   ({'; '.join(failed)})" if failed else ""))
        app_port, instance = ports["after"], env["INSTANCE_DIR"]
        if args.submissions:
            started = time.perf_counter()
            with ThreadPoolExecutor(args.concurrency) as pool:
                codes = list(pool.map(lambda n: submit_report(app_port, n), range(args.submissions)))
            elapsed = time.perf_counter() - started
            stored = sqlite3.connect(f"{instance}/bench.sqlite3").execute(
                "SELECT count(*), count(DISTINCT receipt_lookup) FROM submission").fetchone()
            print(f"concurrent submissions: {args.submissions} sent, {sum(1 for c in codes if c)} receipts shown, "
                  f"{stored[0]} stored, {stored[1]} distinct receipt look-ups, {elapsed:.1f}s")
        print("worker RSS MB:", ", ".join(f"{size:.0f}" for size in worker_rss_mb(servers["after"])))
    finally:
        for process in (bare, *servers.values()):
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=30)


if __name__ == "__main__":
    main()
