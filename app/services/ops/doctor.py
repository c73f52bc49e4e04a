"""`flask doctor`: checks an installation's configuration and the services it depends on,
and says in plain words what is wrong and what to do. Each check returns Findings; nothing
is changed, no mail is sent, and every network check gives up after a few seconds."""
from __future__ import annotations

import base64
import ctypes
import ctypes.util
import hashlib
import os
import re
import shutil
import smtplib
import ssl
import tempfile
import time
import zoneinfo
from collections.abc import Iterator
from email.utils import parseaddr
from pathlib import Path
from urllib.parse import urlsplit

import sqlalchemy as sa

from app.models.base import engine_of
from app.sealed import keys, repad, search, tsa
from app.services.ops import backup_file, watch
from app.services.ops.findings import OK, PROBLEM, WARNING, Finding, Installation

NETWORK_TIMEOUT = 5.0
VOLATILE_FILESYSTEMS = {"tmpfs", "ramfs", "devtmpfs"}
SHARED_FILESYSTEMS = {"nfs", "nfs4", "cifs", "smb3", "glusterfs", "ceph", "fuse.sshfs", "fuse.glusterfs", "9p"}


def run(installation: Installation) -> list[Finding]:
    findings: list[Finding] = []
    for name, check in (("environment", environment), ("database", database), ("keys", organization_keys),
                        ("search index", search_index),
                        ("rate limits", rate_limits), ("mail", mail), ("notice sender", notice_sender),
                        ("uploads", uploads), ("nginx uploads", nginx_body_buffer),
                        ("timestamps", trusted_timestamps), ("clock", clock),
                        ("onion", onion_address), ("links", public_address),
                        ("quick exit", quick_exit), ("translations", translations), *watch.CHECKS):
        try:
            findings.extend(check(installation))
        except Exception as error:  # a check that breaks must not hide the others
            findings.append(Finding(name, PROBLEM, f"the check itself failed: {error!r}"))
        installation.session.rollback()
    return findings


def environment(it: Installation) -> Iterator[Finding]:
    if not it.production:
        yield Finding("environment", WARNING, f"APP_ENV is {it.config.get('ENV_NAME')!r}, not 'production': cookies "
                      "are sent without Secure, there is no HSTS, and keys may be generated into instance/. "
                      "Set APP_ENV=production on a server.")
        return
    if len(it.config.get("SECRET_KEY") or "") < 32:
        yield Finding("environment", PROBLEM, "SECRET_KEY is shorter than 32 characters: anyone who guesses it can "
                      "forge sessions. Use a long random value, the same on every app server.")
    else:
        yield Finding("environment", OK, "production settings, with SECRET_KEY and DATA_ENCRYPTION_KEY set")


def database(it: Installation) -> Iterator[Finding]:
    engine = engine_of(it.session)
    where = engine.url.render_as_string(hide_password=True)
    try:
        it.session.execute(sa.text("SELECT 1"))
        current = set(it.session.scalars(sa.text("SELECT version_num FROM alembic_version")))
    except sa.exc.SQLAlchemyError as error:
        message = str(error.orig if isinstance(error, sa.exc.DBAPIError) else error).strip().splitlines()[0]
        if "alembic_version" in message:
            yield Finding("database", PROBLEM, f"the database at {where} is empty: run `moksori db upgrade`.")
        else:
            yield Finding("database", PROBLEM, f"cannot use the database at {where}: {message}. Check DATABASE_URL "
                          "and that the database server is running.")
        return
    if current != it.expected_heads:
        yield Finding("database", PROBLEM, f"the database is at revision {', '.join(sorted(current)) or 'none'} but "
                      f"this code needs {', '.join(sorted(it.expected_heads))}: run `moksori db upgrade` (after a "
                      "backup), then restart the app servers.")
    else:
        it.database_ok = True
        yield Finding("database", OK, f"{where} answers and is up to date (revision {', '.join(sorted(current))})")
    if engine.dialect.name == "sqlite" and it.production:
        yield Finding("database", WARNING, "SQLite serves one server with few writers; PostgreSQL is the production "
                      "database, and several app servers need it.")
    if engine.dialect.name == "postgresql":
        encoding = it.session.scalar(sa.text("SHOW server_encoding"))
        if encoding != "UTF8":
            yield Finding("database", PROBLEM, f"the database's encoding is {encoding}, not UTF8: Korean text "
                          "cannot be stored. Create the database with ENCODING 'UTF8'.")


