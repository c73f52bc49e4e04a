"""Public updates: the list (by topic, paginated), one update, and an Atom feed per language."""
from __future__ import annotations

from flask import Response, abort, current_app, render_template, request
from flask_babel import gettext as _

from app.extensions import db
from app.i18n import org_name
from app.models.updates import TOPIC_CODES
from app.public import LANG, bp
from app.public.page_cache import kept_page
from app.services.outreach import updates as update_service


def _published_version():
    """What the kept update pages depend on: any update written, published, withdrawn or deleted
    changes it (app/public/page_cache.py)."""
    return update_service.version(db.session())


@bp.route(f"{LANG}/updates")
@kept_page(args=("topic", "page"), version=_published_version)
def updates(lang):
    topic = request.args.get("topic")
    topic = topic if topic in TOPIC_CODES else None  # an unknown topic shows everything
    page = max(1, request.args.get("page", 1, type=int))
    result = update_service.published_page(db.session(), topic, page)
    if page > result.pages:
        abort(404)
    return render_template("public/updates.html", result=result, topic=topic, topics=update_service.TOPICS,
                           topic_label=update_service.topic_label)


@bp.route(f"{LANG}/updates/<slug>")
@kept_page(version=_published_version)
def update_detail(lang, slug):
    update = update_service.published_by_slug(db.session(), slug)
    if update is None:
        abort(404)
    available = lang in update.languages
    return render_template(
        "public/updates_detail.html", update=update, available=available, other="en" if lang == "ko" else "ko",
        body=update_service.render_body(update.body(lang)) if available else None,
        topic_label=update_service.topic_label,
    )


@bp.route(f"{LANG}/updates.atom")
@kept_page(version=_published_version)
def updates_feed(lang):
    feed = update_service.atom_feed(
        update_service.feed_entries(db.session(), lang), lang, current_app.config["PUBLIC_BASE_URL"].rstrip("/"),
        _("%(org)s: updates", org=org_name()), org_name(),
    )
    return Response(feed, mimetype="application/atom+xml")
