"""The safety guide (/<lang>/safety) and the site's icon.

The guide is one page of fixed text: what a device keeps, Tor Browser, what a phone check can
find, the receipt code, what the site keeps and what happens after sending. Every public page
links to it (base.html: the quick-exit bar and the footer)."""
from __future__ import annotations

from flask import current_app, render_template, send_from_directory

from app.public import LANG, bp
from app.public.page_cache import kept_page


@bp.route(f"{LANG}/safety")
@kept_page()
def safety(lang):
    return render_template("public/safety.html")


@bp.route("/favicon.ico")
def favicon():
    """Browsers ask for /favicon.ico on their own; answering it keeps a 404 out of the console."""
    return send_from_directory(current_app.static_folder or "", "img/favicon.ico", mimetype="image/x-icon",
                               max_age=86400)
