"""`flask keys status|recover|rotate-recovery|rotate-search|pad-existing|seal-existing`, and the
recovery code as commands read it.

Commands that need the organization's private keys (creating accounts once keys exist,
recovering an account, rotating the recovery code, indexing for search, checking a restored
backup) take the recovery code on standard input: one line, as printed. It is never an
argument, so it does not end up in the shell history or the process list.
"""
from __future__ import annotations

import getpass
import sys
import time

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import AppGroup

from app.extensions import db
from app.models import KeyGrant, User
from app.sealed import keys, repad, search, signing
from app.services import accounts, audit
from app.services.ops import backup_file, seal_existing

keys_cli = AppGroup("keys", help="The organization's keys and the recovery code.")

RECOVERY_NOTICE = """
==============================================================================
RECOVERY CODE / 복구 코드
    {code}

English: This code opens every submission when all staff passwords are lost.
It is shown this once and stored nowhere. Print it or write it on paper, keep
it offline in a locked place away from the server, and never type it into an
e-mail, a chat or a document on a computer. Anyone with this code and a copy
of the database can read everything. `flask keys rotate-recovery` replaces it.

한국어: 직원 비밀번호를 모두 잃어버렸을 때 이 코드로 모든 제보를 열 수 있습니다.
지금 한 번만 보여 드리며 어디에도 저장하지 않습니다. 종이에 적거나 인쇄해서
서버와 떨어진 잠긴 곳에 보관하고, 이메일·메신저·컴퓨터 문서에 절대 입력하지
마십시오. 이 코드와 데이터베이스 사본을 가진 사람은 모든 내용을 읽을 수 있습니다.
코드를 바꾸려면 `flask keys rotate-recovery`를 실행하십시오.
==============================================================================
"""

REASONS = {
    "no_keys": "the organization's keys do not exist yet: create the first admin with "
               "`flask users create EMAIL --role admin`",
    "wrong_code": "this recovery code does not open the keys",
    "exists": "the organization's keys exist already",
    "not_unlocked": "the keys are not unlocked",
}


def read_recovery_code() -> str:
    if sys.stdin.isatty():
        return getpass.getpass("Recovery code: ")
    return sys.stdin.readline().strip()


def recovery_keyring() -> keys.Keyring:
    """The keys, opened with the recovery code read from standard input."""
    try:
        return keys.unlock_with_recovery(db.session(), read_recovery_code())
    except keys.KeysError as error:
        raise click.ClickException(REASONS[error.reason]) from None


def print_recovery_code(code: str) -> None:
    click.echo(RECOVERY_NOTICE.format(code=code))


@keys_cli.command("status")
def status_command():
    """Whether the keys exist, who holds them, and how many submissions wait for the index."""
    rows = keys.org_keys(db.session())
    if not rows:
        click.echo("no organization keys yet")
        return
    for kind, row in sorted(rows.items()):
        click.echo(f"{kind} key: public {row.public_key.hex()[:16]}…, "
                   f"recovery code set {row.recovery_created_at:%Y-%m-%d}")
    grants = db.session.execute(sa.select(User.email, KeyGrant.kind).join(KeyGrant, KeyGrant.user_id == User.id)
                                .order_by(User.email, KeyGrant.kind)).all()
    for email, kind in grants:
        click.echo(f"  {email}: {kind}")
    click.echo(f"{search.pending_count(db.session()):,} submission(s) and "
               f"{search.pending_count(db.session(), search.RECORDS):,} record(s) waiting for the search index")
    if repad.needed(db.session()):
        click.echo("values sealed before padding may be left: run `flask keys pad-existing`")
    if left := search.rotation_left(db.session()):
        click.echo(f"search key rotation under way: {left:,} segment(s) still under the old key "
                   "(`flask keys rotate-search` finishes it)")


@keys_cli.command("recover")
@click.argument("email")
def recover_command(email):
    """Give an account access again with the recovery code (on standard input): prints a
    one-time set-up password; the person chooses their own at the next login."""
    keyring = recovery_keyring()
    user = db.session.scalar(sa.select(User).where(User.email == accounts.normalize_email(email)))
    if user is None:
        raise click.ClickException(f"no account {email}")
    if not user.active:
        raise click.ClickException(f"{email} is deactivated; reactivate it first")
    admin = db.session.scalar(sa.select(User).where(User.role == "admin", User.active.is_(True)).limit(1)) or user
    password = accounts.regrant(db.session(), admin, user, keyring)
    click.echo(f"{user.email} can log in with this one-time set-up password, then choose their own: {password}")


BACKUPS_AFTER_ROTATION = """\
Backups made before now carry the old code's wrap of the same keys: on this server the new code
opens them too (`moksori backup restore|drill` try both), but on a new server they open only with
the OLD code. Keep the old paper locked away until those backups are gone (BACKUP_KEEP_DAYS days),
or make a new backup now (--backup-now) and copy it off-site: that one opens with the new code
anywhere."""


