"""`flask users create EMAIL --role officer|admin [--name N] [--languages ko,en] [--password-stdin]`."""
from __future__ import annotations

import getpass
import sys

import click
from flask.cli import AppGroup

from app.extensions import db
from app.services.accounts import AccountError, create_user

users_cli = AppGroup("users", help="Staff accounts.")

REASONS = {
    "exists": "an account with this e-mail address already exists",
    "role": "role must be officer or admin",
    "language": "languages must be ko, en or ko,en",
    "password_short": "the password must be at least 12 characters",
}


@users_cli.command("create")
@click.argument("email")
@click.option("--role", type=click.Choice(["officer", "admin"]), default="officer", show_default=True)
@click.option("--name", default="", help="Name shown to colleagues.")
@click.option("--languages", default="ko", show_default=True, help="Languages spoken: ko, en or ko,en.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def create_command(email, role, name, languages, password_stdin):
    """Create a staff account; TOTP is set up at the first login."""
    if "@" not in email:
        raise click.UsageError("EMAIL must be an e-mail address")
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass("Password: ")
        if getpass.getpass("Again: ") != password:
            raise click.ClickException("the two passwords differ")
    try:
        user = create_user(db.session, email, password, role=role, name=name,
                           languages=[code.strip() for code in languages.split(",") if code.strip()])
    except AccountError as error:
        raise click.ClickException(REASONS[error.reason]) from None
    db.session.commit()
    click.echo(f"created {user.role} {user.email} (id {user.id}); two-step verification is set up at first login")