def search_index(it: Installation) -> Iterator[Finding]:
    """What an officer session or a command with the recovery code still has to do."""
    if not it.database_ok or not keys.keys_exist(it.session):
        return
    waiting, rotating = search.pending_count(it.session), search.rotation_left(it.session)
    records = search.pending_count(it.session, search.RECORDS)
    if rotating:
        yield Finding("search index", WARNING, f"{rotating:,} segment(s) are still under the old search key: "
                      "finish the rotation with `moksori keys rotate-search` (or let officers log in).")
    if repad.needed(it.session):
        yield Finding("search index", WARNING, "values and files sealed before padding may be left, showing their "
                      "exact lengths: run `moksori keys pad-existing` with the recovery code.")
    if not rotating and not repad.needed(it.session):
        yield Finding("search index", OK, f"sealed; {waiting:,} submission(s) and {records:,} record(s) wait for "
                      "the next officer session" if waiting or records else "sealed; nothing waits")


def organization_keys(it: Installation) -> Iterator[Finding]:
    if not it.database_ok:
        pass  # said under "database"
    elif keys.keys_exist(it.session):
        yield Finding("keys", OK, "the organization's keys exist")
    else:
        yield Finding("keys", PROBLEM, "the organization's keys do not exist yet, so the public forms accept "
                      "nothing. Create the first admin: `moksori users create EMAIL --role admin` (it prints the "
                      "recovery code once: write it on paper).")
    leftover = it.config.get("DEVELOPMENT_KEYS_FILE")
    if it.production and leftover and os.path.exists(leftover):
        yield Finding("keys", PROBLEM, f"{leftover} holds a recovery code on this server. With it and a copy of "
                      "the database anyone can read everything: keep it on paper if it is still needed, then "
                      "delete the file.")


def rate_limits(it: Installation) -> Iterator[Finding]:
    uri = it.config.get("RATELIMIT_STORAGE_URI", "memory://")
    workers = int(it.environ.get("GUNICORN_WORKERS", "2") or 2)
    if not it.config.get("RATELIMIT_ENABLED", True):
        yield Finding("rate limits", PROBLEM, "RATELIMIT_ENABLED is off: receipt codes and passwords can be guessed "
                      "without limit. Only load benchmarks may turn it off.")
    elif uri.startswith("memory://") and not it.production:
        yield Finding("rate limits", OK, "counted in memory: fine for development; production needs Redis")
    elif uri.startswith("memory://"):
        yield Finding("rate limits", PROBLEM if workers > 1 else WARNING, "rate limits are counted in each process's "
                      f"memory: with {workers} "
                      "gunicorn workers (GUNICORN_WORKERS), or more than one app server, a guesser gets that many "
                      "times the tries, and a restart forgets them. Set RATELIMIT_STORAGE_URI=redis://127.0.0.1:6379/0.")
    elif uri.startswith(("redis://", "rediss://", "unix://")):
        import redis

        try:
            redis.Redis.from_url(uri, socket_timeout=NETWORK_TIMEOUT, socket_connect_timeout=NETWORK_TIMEOUT).ping()
        except redis.exceptions.RedisError as error:
            yield Finding("rate limits", PROBLEM, f"Redis at {_hide_password(uri)} does not answer ({error}): every "
                          "form with a rate limit fails until it does. Start Redis or correct RATELIMIT_STORAGE_URI.")
        else:
            yield Finding("rate limits", OK, f"counted in Redis at {_hide_password(uri)}, shared by every worker")
    else:
        yield Finding("rate limits", WARNING, f"cannot check {_hide_password(uri)}: every app server must use it.")
    if it.production and not it.config.get("CLIENT_ADDRESS_HEADER"):
        yield Finding("rate limits", WARNING, "CLIENT_ADDRESS_HEADER is not set: behind nginx every visitor has "
                      "nginx's address, so one person can use up a limit (10 reports an hour …) for everyone. With "
                      "deploy/'s nginx set CLIENT_ADDRESS_HEADER=X-Moksori-Client.")


def mail(it: Installation) -> Iterator[Finding]:
    host, port = it.config["MAIL_SERVER"], int(it.config["MAIL_PORT"])
    steps = ["EHLO"]
    try:
        with smtplib.SMTP(host, port, timeout=NETWORK_TIMEOUT) as smtp:
            smtp.ehlo()
            if it.config.get("MAIL_USE_TLS"):
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
                steps.append("STARTTLS")
            if it.config.get("MAIL_USERNAME"):
                smtp.login(it.config["MAIL_USERNAME"], it.config.get("MAIL_PASSWORD") or "")
                steps.append("login")
    except (OSError, smtplib.SMTPException) as error:
        yield Finding("mail", PROBLEM, f"cannot use the mail server {host}:{port} ({error or type(error).__name__}). "
                      "E-mail waits in the outbox until it can; check MAIL_SERVER, MAIL_PORT, MAIL_USE_TLS and the "
                      "account.")
    else:
        yield Finding("mail", OK, f"the mail server {host}:{port} accepts us ({', '.join(steps)}; nothing was sent)")
    if it.production and parseaddr(it.config.get("MAIL_FROM", ""))[1].endswith("@localhost"):
        yield Finding("mail", PROBLEM, "MAIL_FROM is still moksori@localhost: set the address your mails come from.")


