"""Operations commands (DESIGN §5): `audit verify [--checkpoint LINE]`, `audit checkpoint [--mail
[--when-due]]`,
`export verify`, `retention purge`, `backup create|restore|finish-restore|drill`.

Each exits non-zero when something is wrong, so cron and scripts notice; messages go to
stderr, results to stdout.
"""
from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from app.cli.keys import read_recovery_code, recovery_keyring
from app.extensions import db
from app.services import audit, checkpoint_mail
from app.services.evidence.verify import verify
from app.services.ops import backup, backup_file, retention
from app.services.settings import retention_policy

audit_cli = AppGroup("audit", help="Audit log tools.")
export_cli = AppGroup("export", help="Case-file exports.")
retention_cli = AppGroup("retention", help="Deleting what has been kept long enough.")
backup_cli = AppGroup("backup", help="Backing up and restoring the database and the files.")


@audit_cli.command("verify")
@click.option("--checkpoint", "lines", multiple=True, metavar="LINE",
              help="A line `flask audit checkpoint` printed (repeatable): also fail if an event it covers was "
                   "removed or changed.")
def audit_verify_command(lines):
    """Check the audit chain; exit 1 naming the first bad row (2: a checkpoint that is not ours)."""
    try:
        checkpoints = [audit.parse_checkpoint(line) for line in lines]
    except audit.CheckpointError:
        click.echo("not a checkpoint of this installation (mistyped, cut short, or made with another key): "
                   "copy the whole line `flask audit checkpoint` printed", err=True)
        sys.exit(2)
    report = audit.verify(db.session(), checkpoints)
    if report.ok:
        older = (f"; {report.unkeyed} from before the chain was keyed, checked the old way (the keyed chain "
                 f"starts at event {report.keyed_from})") if report.unkeyed else ""
        confirmed = f"; checkpoint(s) at event {', '.join(map(str, report.checkpoints))} match" if checkpoints else ""
        click.echo(f"audit chain intact: {report.checked} events{older}{confirmed}")
        return
    where = f" at event id {report.first_bad_id}" if report.first_bad_id else ""
    click.echo(f"audit chain broken{where}: {report.problem}", err=True)
    sys.exit(1)


@audit_cli.command("checkpoint")
@click.option("--mail", "by_mail", is_flag=True,
              help="Also e-mail the line to every active admin (through the outbox).")
@click.option("--when-due", is_flag=True,
              help="With --mail: only when none was mailed in the last day (the moksori-checkpoint timer's way).")
def audit_checkpoint_command(by_mail, when_due):
    """Record a checkpoint of the audit chain and print it (sequence number, hash, MAC): keep the
    line away from the server; `audit verify --checkpoint LINE` then detects any removal or
    change of the events it covers, even by someone who has the server and its keys. With
    --mail the admins get it by e-mail (daily from the moksori-checkpoint timer)."""
    if by_mail:
        mailed = checkpoint_mail.mail_checkpoint(db.session(), "system" if when_due else "cli", when_due=when_due)
        db.session.commit()
        if mailed.outcome == "not_due":
            due = mailed.next_due.isoformat(timespec="seconds") if mailed.next_due else "later"
            click.echo(f"not due: a checkpoint was mailed less than a day ago; the next at {due}")
        elif mailed.outcome == "no_admins" or mailed.checkpoint is None:
            click.echo("no active admin to mail the checkpoint to: nothing made", err=True)
            sys.exit(1)
        else:
            click.echo(mailed.checkpoint.line)
            click.echo(f"Checkpoint up to event {mailed.checkpoint.seq} queued to {mailed.recipients} admin(s); "
                       "`flask outbox send` delivers it.", err=True)
        return
    checkpoint = audit.make_checkpoint(db.session(), "cli")
    db.session.commit()
    click.echo(checkpoint.line)
    click.echo(f"Checkpoint of the audit log up to event {checkpoint.seq}. Keep the line above away from this "
               "server (on paper, or with a colleague); `flask audit verify --checkpoint LINE` checks the log "
               "against it.", err=True)


@export_cli.command("verify")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--recovery-code-stdin", is_flag=True,
              help="Read the recovery code, to compare the files with the hashes sealed at intake too.")
