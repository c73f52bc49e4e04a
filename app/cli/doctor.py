"""`flask doctor [--json] [--warnings-ok] [--onion-hostname FILE] [--nginx-conf FILE]`: checks a
(production) installation and says in plain words what is wrong and what to do. Its exit status
is a monitoring plugin's: 0 all is well, 1 warnings, 2 a problem."""
from __future__ import annotations

import json
import os
import sys

import click
from alembic.script import ScriptDirectory
from flask import current_app
from flask.cli import with_appcontext

import config
from app.extensions import db
from app.services.ops import doctor
from app.services.ops.findings import EXIT_CODES, worst
from app.version import __version__

LABELS = {doctor.OK: "ok", doctor.WARNING: "WARNING", doctor.PROBLEM: "PROBLEM"}
COLORS = {doctor.OK: None, doctor.WARNING: "yellow", doctor.PROBLEM: "red"}


@click.command("doctor", epilog="Exit status: 0 when every check is ok, 1 when there are warnings (and no "
               "problem), 2 when anything is a problem - the codes monitoring systems (Nagios, Icinga, "
               "Zabbix agents, Checkmk) read as OK, WARNING and CRITICAL. With --warnings-ok, warnings alone "
               "exit 0, as before 0.5.0.")
@with_appcontext
@click.option("--onion-hostname", default="/var/lib/tor/moksori/hostname", show_default=True,
              help="tor's hostname file of the onion service, to compare with ONION_ADDRESS.")
@click.option("--nginx-conf", default="/etc/moksori/nginx/moksori-common.conf", show_default=True,
              help="the rendered nginx configuration, to check that uploads wait in memory (tmpfs) and to find "
                   "the TLS certificate (its sibling moksori.conf) when TLS_CERT_FILE is not set.")
@click.option("--json", "as_json", is_flag=True, help="Print the findings as JSON (version, status, exit_code, "
              "findings: check, level, message) for a monitoring system.")
@click.option("--warnings-ok", is_flag=True, help="Exit 0 when there are only warnings (a go/no-go check).")
def doctor_command(onion_hostname, nginx_conf, as_json, warnings_ok):
    """Check keys, database, Redis, mail, uploads (and nginx's), clock and onion address, and watch
    failed mail, retention runs, backups, timestamps, the TLS certificate and disk space; say what to fix."""
    app = current_app
    migrate = app.extensions["migrate"].migrate
    installation = doctor.Installation(
        config=app.config, session=db.session(), environ=dict(os.environ),
        expected_heads=set(ScriptDirectory.from_config(migrate.get_config()).get_heads()),
        static_dir=app.static_folder or "", code_dir=app.root_path, instance_dir=str(config.INSTANCE_DIR),
        onion_hostname_file=onion_hostname, nginx_conf=nginx_conf)
    findings = doctor.run(installation)
    status = worst(findings)
    code = 0 if warnings_ok and status == doctor.WARNING else EXIT_CODES[status]
    if as_json:
        click.echo(json.dumps({"version": __version__, "status": status, "exit_code": code,
                               "findings": [{"check": f.check, "level": f.level, "message": f.message}
                                            for f in findings]}, ensure_ascii=False, indent=2))
        sys.exit(code)
    click.echo(f"Moksori {__version__}\n")
    width = max(len(finding.check) for finding in findings)
    for finding in findings:
        prefix = f"{LABELS[finding.level]:<8} {finding.check:<{width}}  "
        text = click.wrap_text(finding.message, width=100, initial_indent=prefix, subsequent_indent=" " * len(prefix))
        click.echo(click.style(text, fg=COLORS[finding.level]))
    problems = sum(finding.level == doctor.PROBLEM for finding in findings)
    warnings = sum(finding.level == doctor.WARNING for finding in findings)
    click.echo(f"\n{problems} problem(s), {warnings} warning(s)."
               + ("" if problems else " Nothing stops this installation from running."))
    sys.exit(code)