@keys_cli.command("rotate-recovery")
@click.option("--backup-now/--no-backup-now", default=None,
              help="Make a backup right after the rotation, so the newest opens with the new code "
                   "(asked when the terminal is interactive).")
def rotate_command(backup_now):
    """Replace the recovery code (the current one on standard input); the old one stops opening
    the keys on this server. Old backups: see the message it prints."""
    keyring = recovery_keyring()
    code = keys.rotate_recovery(db.session(), keyring, "cli")
    db.session.commit()
    print_recovery_code(code)
    click.echo(BACKUPS_AFTER_ROTATION)
    if backup_now is None and sys.stdin.isatty():
        backup_now = click.confirm("Make a backup now?", default=True)
    if backup_now:
        made = backup_file.make(db.session(), current_app.config["UPLOAD_DIR"], current_app.config["BACKUP_DIR"],
                                current_app.config["BACKUP_KEEP_DAYS"])
        click.echo(f"backup written to {made.path}: it opens with the new code")


@keys_cli.command("rotate-signing")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def rotate_signing_command(yes):
    """Make a new signing key for case files (when the old one may be known to someone else). The
    old public halves stay, so case files signed before still check; give the new fingerprint to
    the courts and mechanisms that hold the old one."""
    if signing.current(db.session()) is not None and not yes:
        click.confirm("Case files from now on are signed with a new key; courts must be given its fingerprint. "
                      "Go on?", abort=True)
    try:
        row = signing.create(db.session())
    except LookupError as error:
        raise click.ClickException(str(error)) from None
    audit.record(db.session(), "cli", "keys.signing_rotated", "keys", None, {"key_id": row.id})
    db.session.commit()
    click.echo(f"new signing key made. Its fingerprint (SHA-256), to give on paper to whoever receives case files:\n"
               f"  {signing.fingerprint(row.public_key)}\n"
               "The admin Keys page shows it with its PEM and a page to print; earlier keys are listed there too.")


@keys_cli.command("rotate-search")
@click.option("--wait", default=600, show_default=True, help="Seconds to wait for another worker's lease.")
def rotate_search_command(wait):
    """Make a new search key and rewrite the index under it (the recovery code on standard
    input), for when an officer's session may have been seen by someone else. The queue and
    its search keep working meanwhile; stopped half-way, the command (or the next officer
    session) goes on where it stopped."""
    keyring = recovery_keyring()
    left = search.rotation_left(db.session())
    if left:
        click.echo(f"a rotation is under way ({left:,} segment(s) still under the old key): going on with it")
    else:
        search.rotate_key(db.session(), keyring)
        audit.record(db.session(), "cli", "search.key_rotated", "keys", None, {})
        db.session.commit()
        left = search.rotation_left(db.session())
        click.echo(f"new search key made; {left:,} segment(s) to rewrite")
    deadline = time.monotonic() + wait
    while search.rotation_left(db.session()) or search.work_due(db.session()):
        if not search.run(db.session(), keyring, seconds=30):
            if time.monotonic() > deadline:
                raise click.ClickException("another worker holds the search index's lease; run the command again")
            time.sleep(2)
            continue
        click.echo(f"  {search.rotation_left(db.session()):,} segment(s) left under the old key")
    click.echo("every segment is under the new search key and the old key is deleted.")
    if db.engine.dialect.name == "postgresql":
        click.echo("PostgreSQL keeps the old blocks as dead rows until their space is reused: run "
                   "`VACUUM FULL search_block;` in a quiet hour to remove them now.")


@keys_cli.command("pad-existing")
@click.option("--restart", is_flag=True, help="Go through every submission again, not from where the last run stopped.")
def pad_existing_command(restart):
    """Pad what was sealed before padding existed (the recovery code on standard input): every
    value and file of every submission, so that a copy shows lengths only to a class. Commits
    in batches; stopped, it goes on from where it stopped."""
    keyring = recovery_keyring()
    report = repad.run(db.session(), keyring, current_app.config["UPLOAD_DIR"], restart)
    click.echo(f"padded {report.values:,} values and {report.files:,} files")
    if report.contact_left:
        click.echo(f"{report.contact_left:,} submissions' contact details were not padded: the recovery code "
                   "opened no identity key")


@keys_cli.command("seal-existing")
def seal_existing_command():
    """Seal everything stored before sealing existed (run after `flask db upgrade 0010`, then
    `flask db upgrade`). Needs only the public keys: no code, no password."""
    if not keys.keys_exist(db.session()):
        raise click.ClickException(REASONS["no_keys"])
    left = seal_existing.legacy_rows_left(db.session())
    if not left:
        click.echo("nothing to seal")
        return
    report = seal_existing.seal_existing(db.session(), current_app.config["UPLOAD_DIR"])
    click.echo(f"sealed {report.submissions:,} submissions, {report.messages:,} messages, {report.notes:,} notes, "
               f"{report.files:,} files; the search index is rebuilt from the next officer sessions. "
               "Now run `flask db upgrade` to drop the plaintext columns.")
