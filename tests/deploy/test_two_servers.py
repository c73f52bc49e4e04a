"""Two app servers (each a production gunicorn with two workers) on two ports, sharing one
PostgreSQL database, one Redis and one upload folder, as README's "Several app servers" says.
Whatever a visitor did on one works on the other: a rate limit counts across both, a staff
session and the keys it unlocked, a receipt code, an uploaded file; two outbox workers send
each mail once; and after both servers restart nothing is lost (nothing lived in a process's
memory). Runs in the PostgreSQL suite (TEST_DATABASE_URL), with Redis at TEST_REDIS_URL
(default redis://127.0.0.1:6379/0); under CI a missing Redis fails instead of skipping."""
from __future__ import annotations

import asyncio
import hashlib
import hmac
import os
import re
import signal
import subprocess
import time

import pyotp
import pytest
import sqlalchemy as sa

from app.models import OutboxEmail, Submission
from app.services.mail import Rendered, message_values
from tests.conftest import throwaway_database
from tests.deploy.servers import (
    BIN,
    CLIENT_ADDRESS,
    ROOT,
    Visitor,
    eventually,
    flask,
    free_port,
    gunicorn,
    onion_address,
    production_env,
)
from tests.smtp import Recorder, SMTPServer

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
OFFICER, PASSWORD = "officer@example.org", "officer password, long enough"
RECOVERY_CODE = re.compile(r"\b[0-9A-Z]{5}(?:-[0-9A-Z]{5}){5}\b")
NARRATIVE = "회령 보위부 구류장에서 있었던 일입니다. 두 서버 시험."
FILE = ("증거 메모.txt", "두 서버 사이에서 열리는 파일입니다.\n".encode() * 200)


def redis_client():
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.exceptions.RedisError as error:
        message = f"Redis is not reachable at {REDIS_URL} ({error}); set TEST_REDIS_URL"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return client


class SlowRecorder(Recorder):
    """Takes 10 ms per message, so that two workers sending at once really overlap."""

    async def handle_DATA(self, server, session, envelope):
        await asyncio.sleep(0.01)
        return await super().handle_DATA(server, session, envelope)


class Cluster:
    def __init__(self, tmp, database_url: str, smtp: SMTPServer):
        self.tmp, self.database_url = tmp, database_url
        self.env = production_env(tmp, DATABASE_URL=database_url, RATELIMIT_STORAGE_URI=REDIS_URL,
                                  UPLOAD_DIR=str(tmp / "shared-uploads"), GUNICORN_WORKERS="2",
                                  MAIL_SERVER=smtp.host, MAIL_PORT=str(smtp.port), OUTBOX_BATCH_SIZE="5",
                                  ONION_ADDRESS=onion_address())
        (tmp / "hostname").write_text(self.env["ONION_ADDRESS"] + "\n")
        (tmp / "shared-uploads").mkdir()
        self.ports = (free_port(), free_port())
        self.servers = [gunicorn(self.env, port, tmp / f"gunicorn-{n}.log") for n, port in enumerate(self.ports)]

    def start(self) -> None:
        for server in self.servers:
            server.start()

    def stop(self) -> None:
        for server in self.servers:
            server.stop()

    def visitor(self, server: int, cookies: dict | None = None) -> Visitor:
        visitor = Visitor(self.ports[server])
        visitor.cookies = cookies if cookies is not None else {}
        return visitor  # two visitors given the same dict share one browser's cookies

    def rate_limit_key(self) -> str:
        """What the limiter stores for CLIENT_ADDRESS (app.security.rate_limit_key)."""
        return hmac.new(self.env["SECRET_KEY"].encode(), CLIENT_ADDRESS.encode(), hashlib.sha256).hexdigest()[:32]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    if not os.environ.get("TEST_DATABASE_URL"):
        pytest.skip("several app servers share PostgreSQL: this runs in the PostgreSQL suite (TEST_DATABASE_URL)")
    redis = redis_client()
    tmp = tmp_path_factory.mktemp("two-servers")
    smtp = SMTPServer()
    smtp.handler = SlowRecorder()
    smtp.start()
    with throwaway_database(tmp / "unused.sqlite3") as url:
        cluster = Cluster(tmp, url, smtp)
        cluster.smtp = smtp
        try:
            flask(cluster.env, "db", "upgrade")
            printed = flask(cluster.env, "users", "create", "admin@example.org", "--role", "admin",
                            "--password-stdin", stdin="the first admin's password\n")
            code = RECOVERY_CODE.search(printed).group(0)
            flask(cluster.env, "users", "create", OFFICER, "--role", "officer", "--contact-access",
                  "--password-stdin", stdin=f"{PASSWORD}\n{code}\n")
            cluster.start()
            yield cluster
        finally:
            cluster.stop()
            smtp.stop()
            for key in redis.scan_iter(f"*{cluster.rate_limit_key()}*"):
                redis.delete(key)


