"""`flask doctor`'s checks (app/services/ops/doctor.py) on a production configuration: what a
sound installation looks like, and every problem named in plain words with what to do."""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory

from app.extensions import db
from app.models import OutboxEmail, Setting
from app.models.base import utcnow
from app.sealed import repad, search
from app.services.mail import Rendered, message_values
from app.services.ops import doctor
from app.services.records import records
from app.services.records.records import RecordInput
from tests.deploy.servers import onion_address
from tests.factories import SubmissionFactory
from tests.smtp import free_port


@pytest.fixture(autouse=True)
def _clock_in_sync(monkeypatch):
    # Whether this machine runs NTP is not the test's business; the check is tested on its own.
    monkeypatch.setattr(doctor, "_clock_unsynchronized", lambda: False)


def nginx_conf(tmp_path: Path, body: str = "/dev/shm") -> str:
    """A rendered moksori-common.conf whose upload buffer is `body` (/dev/shm: a tmpfs on Linux)."""
    conf = tmp_path / "moksori-common.conf"
    conf.write_text(f"client_max_body_size 101m;\nclient_body_temp_path {body};\n")
    return str(conf)


def installation(app, tmp_path: Path, environ: dict | None = None, nginx: str | None = None,
                 **config) -> doctor.Installation:
    heads = set(ScriptDirectory.from_config(app.extensions["migrate"].migrate.get_config()).get_heads())
    uploads = tmp_path / "uploads"
    uploads.mkdir(mode=0o700, exist_ok=True)
    settings = {**app.config, "ENV_NAME": "production", "SECRET_KEY": "s" * 48, "UPLOAD_DIR": str(uploads),
                "PUBLIC_BASE_URL": "https://moksori.example.org", "MAIL_FROM": "Moksori <news@moksori.example.org>",
                "SUBMITTER_NOTICE_FROM": "알림 <a7k2@mail.example>", **config}
    return doctor.Installation(config=settings, session=db.session, environ=environ or {"GUNICORN_WORKERS": "1"},
                               expected_heads=heads, static_dir=app.static_folder, code_dir=app.root_path,
                               onion_hostname_file=str(tmp_path / "hostname"),
                               nginx_conf=nginx or nginx_conf(tmp_path))


def by_check(findings) -> dict[str, list[doctor.Finding]]:
    grouped: dict[str, list[doctor.Finding]] = {}
    for finding in findings:
        grouped.setdefault(finding.check, []).append(finding)
    return grouped


def levels(findings, check: str) -> set[str]:
    return {finding.level for finding in by_check(findings).get(check, [])}


def text(findings, check: str) -> str:
    return " ".join(finding.message for finding in by_check(findings)[check])


def test_a_sound_installation_has_no_problem(app_ctx, smtp_server, tmp_path):
    onion = onion_address()
    (tmp_path / "hostname").write_text(onion + "\n")
    findings = doctor.run(installation(app_ctx, tmp_path, MAIL_SERVER=smtp_server.host, MAIL_PORT=smtp_server.port,
                                       ONION_ADDRESS=onion))
    assert not [f for f in findings if f.level == doctor.PROBLEM], findings
    assert levels(findings, "keys") == {doctor.OK} and levels(findings, "onion") == {doctor.OK}
    assert "nothing was sent" in text(findings, "mail") and smtp_server.received == []
    assert f"{onion} is the address tor serves" in text(findings, "onion")
    assert "up to date" in text(findings, "database") and "is writable" in text(findings, "uploads")
    assert levels(findings, "nginx uploads") == {doctor.OK} and "on tmpfs" in text(findings, "nginx uploads")
    # One gunicorn worker with limits in memory works, but a restart forgets them.
    assert levels(findings, "rate limits") == {doctor.WARNING}
    # Without the visitor passed on by nginx, every visitor shares each limit.
    assert "CLIENT_ADDRESS_HEADER is not set" in text(findings, "rate limits")
    behind_nginx = doctor.run(installation(app_ctx, tmp_path, CLIENT_ADDRESS_HEADER="X-Moksori-Client"))
    assert "CLIENT_ADDRESS_HEADER" not in text(behind_nginx, "rate limits")


