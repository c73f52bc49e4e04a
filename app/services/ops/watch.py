"""Watching a running installation: what goes wrong slowly, while the site still answers. Mail that
failed, the daily purge that failed or stopped running, backups that got old, evidence that waits
for a trusted timestamp, a TLS certificate about to expire, a disk filling up.

These checks read only (tables, files' times, a certificate); none sends anything or waits on the
network, so the admin's System health page runs them on every view. `moksori doctor` runs them
after its own checks, in English; the page passes Flask-Babel's gettext (Installation.gettext), so
every message below is a msgid with %(name)s values.
"""
from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from app.models import AuditEvent, OutboxEmail
from app.models.base import engine_of, utcnow
from app.sealed import tsa
from app.services import timestamp_queue
from app.services.ops.findings import OK, PROBLEM, WARNING, Finding, Installation
from app.services.ops.retention import ACTOR as RETENTION_ACTOR
from app.services.ops.retention import RUN_ACTION as RETENTION_RUN

DEFAULT_BACKUP_DIR = "/var/backups/moksori"  # deploy/install.sh makes it
DEFAULT_TLS_CERT = "/etc/moksori/tls/fullchain.pem"
BACKUP_WARN, BACKUP_PROBLEM = timedelta(hours=49), timedelta(days=8)  # a daily backup missed twice; a week
RETENTION_LATE = timedelta(hours=49)  # the timer runs daily (and at boot when a day was missed)
TLS_WARN_DAYS, TLS_PROBLEM_DAYS = 21, 7  # Let's Encrypt renews 30 days before
DISK_WARN, DISK_PROBLEM = 15.0, 5.0  # percent free


def run(it: Installation) -> list[Finding]:
    """Every watch check; one that breaks says so instead of hiding the others."""
    findings: list[Finding] = []
    for name, check in CHECKS:
        try:
            findings.extend(check(it))
        except Exception as error:  # a check that breaks is itself a finding, the others go on
            findings.append(Finding(name, PROBLEM, it.gettext("The check itself failed: %(error)s",
                                                              error=type(error).__name__)))
        it.session.rollback()
    return findings


def _now(it: Installation) -> datetime:
    return it.now or utcnow()


