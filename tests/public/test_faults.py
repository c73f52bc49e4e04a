"""Faults keep what was typed (issue 10, item 5). A database connection that is really cut
(PostgreSQL: pg_terminate_backend of the request's own backend; SQLite: its connection closed
under it) or an upload folder that is really read-only or full, in the middle of a public
form's POST: the form comes back (503) with the text kept and a localized "please send
again" that says files must be chosen again; a lost connection is tried once more without
storing twice; nothing is half-stored and no partial file stays in the upload folder."""
from __future__ import annotations

import os
import secrets
import subprocess
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from app.extensions import db
from app.models import Attachment, AuditEvent, Message, OutboxEmail, Submission, Subscriber
from tests.helpers import hidden_fields, image_bytes, pdf_bytes, post_form, receipt_code, submit_report

KO_AGAIN = "저희 쪽의 일시적인 문제로 보내신 내용을 저장하지 못했습니다"
KO_FILES = "파일은 남아 있지 않으니 다시 선택해 주세요"
EN_AGAIN = "Because of a temporary problem on our side, what you sent could not be saved."


def count(model) -> int:
    db.session.rollback()  # the test's app context is the requests' too: end their last read
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def created_events() -> list[str]:
    db.session.rollback()
    return list(db.session.scalars(sa.select(AuditEvent.action).where(AuditEvent.action.like("submission.%"))))


def files_in(folder) -> list[Path]:
    return [path for path in Path(folder).rglob("*") if path.is_file()]


def _cut(connection) -> None:
    """Cut this connection for real, as an attacker who can reach the database would."""
    raw = connection.connection.dbapi_connection
    if connection.dialect.name == "postgresql":
        with sa.create_engine(connection.engine.url, poolclass=sa.pool.NullPool).connect() as other:
            other.execute(sa.text("SELECT pg_terminate_backend(:pid, 10000)"), {"pid": raw.info.backend_pid})
    else:
        raw.close()


@contextmanager
def connection_cut(statement: str, times: int = 1_000, engine: sa.Engine | None = None):
    """The connection is cut just before the first `times` statements starting with `statement`
    (on `engine`, by default the current application's)."""
    left = {"times": times, "cut": 0}

    def before(connection, cursor, sql, *args):
        if sql.lstrip().upper().startswith(statement.upper()) and left["times"] > 0:
            left["times"] -= 1
            left["cut"] += 1
            _cut(connection)

    engine = engine or db.engine
    event.listen(engine, "before_cursor_execute", before)
    try:
        yield left
    finally:
        event.remove(engine, "before_cursor_execute", before)


def test_a_cut_connection_is_tried_once_more_and_the_report_stored_once(client, app, app_ctx):
    with connection_cut("INSERT INTO submission", times=1) as cut:
        response = submit_report(client, narrative="연결이 끊겨도 한 번만 저장되는 증언",
                                 files=[("사진.png", image_bytes("PNG"))])
    assert cut["cut"] == 1
    assert response.status_code == 200 and receipt_code(response.get_data(as_text=True))
    assert (count(Submission), count(Attachment)) == (1, 1)
    assert len(files_in(app.config["UPLOAD_DIR"])) == 1  # the first attempt's file went with it


@pytest.mark.parametrize("statement", ["INSERT INTO submission", "INSERT INTO attachment", "INSERT INTO audit_event"])
def test_a_database_that_stays_down_gives_the_form_back_with_the_text(client, app, app_ctx, statement):
    files = [("증거.pdf", pdf_bytes()), ("사진.png", image_bytes("PNG"))]
    with connection_cut(statement) as cut:
        response = submit_report(client, narrative="끊긴 연결에도 남아야 하는 긴 증언", files=files,
                                 place="혜산 보위부", contact_alias="새벽")
    assert cut["cut"] == 2  # the first attempt and the one retry
    html = response.get_data(as_text=True)
    assert response.status_code == 503
    assert "끊긴 연결에도 남아야 하는 긴 증언" in html and "혜산 보위부" in html and "새벽" in html
    assert KO_AGAIN in html and KO_FILES in html and 'lang="ko"' in html
    assert (count(Submission), count(Attachment), count(OutboxEmail)) == (0, 0, 0) and not created_events()
    assert files_in(app.config["UPLOAD_DIR"]) == []  # neither .part files nor finished ones
    # Sent again once the database is back: stored once, with the same one-time form token.
    again = client.post("/ko/report", data={**hidden_fields(html), "narrative": "끊긴 연결에도 남아야 하는 긴 증언"})
    assert again.status_code == 200 and count(Submission) == 1


def test_the_english_form_says_it_in_english(client, app_ctx):
    with connection_cut("INSERT INTO submission"):
        response = submit_report(client, lang="en", narrative="Typed before the fault")
    html = response.get_data(as_text=True)
    assert response.status_code == 503 and "Typed before the fault" in html and EN_AGAIN in html
    assert "choose them again" in html and KO_AGAIN not in html