def test_every_problem_is_named_with_what_to_do(app_ctx, no_keys, tmp_path, monkeypatch):
    db.session.add(OutboxEmail(**{**message_values(recipient="r@example.org", rendered=Rendered("s", "t", "<p>t</p>"),
                                                   kind="update", locale="ko", sender="a@example.org"),
                                  "created_at": utcnow() - timedelta(hours=1)}))
    db.session.commit()
    leftover = tmp_path / "DEVELOPMENT-RECOVERY-CODE.txt"
    leftover.write_text("code")
    (tmp_path / "hostname").write_text(onion_address())
    monkeypatch.setattr(doctor, "_filesystem", lambda path: "tmpfs")
    findings = doctor.run(installation(
        app_ctx, tmp_path, environ={"GUNICORN_WORKERS": "4"}, SECRET_KEY="short", DEVELOPMENT_KEYS_FILE=str(leftover),
        RATELIMIT_STORAGE_URI="memory://", MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port(),
        SUBMITTER_NOTICE_FROM="알림 <notice@moksori.example.org>", ONION_ADDRESS="a" * 56 + ".onion",
        PUBLIC_BASE_URL="http://127.0.0.1:5000", TIMEZONE="Korea/Pyongyang-ish"))
    expected = {
        "environment": "SECRET_KEY is shorter than 32 characters",
        "keys": "`moksori users create EMAIL --role admin`",
        "rate limits": "with 4 gunicorn workers",
        "mail": "cannot use the mail server 127.0.0.1",
        "notice sender": "uses the domain of your site or mail",
        "uploads": "lost at the next restart",
        "clock": "is not a known time zone",
        "onion": "its checksum is wrong",
        "links": "would point to this machine",
    }
    for check, words in expected.items():
        assert doctor.PROBLEM in levels(findings, check), (check, by_check(findings).get(check))
        assert words in text(findings, check), check
    assert "holds a recovery code on this server" in text(findings, "keys")
    assert "have waited more than 15 minutes" in text(findings, "mail")


def test_a_database_behind_the_code_is_told_to_upgrade(app_ctx, tmp_path):
    findings = doctor.run(installation(app_ctx, tmp_path))
    stale = installation(app_ctx, tmp_path)
    stale.expected_heads = {"9999"}
    assert levels(findings, "database") <= {doctor.OK, doctor.WARNING}
    assert "run `moksori db upgrade`" in text(doctor.run(stale), "database")


def test_an_unreachable_redis_and_a_foreign_onion_address(app_ctx, tmp_path):
    (tmp_path / "hostname").write_text(onion_address())
    findings = doctor.run(installation(app_ctx, tmp_path, RATELIMIT_STORAGE_URI=f"redis://127.0.0.1:{free_port()}/0",
                                       ONION_ADDRESS=onion_address()))
    assert "does not answer" in text(findings, "rate limits") and doctor.PROBLEM in levels(findings, "rate limits")
    assert "the wrong place" in text(findings, "onion")


def test_upload_folders_that_cannot_work(app_ctx, tmp_path):
    static = installation(app_ctx, tmp_path, UPLOAD_DIR=str(Path(app_ctx.static_folder) / "uploads"))
    assert "which the web server shows to anyone" in text(doctor.run(static), "uploads")
    missing = doctor.run(installation(app_ctx, tmp_path, UPLOAD_DIR=str(tmp_path / "not" / "yet")))
    assert "does not exist yet (the first upload creates it)" in text(missing, "uploads")


def test_onion_addresses_are_checked_by_their_checksum():
    assert doctor.valid_onion("duckduckgogg42xjoc72x3sjasowoarfbgcmvfimaftt6twagswzczad.onion")
    assert doctor.valid_onion(onion_address())
    assert not doctor.valid_onion("duckduckgogg42xjoc72x3sjasowoarfbgcmvfimaftt6twagswzczae.onion")
    assert not doctor.valid_onion("not base32!.onion")


