"""Flask commands (DESIGN §5), one module per group; create_app() calls init_app()."""
from __future__ import annotations

from flask import Flask

from app.cli import demo, ops
from app.cli.doctor import doctor_command
from app.cli.evidence import evidence_cli
from app.cli.keys import keys_cli
from app.cli.outbox import outbox_cli
from app.cli.translate import translate
from app.cli.users import users_cli


def init_app(app: Flask) -> None:
    app.cli.add_command(translate)
    app.cli.add_command(users_cli)
    app.cli.add_command(keys_cli)
    app.cli.add_command(outbox_cli)
    app.cli.add_command(doctor_command)
    app.cli.add_command(evidence_cli)
    ops.init_app(app)  # audit, export, retention, backup
    demo.init_app(app)  # demo seed, search rebuild