def notice_sender(it: Installation) -> Iterator[Finding]:
    # config.py has already refused a sender that names the organization.
    sender = it.config.get("SUBMITTER_NOTICE_FROM", "")
    address = parseaddr(sender)[1]
    domain = address.rpartition("@")[2].lower()
    if not address or "@" not in address or domain.endswith(".invalid"):
        yield Finding("notice sender", PROBLEM if it.production else WARNING, "SUBMITTER_NOTICE_FROM is not set to a "
                      "real address: submitters who asked for \"new message\" e-mails get none.")
        return
    own = {urlsplit(it.config.get("PUBLIC_BASE_URL", "")).hostname or "",
           parseaddr(it.config.get("MAIL_FROM", ""))[1].rpartition("@")[2].lower()} - {"", "localhost"}
    if any(domain == name or domain.endswith("." + name) or name.endswith("." + domain) for name in own):
        yield Finding("notice sender", PROBLEM, f"SUBMITTER_NOTICE_FROM ({sender}) uses the domain of your site or "
                      "mail, so a notice says where it comes from. Use an address at a general mail provider.")
    else:
        yield Finding("notice sender", OK, f"notices to submitters come from {sender}, which names neither the "
                      "organization nor the site")


def uploads(it: Installation) -> Iterator[Finding]:
    folder = Path(it.config["UPLOAD_DIR"]).resolve()
    if backup_file.interrupted_switch(folder) is not None:
        yield Finding("uploads", PROBLEM, "a restore was cut off while it switched the database and the upload "
                      f"folder ({backup_file.journal_path(folder)}): run `moksori backup finish-restore` before "
                      "starting the services.")
    for inside, why in ((it.static_dir, "which the web server shows to anyone"), (it.code_dir, "the code's folder, "
                        "which an upgrade may replace")):
        if inside and folder.is_relative_to(Path(inside).resolve()):
            yield Finding("uploads", PROBLEM, f"UPLOAD_DIR {folder} is inside {inside}, {why}: move it out.")
    if not folder.exists():
        parent = next(p for p in folder.parents if p.exists())
        writable = os.access(parent, os.W_OK)
        yield Finding("uploads", WARNING if writable else PROBLEM, f"UPLOAD_DIR {folder} does not exist yet"
                      + (" (the first upload creates it): check the path, since several app servers must share it."
                         if writable else f", and {parent} is not writable: create it, owned by the app's user."))
        return
    try:
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".doctor-") as probe:
            probe.write(b"x")
            probe.flush()
            os.fsync(probe.fileno())
    except OSError as error:
        yield Finding("uploads", PROBLEM, f"cannot write into UPLOAD_DIR {folder} ({error.strerror}): give the app's "
                      "user write access.")
        return
    fstype = _filesystem(folder)
    if fstype in VOLATILE_FILESYSTEMS:
        yield Finding("uploads", PROBLEM, f"UPLOAD_DIR {folder} is on {fstype}, which lives in memory: every file is "
                      "lost at the next restart. Put it on a disk (or a shared network file system).")
    free_mb = shutil.disk_usage(folder).free // (1024 * 1024)
    needed = 20 * int(it.config.get("MAX_TOTAL_UPLOAD_MB", 100))
    if free_mb < needed:
        yield Finding("uploads", PROBLEM, f"only {free_mb} MB are free for uploads (keep at least {needed} MB, twenty "
                      "full-size forms): a report whose files do not fit is refused.")
    if folder.stat().st_mode & 0o007:
        yield Finding("uploads", WARNING, f"other users of this machine may look into {folder}: `chmod o-rwx` it "
                      "(the files are encrypted, but their number and sizes still tell something).")
    shared = " (a network file system: right for several app servers)" if fstype in SHARED_FILESYSTEMS else (
        "; several app servers must all see this one folder")
    yield Finding("uploads", OK, f"UPLOAD_DIR {folder} is writable, on {fstype or 'an unknown file system'}, "
                  f"{free_mb} MB free{shared}")