@pytest.fixture(scope="module")
def officer(cluster) -> dict:
    """An officer's browser cookies after logging in (password, then TOTP) on server 0 only."""
    cookies: dict = {}
    visitor = cluster.visitor(0, cookies)
    status, headers, _ = visitor.post_form("/staff/login", {"email": OFFICER, "password": PASSWORD})
    assert status == 302 and headers["Location"].endswith("/staff/2fa"), status
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', visitor.text("/staff/2fa")).group(1)
    status, _, _ = visitor.post_form("/staff/2fa", {"code": pyotp.TOTP(secret).now()})
    assert status == 302
    return cookies


def subscribe(visitor: Visitor, email: str):
    return visitor.post_form("/ko/subscribe", {"email": email, "language": "ko", "topics": ["reports"], "consent": "y"})


def test_a_rate_limit_counts_across_both_servers(cluster):
    # Subscribing allows 5 per hour from one address: 3 on one server and 2 on the other use it up.
    for n in range(5):
        assert subscribe(cluster.visitor(n % 2), f"ngo{n}@example.org")[0] == 302, n
    for server in (0, 1):
        status, _, body = subscribe(cluster.visitor(server), "one-more@example.org")
        assert status == 429 and "시도 횟수" in body.decode()


def test_receipt_codes_staff_sessions_and_files_work_on_either_server(cluster, officer):
    submitter: dict = {}
    status, _, body = cluster.visitor(0, submitter).post_form("/ko/report", {"narrative": NARRATIVE}, files=[FILE])
    assert status == 200, body[:500]
    code = re.search(r'id="receipt-code">\s*([0-9 ]{19})\s*<', body.decode()).group(1)

    # The receipt code, entered on the other server, opens the sealed report there ...
    returning: dict = {}
    status, headers, _ = cluster.visitor(1, returning).post_form("/ko/receipt", {"code": code})
    assert status == 302 and headers["Location"].endswith("/ko/receipt/status")
    # ... and that receipt session (its key lives in the database) works back on the first.
    status, _, _ = cluster.visitor(0, returning).post_form(
        "/ko/receipt/status", {"body": "추가로 기억난 내용입니다."}, files=[("추가.txt", "추가 파일".encode())])
    assert status == 302
    assert "추가로 보내 주신 내용이 접수되었습니다" in cluster.visitor(1, returning).text("/ko/receipt/status")

    # The officer logged in on server 0; server 1 knows the session and its unlocked keys.
    staff = cluster.visitor(1, officer)
    public_id = re.search(r'href="/staff/submissions/([^"/]+)"', staff.text("/staff/")).group(1)
    page = staff.text(f"/staff/submissions/{public_id}")
    assert NARRATIVE in page and "추가로 기억난 내용입니다." in page
    links = dict((name, href) for href, name in re.findall(r'<a href="([^"]+/files/\d+)" download>([^<]+)</a>', page))
    assert set(links) == {FILE[0], "추가.txt"}
    # A file uploaded through server 0 downloads, decrypted, through server 1, and the reverse.
    for server, name, content in ((1, FILE[0], FILE[1]), (0, "추가.txt", "추가 파일".encode())):
        status, _, data = cluster.visitor(server, officer).get(links[name])
        assert status == 200 and data == content, name


