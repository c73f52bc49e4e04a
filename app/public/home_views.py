"""The way in: the language redirect, the home page and the health check."""
from __future__ import annotations

from flask import redirect, render_template, url_for

from app.extensions import db
from app.i18n import best_accept_language
from app.public import LANG, bp


@bp.route("/")
def root():
    return redirect(url_for("public.home", lang=best_accept_language()))


@bp.route("/healthz")
def healthz():
    db.session.execute(db.text("SELECT 1"))
    return {"status": "ok"}


@bp.route(f"{LANG}/")
def home(lang):
    return render_template("public/home.html")
