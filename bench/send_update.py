"""Time to send one update to 10,000 subscribers through a local SMTP sink (budget: < 60 s).

    .venv/bin/python bench/send_update.py [--subscribers 10000] [--workers 1] [--database-url URL]

Builds a fresh database with the real migrations (SQLite in a temporary folder unless
--database-url points at an empty PostgreSQL database) and adds the confirmed subscribers.
Then it times the real path end to end:

1. publishing: one rendered, signed, personalised message per subscriber queued in the outbox;
2. delivery: `flask outbox send --once` run by --workers processes side by side (claims keep
   them apart), each batch over one SMTP connection, each message committed as sent once the
   server accepted it, to an aiosmtpd sink in its own process that counts what it receives.

It checks that every message arrived exactly once. OUTBOX_RATE_PER_SECOND is 0 (no pacing), as
for a local relay; with a hosted relay's limit, delivery takes count / rate whatever the code.
BENCH_PROFILE=FILE writes a cProfile of the (first) worker to FILE.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from public_load import free_port  # noqa: E402  importable only once sys.path has bench/ (scripts, not a package)


def run_sink(port: int) -> None:
    """The SMTP sink (a separate process): counts messages and distinct Message-IDs."""
    import threading

    from aiosmtpd.controller import Controller

    seen: list[bytes] = []
    stop = threading.Event()

    class Counter:
        async def handle_DATA(self, server, session, envelope):
            head = envelope.content.split(b"\r\n\r\n", 1)[0]
            seen.append(next((line for line in head.split(b"\r\n") if line.lower().startswith(b"message-id:")), b""))
            return "250 OK"

    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    controller = Controller(Counter(), hostname="127.0.0.1", port=port)
    controller.start()
    stop.wait()
    controller.stop()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(json.dumps({"messages": len(seen), "distinct": len(set(seen)), "cpu": usage.ru_utime + usage.ru_stime}))


def start_sink(port: int) -> subprocess.Popen:
    sink = subprocess.Popen([sys.executable, __file__, "--sink", str(port)], stdout=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return sink
        except OSError:
            time.sleep(0.05)
    sink.kill()
    raise SystemExit("the SMTP sink did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=1, help="`flask outbox send --once` processes")
    parser.add_argument("--database-url")
    parser.add_argument("--sink", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.sink:
        return run_sink(args.sink)

    workdir = Path(tempfile.mkdtemp(prefix="moksori-bench-"))
    database_url = args.database_url or f"sqlite:///{workdir / 'bench.sqlite3'}"
    port = free_port()
    env = {**os.environ, "APP_ENV": "development", "INSTANCE_DIR": str(workdir), "DATABASE_URL": database_url,
           "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(port), "OUTBOX_RATE_PER_SECOND": "0"}
    os.environ.update(env)

    import sqlalchemy as sa
    from flask_migrate import upgrade

    from app import create_app
    from app.extensions import db
    from app.models import OutboxEmail, Subscriber
    from app.services.outreach import subscriptions
    from app.services.outreach import updates as update_service
    from config import DevelopmentConfig

    app = create_app(DevelopmentConfig)
    with app.app_context():
        upgrade(revision="heads")
        db.session.execute(sa.insert(Subscriber), [
            {"email": f"ngo{n:05d}@example.org", "locale": ("ko", "en", "both")[n % 3], "topics": "reports,news",
             "state": "confirmed", "token_key": f"{n:032x}", "organization": "북한인권단체"}
            for n in range(args.subscribers)
        ])
        db.session.commit()
        update = update_service.save(db.session, "bench", update_service.UpdateData(
            title_ko="정치범수용소 실태 보고서", title_en="Report on political prison camps",
            summary_ko="증언 40건을 모은 새 보고서입니다.", summary_en="A new report built on 40 testimonies.",
            body_ko="## 요약\n\n" + "탈북민 40명의 **증언**을 바탕으로 정리했습니다. " * 40,
            body_en="## Summary\n\n" + "Built on the **testimony** of 40 escapees. " * 40,
            topics=["reports"],
        ))
        sink = start_sink(port)
        try:
            started = time.perf_counter()
            queued = update_service.publish(db.session, "bench", update, subscriptions.Links.from_config(app.config))
            publish_seconds = time.perf_counter() - started
            db.session.remove()

            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            started = time.perf_counter()
            profile = ["-m", "cProfile", "-o", os.environ["BENCH_PROFILE"]] if os.environ.get("BENCH_PROFILE") else []
            command = [sys.executable, *profile, "-m", "flask", "--app", "wsgi", "outbox", "send", "--once"]
            workers = [subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
                       for _ in range(args.workers)]
            outputs = [worker.communicate()[0].strip() for worker in workers]
            send_seconds = time.perf_counter() - started
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            worker_cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
            sent = db.session.scalar(sa.select(sa.func.count(OutboxEmail.id)).where(OutboxEmail.state == "sent"))
        finally:
            sink.send_signal(signal.SIGTERM)
            received = json.loads(sink.communicate(timeout=30)[0])

    shutil.rmtree(workdir, ignore_errors=True)
    total = publish_seconds + send_seconds
    exactly_once = sent == queued == received["messages"] == received["distinct"]
    print(f"{'PostgreSQL' if args.database_url else 'SQLite'}, {args.subscribers} subscribers, "
          f"{args.workers} worker(s), batch {app.config['OUTBOX_BATCH_SIZE']}, no pacing, "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(f"publish (render and queue {queued} messages): {publish_seconds:6.1f} s")
    print(f"deliver over SMTP ({'; '.join(outputs)}): {send_seconds:6.1f} s ({sent / send_seconds:,.0f} messages/s)")
    print(f"CPU per message: workers {worker_cpu / max(sent, 1) * 1000:.1f} ms (start-up included), "
          f"SMTP sink {received['cpu'] / max(sent, 1) * 1000:.1f} ms")
    print(f"sink received {received['messages']} messages, {received['distinct']} distinct: "
          f"{'each exactly once' if exactly_once else 'MISMATCH'}")
    print(f"total: {total:.1f} s (budget 60 s): {'within budget' if total < 60 else 'OVER BUDGET'}")


if __name__ == "__main__":
    main()