def test_two_outbox_workers_send_every_mail_exactly_once(cluster):
    """Two `flask outbox send` workers run side by side (as two moksori-outbox services would);
    mail is queued in waves until both have sent some, then each message must arrive once."""
    engine = sa.create_engine(cluster.database_url)
    logs = [cluster.tmp / f"outbox-{n}.log" for n in range(2)]
    env = {**cluster.env, "OUTBOX_POLL_SECONDS": "1", "PYTHONUNBUFFERED": "1"}
    workers = []
    for log in logs:
        with open(log, "w") as output:
            workers.append(subprocess.Popen([str(BIN / "flask"), "--app", "wsgi", "outbox", "send"], cwd=ROOT, env=env,
                                            stdout=output, stderr=subprocess.STDOUT, start_new_session=True))

    def sent_by_each() -> list[int]:
        return [sum(map(int, re.findall(r"^sent (\d+)", log.read_text(), re.M))) for log in logs]

    def pending() -> int:
        with engine.connect() as connection:
            return connection.scalar(sa.select(sa.func.count()).select_from(OutboxEmail)
                                     .where(OutboxEmail.state != "sent"))

    try:
        queued, deadline = 0, time.monotonic() + 60
        while min(sent_by_each()) == 0 and time.monotonic() < deadline:
            wave = [message_values(recipient=f"reader{n}@example.org", kind="update", locale="ko",
                                   rendered=Rendered(f"소식 {n}", f"본문 {n}", f"<p>{n}</p>"), sender="a@example.org")
                    for n in range(queued, queued + 20)]
            with engine.begin() as connection:
                connection.execute(sa.insert(OutboxEmail), wave)
            queued += len(wave)
            time.sleep(1)
        assert eventually(lambda: pending() == 0, seconds=30), f"{pending()} not sent"
    finally:
        for worker in workers:
            os.killpg(worker.pid, signal.SIGTERM)
            worker.wait(timeout=20)
    with engine.connect() as connection:
        expected = sorted(connection.scalars(sa.select(OutboxEmail.message_id)))
    engine.dispose()
    received = sorted(message["Message-ID"] for message in cluster.smtp.messages)
    sent = sent_by_each()
    assert received == expected and len(set(received)) == len(received) == sum(sent), (len(received), sent)
    assert min(sent) > 0, f"one worker sent everything: {sent}"


def test_flask_doctor_finds_nothing_wrong_with_this_set_up(cluster):
    # Warnings (no backup yet, no time-stamping authority, …) are not faults of this set-up.
    doctor = flask(cluster.env, "doctor", "--warnings-ok", "--onion-hostname", str(cluster.tmp / "hostname"))
    report = " ".join(doctor.split())
    assert "0 problem(s)" in report
    for words in ("the organization's keys exist", "counted in Redis at redis://", "EHLO; nothing was sent",
                  "is writable", "is the address tor serves", "agrees with the database server's"):
        assert words in report, words


def test_nothing_is_lost_when_both_servers_restart(cluster, officer):
    cluster.stop()
    cluster.start()
    # The staff session and its keys, the rate limit's count: all in PostgreSQL and Redis.
    staff = cluster.visitor(1, officer)
    public_id = re.search(r'href="/staff/submissions/([^"/]+)"', staff.text("/staff/")).group(1)
    assert NARRATIVE in cluster.visitor(0, officer).text(f"/staff/submissions/{public_id}")
    assert subscribe(cluster.visitor(0), "after-restart@example.org")[0] == 429
    engine = sa.create_engine(cluster.database_url)
    with engine.connect() as connection:
        assert connection.scalar(sa.select(sa.func.count()).select_from(Submission)) == 1
    engine.dispose()
