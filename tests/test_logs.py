"""Nothing a submitter wrote, and no client address, in any log (DESIGN §7).

Attacks: the database really fails in the middle of a submission (PostgreSQL's error repeats a
value of the row, as a unique violation does) and the log is read for every parameter the
statement carried; an operator turns SQL statement logging on; a library logs an exception
whose message quotes what was typed; gunicorn, started as in production, gets a malformed
request and a normal one from a client address that a log format asks for by name.
"""
from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.extensions import db
from tests.helpers import submit_report
from tests.smtp import free_port

ROOT = Path(__file__).resolve().parent.parent
NARRATIVE = "온성군 세선리 보위부 구류장에서 김영철 씨가 고문을 당했습니다."
NOTICE_EMAIL = "younghee.kim@example.net"

# The row's values in the error itself, as PostgreSQL's own errors do ("Key (x)=(…) already
# exists", "invalid input syntax …: "…""). Not a unique violation: that one the intake retries.
PG_FAILURE = """
CREATE FUNCTION forced_failure() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION USING ERRCODE = 'data_exception',
    MESSAGE = 'invalid value for province: ' || NEW.province,
    DETAIL = 'Key (receipt_lookup, public_id)=(' || NEW.receipt_lookup || ', ' || NEW.public_id || ') is refused.';
END $$ LANGUAGE plpgsql;
CREATE TRIGGER forced_failure BEFORE INSERT ON submission FOR EACH ROW EXECUTE FUNCTION forced_failure();
"""
SQLITE_FAILURE = ("CREATE TRIGGER forced_failure BEFORE INSERT ON submission "
                  "BEGIN SELECT json('{' || NEW.province); END")  # "malformed JSON", a real SQLite error


@pytest.fixture
def failing_submissions(app):
    """Every INSERT INTO submission fails in the database itself."""
    with app.app_context():
        postgres = db.engine.dialect.name == "postgresql"
        with db.engine.begin() as connection:
            connection.exec_driver_sql(PG_FAILURE if postgres else SQLITE_FAILURE)
    yield
    with app.app_context(), db.engine.begin() as connection:
        connection.exec_driver_sql("DROP TRIGGER forced_failure" + (" ON submission" if postgres else ""))
        if postgres:
            connection.exec_driver_sql("DROP FUNCTION forced_failure()")


def strings_in(parameters) -> set[str]:
    if isinstance(parameters, dict):
        parameters = list(parameters.values())
    found = set()
    for value in parameters if isinstance(parameters, list | tuple) else [parameters]:
        if isinstance(value, list | tuple | dict):
            found |= strings_in(value)
        elif isinstance(value, str) and len(value) >= 5:
            found.add(value)
    return found


def test_a_database_error_during_a_submission_logs_no_parameter_and_no_value(
        client, app, failing_submissions, caplog, capsys):
    sent: list[set[str]] = []
    with app.app_context():
        engine = db.engine

    def remember(_conn, _cursor, statement, parameters, _context, _many):
        if statement.lstrip().upper().startswith("INSERT INTO SUBMISSION"):
            sent.append(strings_in(parameters))

    sa.event.listen(engine, "before_cursor_execute", remember)
    try:
        with caplog.at_level(logging.DEBUG):
            response = submit_report(client, narrative=NARRATIVE, province="KP-09", place="온성군 세선리",
                                     facility_type="guryujang", perpetrator_type="state_security",
                                     notice_email=NOTICE_EMAIL)
    finally:
        sa.event.remove(engine, "before_cursor_execute", remember)
    # SQLite raises the trigger's error as an OperationalError, which counts as a fault: the form
    # comes back with the text (503, app/public AFTER_FAULT); PostgreSQL's DataError stays a 500.
    assert response.status_code == (500 if engine.dialect.name == "postgresql" else 503)
    assert sent and sent[0], "the failing INSERT was not seen"
    logged = caplog.text + capsys.readouterr().err
    assert "Error" in logged and "report_views.py" in logged  # the error is there: its kind and place
    leaked = sorted(value for value in sent[0] - {"report"} if value in logged)  # (the kind is the route's name)
    assert leaked == []
    for secret in (NARRATIVE, "온성군", "KP-09", "guryujang", NOTICE_EMAIL, "is refused", "Key ("):
        assert secret not in logged


def test_statement_logging_turned_on_shows_no_parameter(app_ctx, caplog):
    with caplog.at_level(logging.INFO, logger="sqlalchemy.engine"), db.engine.connect() as connection:
        connection.execute(sa.text("SELECT :typed"), {"typed": NARRATIVE})
    assert "SELECT" in caplog.text
    assert NARRATIVE not in caplog.text


def test_an_exception_logged_anywhere_keeps_its_place_not_its_message(app, caplog):
    try:
        int(NARRATIVE)
    except ValueError:
        logging.getLogger("some.library").exception("could not read the year")
    assert "ValueError" in caplog.text and "test_logs.py" in caplog.text and "could not read the year" in caplog.text
    assert "고문" not in caplog.text


def _client_address() -> str:
    """A loopback address other than the server's, where the system has one (Linux has 127/8)."""
    try:
        with socket.socket() as probe:
            probe.bind(("127.0.0.2", 0))
        return "127.0.0.2"
    except OSError:
        return "127.0.0.1"


CLIENT = _client_address()


def _request(port: int, raw: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10, source_address=(CLIENT, 0)) as sock:
        sock.sendall(raw)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def test_gunicorn_logs_no_client_address_access_and_error_alike(tmp_path):
    port = free_port()
    env = {**os.environ, "APP_ENV": "testing", "INSTANCE_DIR": str(tmp_path), "PYTHONPATH": str(ROOT)}
    env.pop("TEST_DATABASE_URL", None)
    # A format that asks for the address, the user agent and the forwarded-for header by name.
    asks_for_everything = '%(h)s "%(r)s" %(s)s "%(a)s" "%(f)s" %({x-forwarded-for}i)s %({remote_addr}e)s %(q)s'
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py"), "--bind", f"127.0.0.1:{port}",
         "--workers", "1", "--threads", "1", "--log-level", "debug", "--access-logformat", asks_for_everything,
         "wsgi:app"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, "gunicorn did not start"
                time.sleep(0.1)
        assert b"400 Bad Request" in _request(port, b"GARBAGE /?name=%EA%B9%80 \x01\r\n\r\n")
        normal = _request(port, b"GET /en/?q=secret-words HTTP/1.1\r\nHost: portal.example\r\nConnection: close\r\n"
                                b"User-Agent: Agent/7.7 (Phone of 198.51.100.23)\r\nReferer: https://elsewhere.example/\r\n"
                                b"X-Forwarded-For: 198.51.100.23\r\n\r\n")
        assert normal.startswith(b"HTTP/1.1 200")
        time.sleep(0.5)
    finally:
        server.send_signal(signal.SIGTERM)
        access, errors = (stream.decode() for stream in server.communicate(timeout=30))
    assert '"GET /en/ HTTP/1.1" 200' in access, access
    assert "Invalid request" in errors, errors
    # The server's own address is not a client's: the start-up line names it (it said "http://-:…").
    assert f"Listening at: http://127.0.0.1:{port} (" in errors, errors
    for leaked in (CLIENT, "198.51.100.23", "Agent/7.7", "elsewhere.example", "secret-words", "%EA%B9%80"):
        assert leaked not in access and leaked not in errors, leaked