def test_the_contact_form_keeps_what_was_typed(client, app_ctx):
    with connection_cut("INSERT INTO submission"):
        response = post_form(client, "/ko/contact", {"alias": "진달래", "topic": "other", "language": "ko",
                                                     "channel": "phone", "handle": "010-1234-5678",
                                                     "message": "저녁에 연락 주세요"})
    html = response.get_data(as_text=True)
    assert response.status_code == 503 and KO_AGAIN in html
    assert "진달래" in html and "010-1234-5678" in html and "저녁에 연락 주세요" in html
    assert count(Submission) == 0


def test_the_subscribe_form_keeps_what_was_typed(client, app_ctx):
    with connection_cut("INSERT INTO subscriber"):
        response = post_form(client, "/ko/subscribe", {"email": "ngo@example.org", "organization": "북한인권모임",
                                                       "language": "ko", "topics": ["reports"], "consent": "y"})
    html = response.get_data(as_text=True)
    assert response.status_code == 503 and KO_AGAIN in html
    assert "ngo@example.org" in html and "북한인권모임" in html
    assert (count(Subscriber), count(OutboxEmail)) == (0, 0)


def test_a_subscription_survives_one_cut(client, app_ctx):
    with connection_cut("INSERT INTO subscriber", times=1):
        response = post_form(client, "/ko/subscribe", {"email": "ngo@example.org", "language": "ko",
                                                       "topics": ["reports"], "consent": "y"})
    assert response.status_code == 302 and (count(Subscriber), count(OutboxEmail)) == (1, 1)


def test_the_followup_keeps_its_text_and_leaves_no_file(client, app, app_ctx):
    code = receipt_code(submit_report(client).get_data(as_text=True))
    post_form(client, "/ko/receipt", {"code": code})
    before = files_in(app.config["UPLOAD_DIR"])
    with connection_cut("INSERT INTO attachment"):
        response = post_form(client, "/ko/receipt/status", {"body": "추가로 드리는 말씀"},
                             files=[("추가.png", image_bytes("PNG"))])
    html = response.get_data(as_text=True)
    assert response.status_code == 503 and "추가로 드리는 말씀" in html and KO_FILES in html
    assert count(Message) == 0 and files_in(app.config["UPLOAD_DIR"]) == before


def test_the_receipt_code_form_keeps_the_code(client, app_ctx):
    with connection_cut("SELECT submission"):
        response = post_form(client, "/ko/receipt", {"code": "1234 5678 9012 3456"})
    html = response.get_data(as_text=True)
    assert response.status_code == 503 and "1234 5678 9012 3456" in html and KO_AGAIN in html


# The upload folder -------------------------------------------------------------------------

@contextmanager
def broken_folder(tmp_path: Path, kind: str):
    """A real read-only or full folder: a tmpfs mounted read-only or tiny (as root, who
    ignores permissions), or a folder without write permission (as anyone else)."""
    folder = tmp_path / "uploads"
    folder.mkdir()
    if os.geteuid() != 0:
        if kind == "full":
            pytest.skip("a full file system needs a tmpfs mount, which needs root")
        folder.chmod(0o555)
        try:
            yield folder
        finally:
            folder.chmod(0o755)
        return
    options = "ro,size=1m" if kind == "read-only" else "size=12k"
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)], check=False)
    if mounted.returncode != 0:
        pytest.skip("cannot mount a tmpfs here")
    try:
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], check=True)


@pytest.mark.parametrize("kind", ["read-only", "full"])
def test_a_broken_upload_folder_gives_the_form_back_and_leaves_no_partial_file(client, app, app_ctx, tmp_path, kind):
    usual = app.config["UPLOAD_DIR"]
    with broken_folder(tmp_path, kind) as folder:
        app.config["UPLOAD_DIR"] = str(folder)
        try:  # a small file that fits, then one that does not (random text: nothing shrinks it)
            big = secrets.token_hex(20_000).encode()
            response = submit_report(client, narrative="저장 공간이 가득 차도 남는 글",
                                     files=[("작은.png", image_bytes("PNG")), ("큰.txt", big)])
            leftovers = files_in(folder)
        finally:
            app.config["UPLOAD_DIR"] = usual
    html = response.get_data(as_text=True)
    assert response.status_code == 503
    assert "저장 공간이 가득 차도 남는 글" in html and KO_AGAIN in html and KO_FILES in html
    assert leftovers == []  # no .part file, and not the first file either
    assert (count(Submission), count(Attachment)) == (0, 0) and not created_events()


def test_while_the_database_stays_away_the_addition_alone_comes_back(client, app_ctx):
    code = receipt_code(submit_report(client).get_data(as_text=True))
    post_form(client, "/ko/receipt", {"code": code})
    page = client.get("/ko/receipt/status").get_data(as_text=True)
    with connection_cut(""):  # every statement: not even the status page can be read
        response = client.post("/ko/receipt/status", data={**hidden_fields(page), "body": "다시 보낼 추가 내용"})
    html = response.get_data(as_text=True)
    assert response.status_code == 503 and "다시 보낼 추가 내용" in html and KO_FILES in html
    assert 'action="/ko/receipt/status"' in html and 'name="csrf_token"' in html
    assert count(Message) == 0
