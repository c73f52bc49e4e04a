"""`flask users create EMAIL --role officer|admin [--name N] [--languages ko,en] [--contact-access]
[--password-stdin]`.

The first admin creates the organization's keys and is shown the recovery code once. Once
keys exist, a new account is given them with the recovery code (on standard input, after the
password when --password-stdin is used); accounts are otherwise created by an admin in the
web pages, whose session wraps the keys for the new account.
"""
from __future__ import annotations

import getpass
import sys

import click
from flask.cli import AppGroup

from app.cli.keys import print_recovery_code, recovery_keyring
from app.extensions import db
from app.sealed import keys
from app.services.accounts import AccountError, check_new_account, create_user

users_cli = AppGroup("users", help="Staff accounts.")

REASONS = {
    "exists": "an account with this e-mail address already exists",
    "role": "role must be officer or admin",
    "language": "languages must be ko, en or ko,en",
    "password_short": "the password must be at least 12 characters",  # nosec B105 # a message, not a password
}


@users_cli.command("create")
@click.argument("email")
@click.option("--role", type=click.Choice(["officer", "admin"]), default="officer", show_default=True)
@click.option("--name", default="", help="Name shown to colleagues.")
@click.option("--languages", default="ko", show_default=True, help="Languages spoken: ko, en or ko,en.")
@click.option("--contact-access", is_flag=True, help="May see submitters' contact details (gets the identity key).")
@click.option("--password-stdin", is_flag=True, help="Read the password (then the recovery code) from standard input.")
def create_command(email, role, name, languages, contact_access, password_stdin):
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
        check_new_account(db.session(), email, password)
    except AccountError as error:
        raise click.ClickException(REASONS[error.reason]) from None
    first = not keys.keys_exist(db.session())
    if first and role != "admin":
        raise click.ClickException("the first account must be an admin: it creates the organization's keys")
    if first:
        keyring, code = keys.create_keys(db.session(), "cli")
        contact_access = True  # the first admin holds every key
    else:
        keyring, code = recovery_keyring(), None
    try:
        user = create_user(db.session(), email, password, role=role, name=name,
                           languages=[code.strip() for code in languages.split(",") if code.strip()],
                           keyring=keyring, contact_access=contact_access)
    except AccountError as error:
        raise click.ClickException(REASONS[error.reason]) from None
    db.session.commit()
    click.echo(f"created {user.role} {user.email} (id {user.id}); two-step verification is set up at first login")
    if code:
        print_recovery_code(code)
