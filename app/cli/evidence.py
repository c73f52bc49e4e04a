"""Evidence commands (DESIGN §5): `evidence timestamp [--when-due]`, one batch of trusted
timestamps (services/evidence/timestamps.py). The moksori-timestamp timer runs it with
--when-due every ten minutes: a batch each TSA_INTERVAL_MINUTES when something new waits, and
failed batches again after their backoff.

Exit codes: 0 done (or nothing to do), 75 the authorities could not stamp it this time or
another run is busy (EX_TEMPFAIL: it waits and is tried again), 1 misconfigured.
"""
from __future__ import annotations

import sys
from datetime import timedelta

import click
from flask import current_app
from flask.cli import AppGroup

from app.extensions import db
from app.sealed import tsa
from app.services.evidence import timestamps

evidence_cli = AppGroup("evidence", help="Evidence kept for accountability processes.")


@evidence_cli.command("timestamp")
@click.option("--when-due", is_flag=True,
              help="Only when due (the timer's way): TSA_INTERVAL_MINUTES after the last batch, and a failed batch "
                   "after its backoff.")
def timestamp_command(when_due):
    """Build a Merkle tree over the pieces that arrived since the last batch and have an RFC 3161
    authority (TSA_URLS) stamp its root."""
    config = current_app.config
    if not config["TSA_URLS"]:
        click.echo("no time-stamping authority is configured: set TSA_URLS (see `moksori doctor`)", err=True)
        sys.exit(0 if when_due else 1)
    try:
        anchors = tsa.load_anchors(config["TSA_CA_FILE"] or None)
    except tsa.AnchorsError as error:
        click.echo(f"cannot check tokens: {error}. Set TSA_CA_FILE to the authorities' root certificates.", err=True)
        sys.exit(1)
    result = timestamps.run(db.session(), config["TSA_URLS"], anchors, when_due=when_due,
                            interval=timedelta(minutes=config["TSA_INTERVAL_MINUTES"]),
                            timeout=config["TSA_TIMEOUT_SECONDS"])
    _report(result)


def _report(result: timestamps.RunResult) -> None:
    if result.outcome == "stamped":
        click.echo(f"batch {result.batch_id}: {result.pieces} piece(s) stamped by {result.tsa_url} at "
                   f"{result.time.isoformat() if result.time else '?'}")
    elif result.outcome == "nothing":
        click.echo("nothing new to stamp")
    elif result.outcome in ("not_due", "waiting"):
        when = result.next_attempt_at.isoformat(timespec="seconds") if result.next_attempt_at else "later"
        click.echo(f"not due yet: the next batch is made at {when}")
    elif result.outcome == "busy":
        click.echo("another run is working on the batch; it will stamp it", err=True)
        sys.exit(75)
    else:
        for error in result.errors:
            click.echo(f"refused or unreachable: {error}", err=True)
        when = result.next_attempt_at.isoformat(timespec="seconds") if result.next_attempt_at else "later"
        click.echo(f"batch {result.batch_id} ({result.pieces} piece(s)) waits; next attempt at {when}. Intake goes "
                   "on meanwhile.", err=True)
        sys.exit(75)
