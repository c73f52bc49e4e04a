"""Application factory: wires config, extensions, blueprints, errors and CLI — nothing else."""
from __future__ import annotations

from pathlib import Path

from flask import Flask

from app import auth, cli, database, errors, i18n, logs, security, sessions, static_files
from app.admin import bp as admin_bp
from app.extensions import csrf, db, limiter, migrate
from app.public import bp as public_bp
from app.sealed import installation
from app.staff import bp as staff_bp
from config import Config, DevelopmentConfig

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def create_app(config_class: type[Config] = DevelopmentConfig) -> Flask:
    app = Flask(__name__, instance_path=None)
    app.config.update(config_class.finalize())
    logs.init_app(app)

    db.init_app(app)
    database.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS), render_as_batch=True, compare_type=True)
    sessions.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    auth.init_app(app)
    installation.init_app(app)
    i18n.init_app(app)
    security.init_app(app)
    static_files.init_app(app)
    errors.init_app(app)
    cli.init_app(app)

    app.register_blueprint(public_bp)
    app.register_blueprint(staff_bp)
    app.register_blueprint(admin_bp)
    return app
