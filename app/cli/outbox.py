"""`flask outbox send [--once]`, `flask outbox status`, `flask outbox retry-failed`."""
from __future__ import annotations

import time

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import AppGroup

from app.extensions import db
from app.models import OutboxEmail
from app.services.mail import MailSettings
from app.services.outreach.outbox import counts, retry_failed, send_due

outbox_cli = AppGroup("outbox", help="Deliver and inspect queued e-mail.")

MAX_IDLE_SECONDS = 300


@outbox_cli.command("send")
@click.option("--once", is_flag=True, help="Send what is due now, then exit (for cron or a systemd timer).")
def send_command(once):
    """Deliver queued e-mail over SMTP (MAIL_* settings); without --once, keep running."""
    settings = MailSettings.from_config(current_app.config)
    poll = current_app.config["OUTBOX_POLL_SECONDS"]
    wait = poll
    while True:
        report = send_due(db.session(), settings)
        db.session.remove()
        if report.sent or report.retrying or report.failed or report.unreachable:
            click.echo(f"sent {report.sent}, to retry {report.retrying}, failed {report.failed}"
                       + (f"; mail server unusable: {report.unreachable}" if report.unreachable else ""))
        if once:
            return
        # An unreachable server is tried less and less often, up to every MAX_IDLE_SECONDS.
        wait = min(wait * 2, MAX_IDLE_SECONDS) if report.unreachable else poll
        time.sleep(wait)


@outbox_cli.command("status")
def status_command():
    """How many messages are pending, sent and failed; the latest errors."""

    click.echo(", ".join(f"{state} {number}" for state, number in counts(db.session()).items()))
    errors = db.session.scalars(
        sa.select(OutboxEmail).where(OutboxEmail.last_error.is_not(None), OutboxEmail.state != "sent")
        .order_by(OutboxEmail.id.desc()).limit(5)
    )
    for row in errors:
        click.echo(f"#{row.id} {row.kind} {row.state}, {row.attempts} attempts: {row.last_error}")


@outbox_cli.command("retry-failed")
def retry_failed_command():
    """Queue failed messages again with fresh attempts (after fixing the cause)."""
    click.echo(f"{retry_failed(db.session())} messages queued again")
