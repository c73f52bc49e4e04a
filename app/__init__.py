"""Application factory: wires config, extensions, blueprints, errors and CLI — nothing else."""
from __future__ import annotations

from flask import Flask

from config import Config, DevelopmentConfig


def create_app(config_class: type[Config] = DevelopmentConfig) -> Flask:
    app = Flask(__name__, instance_path=None)
    app.config.update(config_class.finalize())

    from app import auth, cli, database, errors, i18n, security
    from app.extensions import csrf, db, limiter, migrate
    from app.crypto import init_crypto

    db.init_app(app)
    database.init_app(app)
    migrate.init_app(app, db, directory=str(_migrations_dir()), render_as_batch=True, compare_type=True)
    csrf.init_app(app)
    limiter.init_app(app)
    auth.init_app(app)
    init_crypto(app)
    i18n.init_app(app)
    security.init_app(app)
    errors.init_app(app)
    cli.init_app(app)

    from app.admin import bp as admin_bp
    from app.public import bp as public_bp
    from app.staff import bp as staff_bp

    app.register_blueprint(public_bp)
    app.register_blueprint(staff_bp)
    app.register_blueprint(admin_bp)
    return app


def _migrations_dir():
    from pathlib import Path

    return Path(__file__).resolve().parent.parent / "migrations"