def export_verify_command(path, recovery_code_stdin):
    """Check a case-file ZIP: its manifest and signature, its timestamp proofs and tokens, its
    custody log, and all of it against the database and the audit log. Each difference names
    the file or piece and why."""
    result = verify(db.session(), path, recovery_keyring() if recovery_code_stdin else None)
    for difference in result.differences:
        click.echo(f"DIFFERS: {difference}", err=True)
    if not result.ok:
        click.echo(f"{len(result.differences)} difference(s); {result.checked_files} file(s) read", err=True)
        sys.exit(1)
    intake = ("and the hashes recorded at intake" if result.intake_hashes_checked
              else "(the hashes recorded at intake are sealed: add --recovery-code-stdin to compare them too)")
    click.echo(f"OK: {result.checked_files} files match the manifest and the database {intake}; "
               f"the ZIP's SHA-256 matches audit event {result.export_event_id}")
    click.echo(f"OK: signed by this installation's key {result.signed_by}")
    click.echo(f"OK: {result.proofs} timestamp proof(s) fold to their roots; {result.tokens} token(s) verify "
               f"against the case file's roots; the custody log ({result.custody_events} events) matches the "
               "audit log")


@retention_cli.command("purge")
@click.option("--dry-run", is_flag=True, help="List what would be deleted; change nothing.")
def retention_purge_command(dry_run):
    """Delete expired items (closed, rejected or duplicate, not on evidence hold, past their
    retention period): rows, messages, notes and files. Safe to run from cron."""
    policy = retention_policy(db.session(), current_app.config["RETENTION_DAYS"])
    try:
        result = retention.purge(db.session(), policy, current_app.config["UPLOAD_DIR"], dry_run=dry_run)
    except retention.Busy:
        # Another purge or a backup is running; it will do (or has done) the work.
        click.echo("retention purge skipped: another purge or backup holds the lock", err=True)
        return
    verb = "would purge" if dry_run else "purged"
    for item in result.purged:
        click.echo(f"{verb} {item['public_id']} ({item['status']}): {item['attachments']} files, "
                   f"{item['messages']} messages, {item['notes']} notes")
    click.echo(f"{verb} {len(result.purged)} item(s)"
               + ("" if dry_run else f"; {result.orphans_removed} leftover file(s) removed"))
    if result.failed:
        click.echo(f"could not purge: {', '.join(result.failed)}", err=True)
        sys.exit(1)


@contextmanager
def _maintenance(busy: str, refused: str) -> Iterator[None]:
    """Another purge or backup holds the lock: exit 75 (EX_TEMPFAIL: cron tries again later);
    a backup or restore that cannot go ahead: exit 1, saying why."""
    try:
        yield
    except retention.Busy:
        click.echo(busy, err=True)
        sys.exit(75)
    except backup.BackupError as error:
        click.echo(f"{refused}: {error}", err=True)
        sys.exit(1)


def _pg_tools() -> dict:
    return {"pg_restore": os.environ.get("PG_RESTORE", "pg_restore")}


def _audit_backup(action: str, name: str | None, details: dict) -> None:
    """Backups, restores and drills go into the audit chain (by file name and counts only), so
    that custody of the evidence shows when the data left the server and when it came back."""
    audit.record(db.session(), "cli", action, "backup", name, details)
    db.session.commit()


@backup_cli.command("create")
@click.argument("folder", required=False, type=click.Path(file_okay=False))
@click.option("--keep-days", type=int, default=None,
              help="Remove backups older than this many days afterwards (default BACKUP_KEEP_DAYS; the newest stays).")
def backup_create_command(folder, keep_days):
    """Write one encrypted backup, moksori-YYYY-MM-DD.backup, into FOLDER (default BACKUP_DIR):
    the database and the upload folder, sealed to the organization's public key."""
    folder = folder or current_app.config["BACKUP_DIR"]
    keep = current_app.config["BACKUP_KEEP_DAYS"] if keep_days is None else keep_days
    with _maintenance("backup not made: a purge or another backup holds the lock; try again shortly", "backup failed"):
        made = backup_file.make(db.session(), current_app.config["UPLOAD_DIR"], folder, keep,
                                pg_dump=os.environ.get("PG_DUMP", "pg_dump"))
    _audit_backup("backup.created", made.path.name, {"rows": sum(made.manifest["tables"].values()),
                                                    "files": made.manifest["files"], "removed": len(made.removed)})
    click.echo(f"backup written to {made.path} ({made.size} bytes): {sum(made.manifest['tables'].values())} rows in "
               f"{len(made.manifest['tables'])} tables, {made.manifest['files']} files, encrypted to the organization "
               "key. It opens with the recovery code (and needs this installation's DATA_ENCRYPTION_KEY).")
    for name in made.removed:
        click.echo(f"removed {name} (older than {keep} days)")


