"""`flask doctor [--onion-hostname FILE]`: checks a (production) installation and says in plain
words what is wrong and what to do; exits 1 when anything is a problem (warnings alone: 0)."""
from __future__ import annotations

import os
import sys

import click
from alembic.script import ScriptDirectory
from flask import current_app
from flask.cli import with_appcontext

from app.extensions import db
from app.services.ops import doctor

LABELS = {doctor.OK: "ok", doctor.WARNING: "WARNING", doctor.PROBLEM: "PROBLEM"}
COLORS = {doctor.OK: None, doctor.WARNING: "yellow", doctor.PROBLEM: "red"}


@click.command("doctor")
@with_appcontext
@click.option("--onion-hostname", default="/var/lib/tor/moksori/hostname", show_default=True,
              help="tor's hostname file of the onion service, to compare with ONION_ADDRESS.")
@click.option("--nginx-conf", default="/etc/moksori/nginx/moksori-common.conf", show_default=True,
              help="the rendered nginx configuration, to check that uploads wait in memory (tmpfs).")
def doctor_command(onion_hostname, nginx_conf):
    """Check keys, database, Redis, mail, uploads (and nginx's), clock and onion address; say what to fix."""
    app = current_app
    migrate = app.extensions["migrate"].migrate
    installation = doctor.Installation(
        config=app.config, session=db.session(), environ=dict(os.environ),
        expected_heads=set(ScriptDirectory.from_config(migrate.get_config()).get_heads()),
        static_dir=app.static_folder or "", code_dir=app.root_path, onion_hostname_file=onion_hostname,
        nginx_conf=nginx_conf)
    findings = doctor.run(installation)
    width = max(len(finding.check) for finding in findings)
    for finding in findings:
        prefix = f"{LABELS[finding.level]:<8} {finding.check:<{width}}  "
        text = click.wrap_text(finding.message, width=100, initial_indent=prefix, subsequent_indent=" " * len(prefix))
        click.echo(click.style(text, fg=COLORS[finding.level]))
    problems = sum(finding.level == doctor.PROBLEM for finding in findings)
    warnings = sum(finding.level == doctor.WARNING for finding in findings)
    click.echo(f"\n{problems} problem(s), {warnings} warning(s)."
               + ("" if problems else " Nothing stops this installation from running."))
    if problems:
        sys.exit(1)