def nginx_body_buffer(it: Installation) -> Iterator[Finding]:
    """nginx keeps each upload in client_body_temp_path until it is complete, in the clear: that
    folder must live in memory (a tmpfs), never on a disk, where deleted files can be recovered."""
    conf = Path(it.nginx_conf)
    try:
        text = conf.read_text()
    except OSError:
        if it.production:
            yield Finding("nginx uploads", WARNING, f"{conf} cannot be read here, so where nginx keeps uploads "
                          "was not checked (--nginx-conf FILE names the rendered moksori-common.conf).")
        return
    found = re.search(r"^\s*client_body_temp_path\s+(\S+?);", text, re.M)
    if not found:
        yield Finding("nginx uploads", PROBLEM, f"{conf} sets no client_body_temp_path: nginx keeps uploads in its "
                      "default folder on disk. Render deploy/ again (deploy/install.sh).")
        return
    folder = Path(found.group(1))
    if not folder.exists():
        yield Finding("nginx uploads", WARNING, f"{folder}, where nginx keeps uploads until they are complete, does "
                      f"not exist: is its tmpfs mounted? (`mount {folder}`; deploy/install.sh adds it to /etc/fstab)")
        return
    fstype = _filesystem(folder)
    if fstype not in VOLATILE_FILESYSTEMS:
        yield Finding("nginx uploads", PROBLEM, f"nginx keeps uploads, unencrypted, in {folder} until they are "
                      f"complete, and that folder is on {fstype or 'an unknown file system'}, a disk: what people "
                      f"send stays recoverable there. Mount a tmpfs on it (deploy/install.sh adds `tmpfs {folder} "
                      "tmpfs …` to /etc/fstab) and restart nginx.")
    else:
        yield Finding("nginx uploads", OK, f"nginx keeps uploads in {folder}, on {fstype} (memory, not disk)")


def trusted_timestamps(it: Installation) -> Iterator[Finding]:
    """TSA_URLS and TSA_CA_FILE (no authority is asked: the doctor sends nothing); what waits for
    a timestamp is watch.timestamps."""
    urls = it.config.get("TSA_URLS") or ()
    if not urls:
        yield Finding("timestamps", WARNING, "TSA_URLS is not set, so no evidence gets a trusted timestamp: nothing "
                      "shows later that a testimony or file existed at a given time. Set TSA_URLS to one or more "
                      "RFC 3161 time-stamping authorities (space-separated), TSA_CA_FILE to their root "
                      "certificates, run `moksori evidence timestamp` once, and enable moksori-timestamp.timer.")
    else:
        try:
            anchors = tsa.load_anchors(it.config.get("TSA_CA_FILE") or None)
        except tsa.AnchorsError as error:
            yield Finding("timestamps", PROBLEM, f"tokens cannot be checked: {error}. Set TSA_CA_FILE to a PEM file "
                          "with the authorities' root certificates.")
            return
        yield Finding("timestamps", OK, f"{len(urls)} authority(ies): {' '.join(urls)}; tokens are checked "
                      f"against {len(anchors)} root certificate(s) from {anchors.source}")


def _filesystem(path: Path) -> str:
    """The type of the file system that holds `path`, from /proc/self/mounts ('' elsewhere)."""
    mount = path
    while not os.path.ismount(mount) and mount != mount.parent:
        mount = mount.parent
    try:
        entries = [line.split() for line in Path("/proc/self/mounts").read_text().splitlines()]
    except OSError:
        return ""
    kinds = [parts[2] for parts in entries if len(parts) > 2 and parts[1].replace("\\040", " ") == str(mount)]
    return kinds[-1] if kinds else ""


def clock(it: Installation) -> Iterator[Finding]:
    try:
        zoneinfo.ZoneInfo(it.config.get("TIMEZONE", "Asia/Seoul"))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        yield Finding("clock", PROBLEM, f"TIMEZONE {it.config.get('TIMEZONE')!r} is not a known time zone; use one "
                      "like Asia/Seoul.")
    if _clock_unsynchronized():
        yield Finding("clock", WARNING, "the system clock is not kept right by NTP: two-step codes are refused once it "
                      "is off by more than 30 seconds, and several servers disagree about times. Turn on time "
                      "synchronization (`timedatectl set-ntp true`, or install chrony).")
    agrees = ""
    if it.database_ok and engine_of(it.session).dialect.name == "postgresql":
        agrees = "; this machine's clock agrees with the database server's"
        before = time.time()
        database_time = it.session.scalar(sa.text("SELECT extract(epoch FROM clock_timestamp())"))
        skew = float(database_time) - (before + time.time()) / 2
        if abs(skew) > 5:
            yield Finding("clock", PROBLEM, f"this machine's clock and the database server's differ by {skew:+.0f} "
                          "seconds: synchronize both with NTP.")
            return
    yield Finding("clock", OK, f"times are shown in {it.config.get('TIMEZONE')}{agrees}")


