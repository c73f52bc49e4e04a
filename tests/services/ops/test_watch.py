"""ops/watch.py: what `moksori doctor` and the admin's System health page watch. Each check is
driven into each of its levels with the real thing it reads: an outbox row that failed, a
retention run that failed (recorded by the purge itself), backup folders of given ages, a
certificate made with `cryptography` that expires in 3 days, and a disk that is nearly full."""
from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from app.extensions import db
from app.models import AuditEvent, OutboxEmail
from app.models.base import utcnow
from app.services.ops import retention, watch
from app.services.ops.findings import OK, PROBLEM, WARNING, Installation, worst
from app.services.settings import retention_policy


def installation(app, tmp_path: Path, production: bool = False, now: datetime | None = None, **settings):
    config = {**app.config, "ENV_NAME": "production" if production else "testing", **settings}
    return Installation(config=config, session=db.session, environ={}, instance_dir=str(tmp_path),
                        nginx_conf=str(tmp_path / "nginx" / "moksori-common.conf"), database_ok=True, now=now)


def levels(findings, check: str) -> set[str]:
    return {finding.level for finding in findings if finding.check == check}


def text(findings, check: str) -> str:
    return " ".join(finding.message for finding in findings if finding.check == check)


def certificate(path: Path, days: float) -> Path:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "moksori.example.org")])
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(days=60))
            .not_valid_after(now + timedelta(days=days)).sign(key, hashes.SHA256()))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return path


def test_a_failed_outbox_message_is_a_warning(app_ctx, tmp_path):
    assert levels(watch.run(installation(app_ctx, tmp_path)), "mail") == {OK}
    db.session.add(OutboxEmail(kind="update", recipient="ngo@example.org", subject="s", body_text="t", body_html="h",
                               message_id="<1@example.org>", state="failed", attempts=8, next_attempt_at=utcnow(),
                               last_error="550 mailbox unavailable"))
    db.session.commit()
    findings = watch.run(installation(app_ctx, tmp_path))
    assert levels(findings, "mail") == {WARNING} and "1 e-mail(s) failed for good" in text(findings, "mail")


def test_retention_runs_are_recorded_and_a_failed_one_is_reported(app_ctx, tmp_path, monkeypatch):
    uploads = app_ctx.config["UPLOAD_DIR"]
    assert "has not run yet" in text(watch.run(installation(app_ctx, tmp_path)), "retention")
    retention.purge(db.session, retention_policy(db.session, 30), uploads)
    findings = watch.run(installation(app_ctx, tmp_path))
    assert levels(findings, "retention") == {OK} and "deleted 0 item(s)" in text(findings, "retention")

    def broken(*args):
        raise OSError("disk gone")

    monkeypatch.setattr(retention, "_sweep_orphans", broken)
    with pytest.raises(OSError):
        retention.purge(db.session, retention_policy(db.session, 30), uploads)
    event = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "retention.run")
                               .order_by(AuditEvent.id.desc())).first()
    assert json.loads(event.details)["error"] == "OSError"
    findings = watch.run(installation(app_ctx, tmp_path))
    assert levels(findings, "retention") == {WARNING} and "stopped with an error (OSError)" in text(findings,
                                                                                                 "retention")
    # Three days later with no new run: the timer has stopped.
    late = watch.run(installation(app_ctx, tmp_path, now=utcnow() + timedelta(days=3)))
    assert "last ran 3 day(s) ago" in text(late, "retention")


def test_a_production_installation_whose_purge_never_ran_is_warned(app_ctx, tmp_path):
    from app.services import audit

    audit.record(db.session, "system", "keys.created")
    db.session.commit()
    later = installation(app_ctx, tmp_path, production=True, now=utcnow() + timedelta(days=3))
    assert "has never run" in text(watch.retention_runs(later), "retention")


def _backup(folder: Path, name: str, age: timedelta) -> None:
    backup = folder / name
    backup.mkdir(parents=True)
    (backup / "manifest.json").write_text("{}")
    moment = (datetime.now(UTC) - age).timestamp()
    os.utime(backup / "manifest.json", (moment, moment))


@pytest.mark.parametrize(("age", "level"), [(timedelta(hours=3), OK), (timedelta(days=3), WARNING),
                                            (timedelta(days=10), PROBLEM)])