def test_the_clock_check_reads_the_kernels_state():
    assert doctor._clock_unsynchronized() in (True, False)  # the real call (the fixture patches run()'s)


def test_an_empty_outbox_is_not_mentioned(app_ctx, tmp_path):
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxEmail)) == 0
    mail = text(doctor.run(installation(app_ctx, tmp_path)), "mail")
    assert "waited more than" not in mail and "failed for good" not in mail


def test_the_search_index_says_what_is_left_to_do(app_ctx, org_keys, tmp_path):
    SubmissionFactory(narrative="혜산에서 있었던 일입니다.")
    findings = doctor.run(installation(app_ctx, tmp_path))
    assert levels(findings, "search index") == {doctor.OK}
    assert "1 submission(s) and 0 record(s) wait" in text(findings, "search index")
    records.create(db.session, None, RecordInput(kind="person", name="박영호"))  # records wait for the index too
    db.session.commit()
    assert "1 submission(s) and 1 record(s) wait" in text(doctor.run(installation(app_ctx, tmp_path)), "search index")
    search.run(db.session, org_keys.keyring)
    search.rotate_key(db.session, org_keys.keyring)
    db.session.merge(Setting(key=repad.NEEDED, value="true"))
    db.session.commit()
    findings = doctor.run(installation(app_ctx, tmp_path))
    assert levels(findings, "search index") == {doctor.WARNING}
    assert "rotate-search" in text(findings, "search index") and "pad-existing" in text(findings, "search index")


def test_the_quick_exit_says_where_it_leads_and_for_whom(app_ctx, tmp_path):
    urls = {"ko": "https://www.weather.com.cn/", "en": "https://www.weather.com.cn/"}
    findings = doctor.run(installation(app_ctx, tmp_path, QUICK_EXIT_URLS=urls, QUICK_EXIT_AUDIENCE="china",
                                       QUICK_EXIT_URL="", QUICK_EXIT_URL_KO="", QUICK_EXIT_URL_EN=""))
    said = text(findings, "quick exit")
    assert "ko pages -> https://www.weather.com.cn/" in said and "defaults for readers in china" in said
    urls = {"ko": "https://tianqi.qq.com/", "en": "https://www.weather.com.cn/"}
    findings = doctor.run(installation(app_ctx, tmp_path, QUICK_EXIT_URLS=urls, QUICK_EXIT_AUDIENCE="china",
                                       QUICK_EXIT_URL="", QUICK_EXIT_URL_KO="https://tianqi.qq.com/"))
    assert "ko pages -> https://tianqi.qq.com/" in text(findings, "quick exit") and "set for ko" in text(
        findings, "quick exit")


def test_uploads_that_nginx_keeps_on_a_disk_are_a_problem(app_ctx, tmp_path):
    """nginx holds each upload in the clear until it is complete (client_body_temp_path): on a
    disk, where /run is not a tmpfs, it would stay recoverable (issue 20)."""
    (tmp_path / "body").mkdir()
    on_disk = doctor.run(installation(app_ctx, tmp_path, nginx=nginx_conf(tmp_path, str(tmp_path / "body"))))
    if doctor._filesystem(tmp_path) in doctor.VOLATILE_FILESYSTEMS:
        pytest.skip(f"{tmp_path} is itself on a tmpfs here")
    assert levels(on_disk, "nginx uploads") == {doctor.PROBLEM}
    said = text(on_disk, "nginx uploads")
    assert str(tmp_path / "body") in said and "Mount a tmpfs" in said
    missing = doctor.run(installation(app_ctx, tmp_path, nginx=nginx_conf(tmp_path, str(tmp_path / "gone"))))
    assert levels(missing, "nginx uploads") == {doctor.WARNING} and "is its tmpfs mounted" in text(missing,
                                                                                                  "nginx uploads")
    unread = doctor.run(installation(app_ctx, tmp_path, nginx=str(tmp_path / "no-such.conf")))
    assert levels(unread, "nginx uploads") == {doctor.WARNING} and "--nginx-conf" in text(unread, "nginx uploads")