def _clock_unsynchronized() -> bool:
    """adjtimex(2) reports TIME_ERROR (5) while no NTP keeps the kernel's clock; Linux only."""
    name = ctypes.util.find_library("c")
    if not name or not hasattr(ctypes.CDLL(name), "adjtimex"):
        return False
    buffer = ctypes.create_string_buffer(512)  # struct timex; modes = 0 (the first field) only reads
    return ctypes.CDLL(name, use_errno=True).adjtimex(buffer) == 5


def onion_address(it: Installation) -> Iterator[Finding]:
    address = it.config.get("ONION_ADDRESS", "")
    if not address:
        yield Finding("onion", WARNING if it.production else OK, "ONION_ADDRESS is not set, so Tor Browser users are "
                      "not offered an onion service: set one up with deploy/tor and put its hostname here.")
        return
    if not valid_onion(address):
        yield Finding("onion", PROBLEM, f"ONION_ADDRESS {address} is not a real onion address (its checksum is "
                      "wrong): copy it exactly from the onion service's hostname file.")
        return
    hostname = Path(it.onion_hostname_file)
    try:
        actual = hostname.read_text().strip()
    except OSError:
        yield Finding("onion", OK, f"{address} is a valid onion address ({hostname} cannot be read here to compare)")
        return
    if actual != address:
        yield Finding("onion", PROBLEM, f"ONION_ADDRESS is {address} but tor serves {actual} ({hostname}): the "
                      "Onion-Location header sends Tor users to the wrong place.")
    else:
        yield Finding("onion", OK, f"{address} is the address tor serves")


def valid_onion(address: str) -> bool:
    """A version 3 onion address: base32 of key (32 bytes), checksum (2), version (1 = 3)."""
    label = address.removesuffix(".onion")
    try:
        raw = base64.b32decode(label.upper())
    except ValueError:
        return False
    key, checksum, version = raw[:32], raw[32:34], raw[34:]
    expected = hashlib.sha3_256(b".onion checksum" + key + version).digest()[:2]
    return len(raw) == 35 and version == b"\x03" and checksum == expected


def public_address(it: Installation) -> Iterator[Finding]:
    url = it.config.get("PUBLIC_BASE_URL", "")
    host = urlsplit(url).hostname or ""
    if it.production and (host in {"127.0.0.1", "localhost", "::1"} or not host):
        yield Finding("links", PROBLEM, f"PUBLIC_BASE_URL is {url}: links in e-mails would point to this machine. Set "
                      "it to the site's public address, e.g. https://moksori.example.org.")
    elif it.production and url.startswith("http://") and not host.endswith(".onion"):
        yield Finding("links", WARNING, f"PUBLIC_BASE_URL {url} is not HTTPS: links in e-mails would not be encrypted.")
    else:
        yield Finding("links", OK, f"links in e-mails start with {url}")


def quick_exit(it: Installation) -> Iterator[Finding]:
    """Which destination "Leave quickly" opens for each language, and for which readers (the
    setting decides what a phone check finds in the history: README, "Quick exit")."""
    urls = it.config.get("QUICK_EXIT_URLS", {})
    audience = it.config.get("QUICK_EXIT_AUDIENCE", "")
    chosen = "; ".join(f"{lang} pages -> {url}" for lang, url in urls.items())
    own = {lang for lang in urls if it.config.get(f"QUICK_EXIT_URL_{lang.upper()}") or it.config.get("QUICK_EXIT_URL")}
    source = (f"set for {', '.join(sorted(own))}" if own else f"the defaults for readers in {audience}")
    yield Finding("quick exit", OK, f"\"Leave quickly\" opens: {chosen} ({source}; QUICK_EXIT_AUDIENCE={audience}). "
                  "Readers in China: a South Korean site in the history is itself a sign of contact with the South.")


def translations(it: Installation) -> Iterator[Finding]:
    catalogs = Path(it.config.get("BABEL_TRANSLATION_DIRECTORIES", "translations"))
    compiled = catalogs / "ko" / "LC_MESSAGES" / "messages.mo"
    if compiled.exists():
        yield Finding("translations", OK, "the Korean translations are compiled")
    else:
        yield Finding("translations", PROBLEM, "the Korean translations are not compiled, so pages show English: run "
                      "`moksori translate compile`.")


def _hide_password(uri: str) -> str:
    parts = urlsplit(uri)
    if parts.password:
        return uri.replace(f":{parts.password}@", ":***@", 1)
    return uri