def _when(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def mail_queue(it: Installation) -> Iterator[Finding]:
    if not it.database_ok:
        return
    _ = it.gettext
    waiting = it.session.scalar(sa.select(sa.func.count()).select_from(OutboxEmail).where(
        OutboxEmail.state == "pending", OutboxEmail.created_at < _now(it) - timedelta(minutes=15))) or 0
    failed = it.session.scalar(sa.select(sa.func.count()).select_from(OutboxEmail).where(
        OutboxEmail.state == "failed")) or 0
    if waiting:
        yield Finding("mail", WARNING, _("%(count)s e-mail(s) have waited more than 15 minutes: is the mail worker "
                                         "(`moksori outbox send`, or the moksori-outbox service) running? "
                                         "`moksori outbox status` shows why.", count=waiting))
    if failed:
        yield Finding("mail", WARNING, _("%(count)s e-mail(s) failed for good: `moksori outbox status` shows the "
                                         "errors, `moksori outbox retry-failed` queues them again once the cause is "
                                         "fixed.", count=failed))
    if not waiting and not failed:
        yield Finding("mail", OK, _("No e-mail is late and none has failed."))


def retention_runs(it: Installation) -> Iterator[Finding]:
    """The last `retention.run` event that `moksori retention purge` recorded."""
    if not it.database_ok:
        return
    _ = it.gettext
    last = it.session.scalar(sa.select(AuditEvent).where(
        AuditEvent.actor == RETENTION_ACTOR, AuditEvent.action == RETENTION_RUN).order_by(AuditEvent.id.desc())
        .limit(1))
    if last is None:
        first = it.session.scalar(sa.select(sa.func.min(AuditEvent.created_at)))
        if it.production and first is not None and _now(it) - first > RETENTION_LATE:
            yield Finding("retention", WARNING, _("Automatic deletion has never run: enable moksori-retention.timer "
                                                  "(`systemctl enable --now moksori-retention.timer`)."))
        else:
            yield Finding("retention", OK, _("Automatic deletion has not run yet."))
        return
    details = json.loads(last.details or "{}")
    when = _when(last.created_at)
    if details.get("error"):
        yield Finding("retention", WARNING, _("The automatic deletion of %(time)s stopped with an error "
                                              "(%(error)s): run `moksori retention purge` to see its message.",
                                              time=when, error=details["error"]))
    elif details.get("failed"):
        yield Finding("retention", WARNING, _("The automatic deletion of %(time)s could not delete %(count)s "
                                              "item(s): %(items)s. Run `moksori retention purge` to see why.",
                                              time=when, count=len(details["failed"]),
                                              items=", ".join(details["failed"][:10])))
    age = _now(it) - last.created_at
    if age > RETENTION_LATE:
        yield Finding("retention", WARNING, _("Automatic deletion last ran %(days)s day(s) ago: is "
                                              "moksori-retention.timer enabled?", days=age.days))
    elif not details.get("error") and not details.get("failed"):
        yield Finding("retention", OK, _("Automatic deletion last ran at %(time)s and deleted %(count)s item(s).",
                                         time=when, count=details.get("purged", 0)))


def _newest_backup(folder: Path) -> tuple[str, datetime] | None:
    newest = None
    for entry in folder.iterdir():
        if entry.name.startswith("."):
            continue
        marker = entry / "manifest.json" if entry.is_dir() and (entry / "manifest.json").exists() else entry
        moment = datetime.fromtimestamp(marker.stat().st_mtime, UTC)
        if newest is None or moment > newest[1]:
            newest = (entry.name, moment)
    return newest


def backups(it: Installation) -> Iterator[Finding]:
    """The newest entry of BACKUP_DIR (a backup directory's manifest, or a backup file); read only."""
    _ = it.gettext
    folder = it.setting("BACKUP_DIR", DEFAULT_BACKUP_DIR if it.production else "")
    if not folder or (not it.production and not Path(folder).exists()):  # a development instance without any
        yield Finding("backups", OK, _("BACKUP_DIR is not set, so the age of backups is not checked."))
        return
    try:
        newest = _newest_backup(Path(folder))
    except OSError:
        yield Finding("backups", WARNING, _("Backups are expected in %(folder)s, which cannot be read here: set "
                                            "BACKUP_DIR to the folder that `moksori backup create` writes into.",
                                            folder=folder))
        return
    if newest is None:
        yield Finding("backups", WARNING, _("There is no backup in %(folder)s: make one with `moksori backup "
                                            "create`, and make one every day.", folder=folder))
        return
    name, moment = newest
    age = _now(it) - moment
    values = {"name": name, "time": _when(moment), "days": age.days, "folder": folder}
    if age > BACKUP_PROBLEM:
        yield Finding("backups", PROBLEM, _("The newest backup, %(name)s, is %(days)s days old (%(time)s): a lost "
                                            "disk would lose everything since. Make one now with `moksori backup "
                                            "create`, and check the daily backup job.", **values))
    elif age > BACKUP_WARN:
        yield Finding("backups", WARNING, _("The newest backup, %(name)s, is %(days)s days old (%(time)s): has the "
                                            "daily backup stopped?", **values))
    else:
        yield Finding("backups", OK, _("The newest backup, %(name)s, was made at %(time)s.", **values))


def timestamps(it: Installation) -> Iterator[Finding]:
    """The oldest piece still without a trusted timestamp, and the waiting batch's failures."""
    if not it.database_ok:
        return
    _ = it.gettext
    urls = it.config.get("TSA_URLS") or ()
    queue = timestamp_queue.status(it.session)
    if queue.oldest is None:
        if urls:
            yield Finding("timestamps", OK, _("Nothing waits for a trusted timestamp."))
        return
    interval = timedelta(minutes=int(it.config.get("TSA_INTERVAL_MINUTES", 60)))
    age = _now(it) - queue.oldest
    values = {"count": queue.waiting, "oldest": _when(queue.oldest), "hours": age // timedelta(hours=1)}
    if urls and age > 2 * interval + timedelta(minutes=15):
        if queue.attempts:
            message = _("%(count)s piece(s) wait for a trusted timestamp, the oldest since %(oldest)s (%(hours)s h); "
                        "%(attempts)s attempt(s), the last: %(error)s. Intake goes on; check the authorities and "
                        "run `moksori evidence timestamp`.", attempts=queue.attempts, error=queue.last_error or "",
                        **values)
        else:
            message = _("%(count)s piece(s) wait for a trusted timestamp, the oldest since %(oldest)s (%(hours)s h); "
                        "no attempt yet: is moksori-timestamp.timer enabled?", **values)
        yield Finding("timestamps", WARNING, message)
    else:
        yield Finding("timestamps", OK if urls else WARNING,
                      _("%(count)s piece(s) wait for a trusted timestamp, the oldest since %(oldest)s (%(hours)s h)",
                        **values))


def _certificate_file(it: Installation) -> str:
    """TLS_CERT_FILE, else the ssl_certificate that the rendered nginx configuration names."""
    if setting := it.setting("TLS_CERT_FILE"):
        return setting
    conf = Path(it.nginx_conf)
    for candidate in (conf, conf.with_name("moksori.conf")):
        try:
            found = re.search(r"^\s*ssl_certificate\s+(\S+?);", candidate.read_text(), re.M)
        except OSError:
            continue
        if found:
            return found.group(1)
    return DEFAULT_TLS_CERT if it.production and os.path.exists(DEFAULT_TLS_CERT) else ""


def tls_certificate(it: Installation) -> Iterator[Finding]:
    _ = it.gettext
    path = _certificate_file(it)
    if not path:
        if it.production:
            yield Finding("tls", WARNING, _("No TLS certificate was found to check: set TLS_CERT_FILE to the "
                                            "certificate nginx serves."))
        return
    try:
        expires = tsa.certificate_expiry(Path(path).read_bytes())  # the first of a chain: the site's
    except (OSError, ValueError):
        yield Finding("tls", WARNING, _("The TLS certificate %(file)s cannot be read by this account: let the "
                                        "service user read the certificate (not its key), or set TLS_CERT_FILE to "
                                        "a copy that certbot's deploy hook refreshes.", file=path))
        return
    days = (expires - _now(it)) // timedelta(days=1)
    values = {"file": path, "date": _when(expires), "days": days}
    if days < 0:
        yield Finding("tls", PROBLEM, _("The TLS certificate %(file)s expired at %(date)s: browsers refuse the site. "
                                        "Renew it (`certbot renew`) and reload nginx.", **values))
    elif days < TLS_PROBLEM_DAYS:
        yield Finding("tls", PROBLEM, _("The TLS certificate %(file)s expires in %(days)s day(s), at %(date)s: renew "
                                        "it now (`certbot renew`) and reload nginx.", **values))
    elif days < TLS_WARN_DAYS:
        yield Finding("tls", WARNING, _("The TLS certificate %(file)s expires in %(days)s days, at %(date)s: "
                                        "automatic renewal should have happened; check `systemctl status "
                                        "certbot.timer`.", **values))
    else:
        yield Finding("tls", OK, _("The TLS certificate %(file)s is valid until %(date)s (%(days)s days).",
                                   **values))


def _folders(it: Installation) -> list[str]:
    folders = [it.instance_dir, str(it.config.get("UPLOAD_DIR") or "")]
    url = engine_of(it.session).url
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        folders.append(str(Path(url.database).resolve().parent))
    return [folder for folder in folders if folder and os.path.isdir(folder)]


disk_usage: Callable[[str], tuple[int, int, int]] = shutil.disk_usage  # tests replace it


def disk_space(it: Installation) -> Iterator[Finding]:
    """Free space on each file system that holds the instance folder, the uploads or an SQLite
    database (each file system once)."""
    _ = it.gettext
    seen: dict[int, list[str]] = {}
    for folder in _folders(it):
        seen.setdefault(os.stat(folder).st_dev, []).append(folder)
    for folders in seen.values():
        total, _used, free = disk_usage(folders[0])
        percent = 100.0 * free / total if total else 0.0
        values = {"folders": ", ".join(folders), "percent": f"{percent:.1f}", "free": f"{free / 2**30:.1f}",
                  "total": f"{total / 2**30:.1f}"}
        if percent < DISK_PROBLEM:
            yield Finding("disk space", PROBLEM, _("Only %(percent)s%% is free on the disk of %(folders)s (%(free)s "
                                                   "of %(total)s GB): reports, files and the database fail when it "
                                                   "is full. Free space or make the disk larger now.", **values))
        elif percent < DISK_WARN:
            yield Finding("disk space", WARNING, _("%(percent)s%% is free on the disk of %(folders)s (%(free)s of "
                                                   "%(total)s GB): plan for more space.", **values))
        else:
            yield Finding("disk space", OK, _("%(percent)s%% is free on the disk of %(folders)s (%(free)s of "
                                              "%(total)s GB).", **values))


CHECKS: tuple[tuple[str, Callable[[Installation], Iterator[Finding]]], ...] = (
    ("mail", mail_queue), ("retention", retention_runs), ("backups", backups), ("timestamps", timestamps),
    ("tls", tls_certificate), ("disk space", disk_space))