@backup_cli.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--replace", is_flag=True, help="Restore over an instance that holds data (kept aside, not deleted).")
@click.option("--recovery-code-stdin", is_flag=True, hidden=True, help="Accepted for old scripts: the code is "
              "always read from standard input.")
def backup_restore_command(path, replace, recovery_code_stdin):
    """Restore an encrypted backup (the recovery code on standard input): into a scratch database
    and folder first, checked (rows, every file's sealed hash, the audit chain), then switched."""
    code = read_recovery_code()
    uploads = current_app.config["UPLOAD_DIR"]
    try:
        restored = backup_file.restore(db.session(), uploads, path, code, replace=replace,
                                       db_prefix=current_app.config.get("BACKUP_SCRATCH_DB_PREFIX"), **_pg_tools())
    except Exception as error:  # anything at all: say that nothing was switched, and what to run
        reason = str(error) if isinstance(error, backup.BackupError) else f"{type(error).__name__}: {error}"
        click.echo(f"restore failed, nothing was switched: the live database and {uploads} are as they were, and "
                   f"the scratch copies were removed.\n  why: {reason}\n  when the cause is fixed, run: "
                   f"moksori backup restore {path}{' --replace' if replace else ''}", err=True)
        sys.exit(1)
    tables = restored.manifest["tables"]
    # Written into the restored database, after its checks: its chain says when it came back.
    _audit_backup("backup.restored", os.path.basename(path), {"rows": sum(tables.values()),
                                                              "files": restored.manifest["files"], "replace": replace})
    click.echo(f"restored {path}: {sum(tables.values())} rows, {restored.manifest['files']} files; row counts, "
               "file hashes and the audit chain match the backup")
    for place in restored.aside:
        click.echo(f"kept aside (remove it when you no longer need it): {place}")


@backup_cli.command("finish-restore")
def backup_finish_restore_command():
    """Finish a restore that was cut off while it switched the database and folder (power lost,
    the process killed): its checked copies are put in place, as the restore would have."""
    uploads = current_app.config["UPLOAD_DIR"]
    aside = backup_file.finish_switch(db.session(), uploads)
    if aside is None:
        click.echo("no restore was cut off: nothing to finish")
        return
    _audit_backup("backup.restored", None, {"finished_after_interruption": True})
    click.echo("the restore that was cut off is finished: the restored database and folder are in place")
    for place in aside:
        click.echo(f"kept aside (remove it when you no longer need it): {place}")


@backup_cli.command("drill")
@click.argument("path", required=False, type=click.Path(exists=True, dir_okay=False))
@click.option("--folder", type=click.Path(file_okay=False), help="Where the backups are (default BACKUP_DIR).")
@click.option("--without-code", is_flag=True, help="Unattended (the monthly timer): check what needs no private "
              "key — the header, the sealed key, the layout and the SHA-256 recorded when it was made.")
def backup_drill_command(path, without_code, folder):
    """Restore the newest backup (or PATH) into a scratch database and folder with the recovery
    code (standard input), check row counts, every file's sealed hash and the audit chain, then
    remove the scratch copies. The result is recorded for the admin's Settings page."""
    code = None if without_code else read_recovery_code()
    result = backup_file.drill(db.session(), folder or current_app.config["BACKUP_DIR"], code, path=path,
                               db_prefix=current_app.config.get("BACKUP_SCRATCH_DB_PREFIX"), **_pg_tools())
    what = "full drill" if result.kind == "full" else "drill without the recovery code"
    _audit_backup("backup.drilled", result.backup, {"kind": result.kind, "ok": result.ok})
    if not result.ok:
        click.echo(f"{what} FAILED on {result.backup or 'no backup'}: {result.summary}", err=True)
        sys.exit(1)
    click.echo(f"{what} ok on {result.backup}: {result.summary}")


def init_app(app: Flask) -> None:
    for group in (audit_cli, export_cli, retention_cli, backup_cli):
        app.cli.add_command(group)
