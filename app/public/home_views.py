"""The way in: the language redirect, the home page and the health check."""
from __future__ import annotations

from flask import current_app, redirect, render_template, url_for

from app.extensions import db, limiter
from app.i18n import best_accept_language
from app.public import LANG, bp
from app.public.page_cache import kept_page
from app.services.ops import health


@bp.route("/")
def root():
    return redirect(url_for("public.home", lang=best_accept_language()))


@bp.route("/healthz")
def healthz():
    """Each dependency of a submission, ok or failing; 503 when one fails (services/ops/health.py)."""
    results = {
        "database": health.database(db.session()),
        "uploads": health.upload_folder(current_app.config["UPLOAD_DIR"]),
        "keys": health.keys_present(db.session()),
    }
    # Only where limits are on and shared through a store (Redis): an in-process store cannot
    # fail, and with RATELIMIT_ENABLED off the limiter never opens its store (there is none to ask).
    if current_app.config["RATELIMIT_ENABLED"] and not current_app.config["RATELIMIT_STORAGE_URI"].startswith("memory://"):
        results["rate_limits"] = health.answered(lambda: limiter.storage.check())
    return health.report(results)


@bp.route(f"{LANG}/")
@kept_page()
def home(lang):
    return render_template("public/home.html")