def test_the_newest_backup_decides(app_ctx, tmp_path, age, level):
    folder = tmp_path / "backups"
    _backup(folder, "2026-01-01", timedelta(days=40))
    _backup(folder, "newest", age)
    (folder / ".maintenance.lock").write_text("")  # hidden files are not backups
    findings = list(watch.backups(installation(app_ctx, tmp_path, BACKUP_DIR=str(folder))))
    assert levels(findings, "backups") == {level} and "newest" in text(findings, "backups")


def test_no_backup_or_an_unreadable_folder_is_a_warning(app_ctx, tmp_path):
    (tmp_path / "empty").mkdir()
    empty = list(watch.backups(installation(app_ctx, tmp_path, BACKUP_DIR=str(tmp_path / "empty"))))
    assert levels(empty, "backups") == {WARNING} and "There is no backup" in text(empty, "backups")
    missing = list(watch.backups(installation(app_ctx, tmp_path, production=True, BACKUP_DIR=str(tmp_path / "no"))))
    assert levels(missing, "backups") == {WARNING} and "cannot be read here" in text(missing, "backups")
    development = installation(app_ctx, tmp_path, BACKUP_DIR=str(tmp_path / "never-made"))
    assert "not checked" in text(watch.backups(development), "backups")  # development, no backup folder yet


@pytest.mark.parametrize(("days", "level"), [(-1, PROBLEM), (3, PROBLEM), (15, WARNING), (80, OK)])
def test_the_tls_certificate_expiry(app_ctx, tmp_path, days, level):
    cert = certificate(tmp_path / "tls" / "fullchain.pem", days + 0.5)
    findings = list(watch.tls_certificate(installation(app_ctx, tmp_path, TLS_CERT_FILE=str(cert))))
    assert levels(findings, "tls") == {level}, findings
    assert str(cert) in text(findings, "tls")


def test_the_certificate_is_found_through_the_rendered_nginx_configuration(app_ctx, tmp_path):
    cert = certificate(tmp_path / "tls" / "fullchain.pem", 3.5)
    (tmp_path / "nginx").mkdir()
    (tmp_path / "nginx" / "moksori-common.conf").write_text("client_body_temp_path /dev/shm;\n")
    (tmp_path / "nginx" / "moksori.conf").write_text(f"server {{\n    ssl_certificate {cert};\n}}\n")
    findings = list(watch.tls_certificate(installation(app_ctx, tmp_path, production=True)))
    assert levels(findings, "tls") == {PROBLEM} and "expires in 3 day(s)" in text(findings, "tls")


def test_no_certificate_is_checked_outside_production(app_ctx, tmp_path):
    assert list(watch.tls_certificate(installation(app_ctx, tmp_path))) == []
    production = list(watch.tls_certificate(installation(app_ctx, tmp_path, production=True)))
    assert levels(production, "tls") <= {WARNING}


@pytest.mark.parametrize(("free", "level"), [(3, PROBLEM), (10, WARNING), (50, OK)])
def test_disk_space_in_percent_free(app_ctx, tmp_path, monkeypatch, free, level):
    monkeypatch.setattr(watch, "disk_usage", lambda path: (100 * 2**30, (100 - free) * 2**30, free * 2**30))
    findings = list(watch.disk_space(installation(app_ctx, tmp_path)))
    assert levels(findings, "disk space") == {level}
    assert f"{free}.0% is free" in text(findings, "disk space") and str(tmp_path) in text(findings, "disk space")


def test_the_worst_level_decides_and_a_broken_check_does_not_hide_the_others(app_ctx, tmp_path, monkeypatch):
    def broken(it):
        raise RuntimeError("x")

    monkeypatch.setattr(watch, "CHECKS", (("backups", broken), ("mail", watch.mail_queue)))
    findings = watch.run(installation(app_ctx, tmp_path))
    assert [f.check for f in findings] == ["backups", "mail"] and worst(findings) == PROBLEM
    assert "The check itself failed: RuntimeError" in text(findings, "backups")


def test_a_certificate_that_cannot_be_read_is_a_warning(app_ctx, tmp_path):
    garbage = tmp_path / "fullchain.pem"
    garbage.write_text("not a certificate")
    for path in (garbage, tmp_path / "missing.pem"):
        findings = list(watch.tls_certificate(installation(app_ctx, tmp_path, TLS_CERT_FILE=str(path))))
        assert levels(findings, "tls") == {WARNING} and "cannot be read by this account" in text(findings, "tls")
