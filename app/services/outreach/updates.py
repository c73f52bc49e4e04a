"""Bilingual updates: writing, publishing (which queues subscriber mail), listing, Atom feeds."""
from __future__ import annotations

import functools
import math
import re
import unicodedata
import xml.etree.ElementTree as ET  # nosec B405 # only writes the Atom feed; nothing here parses XML
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlsplit

import markdown
import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.i18n import current_lang, org_name
from app.models import OutboxEmail, Update
from app.models.base import utcnow
from app.models.updates import TOPIC_CODES, any_topic, join_topics
from app.security import sanitize_html
from app.services import audit, mail
from app.services.outreach import subscriptions

TOPICS = list(zip(TOPIC_CODES, (
    _l("Reports and documentation"),
    _l("Accountability and justice"),
    _l("The UN and international advocacy"),
    _l("Support for escapees"),
    _l("News from our organization"),
), strict=True))
SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,78}[a-z0-9])?$")
PER_PAGE = 10
FEED_ENTRIES = 20
ATOM = "http://www.w3.org/2005/Atom"
# Stand-ins for per-subscriber links: one rendering per language variant, then filled per address.
PREFERENCES_MARK = "MOKSORI-PREFERENCES-URL"
UNSUBSCRIBE_MARK = "MOKSORI-UNSUBSCRIBE-URL"


class SlugTaken(Exception):
    pass


@dataclass
class UpdateData:
    slug: str = ""
    title_ko: str = ""
    title_en: str = ""
    summary_ko: str = ""
    summary_en: str = ""
    body_ko: str = ""
    body_en: str = ""
    topics: list[str] = field(default_factory=list)


@dataclass
class Page:
    items: list[Update]
    page: int
    pages: int
    total: int


def topic_label(code: str) -> str:
    return str(dict(TOPICS).get(code, code))


def render_body(text: str) -> Markup:
    """Markdown to HTML, cleaned by the one sanitize_html(). "# Title" becomes <h2>: the page has its <h1>."""
    return Markup(_cleaned_html(text or ""))  # nosec B704 # bleach-cleaned by sanitize_html(), the one place


# Markdown and bleach take 20-40 ms for a long update, and the Atom feed renders twenty of them:
# uncached, the feed held SQLite's write lock so long that 8 concurrent readers ran into the
# busy timeout (bench/README.md). The result depends on the text alone, so the text is the key:
# an edited update is a new key, and there is nothing to invalidate.
@functools.lru_cache(maxsize=64)
def _cleaned_html(text: str) -> str:
    html = markdown.markdown(text, extensions=["tables", "sane_lists", "toc"],
                             extension_configs={"toc": {"baselevel": 2}})
    return sanitize_html(html)


def suggest_slug(data: UpdateData) -> str:
    """From the English title when there is one; Hangul titles would give unreadable %-encoded URLs."""
    ascii_title = unicodedata.normalize("NFKD", data.title_en).encode("ascii", "ignore").decode().lower()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_title).strip("-")[:60].strip("-")
    return slug or f"update-{utcnow():%Y%m%d-%H%M}"


def save(session: Session, actor: str, data: UpdateData, update: Update | None = None) -> Update:
    """Create or edit an update (a draft until published). Raises SlugTaken."""
    update = update or Update(state="draft")
    for name in ("title_ko", "title_en", "summary_ko", "summary_en", "body_ko", "body_en"):
        setattr(update, name, getattr(data, name))
    update.slug = data.slug or suggest_slug(data)
    update.topics = join_topics(data.topics)
    try:
        with session.begin_nested():
            session.add(update)
            session.flush()
    except IntegrityError:
        raise SlugTaken() from None
    audit.record(session, actor, "update.saved", "update", str(update.id), {"slug": update.slug})
    session.commit()
    return update


def publish(session: Session, actor: str, update: Update, links: subscriptions.Links) -> int:
    """Publish, and the first time queue one message per matching subscriber. Returns how many."""
    if not update.languages:  # the admin form never lets this through
        raise ValueError("an update needs a title and a text in at least one language")
    update.state = "published"
    update.published_at = update.published_at or utcnow()
    queued = 0
    if update.notified_at is None:
        queued = queue_update_mail(session, update, links)
        update.notified_at = utcnow()
    audit.record(session, actor, "update.published", "update", str(update.id), {"queued": queued})
    session.commit()
    return queued


def unpublish(session: Session, actor: str, update: Update) -> None:
    update.state = "draft"
    audit.record(session, actor, "update.unpublished", "update", str(update.id))
    session.commit()


def _variant(update: Update, langs: list[str], note_lang: str | None, links: subscriptions.Links) -> mail.Rendered:
    def subject() -> str:
        return _("[%(org)s] %(title)s", org=org_name(), title=update.title(current_lang()))

    note = None
    if note_lang is not None:  # the subscriber's language is missing: say so, in their language
        with force_locale(note_lang):
            note = (note_lang, _("This update is available only in English.") if langs == ["en"] else
                    _("This update is available only in Korean."))
    return mail.render_email(
        "update", langs, subject, note=note, update=update, render_body=render_body, base_url=links.base_url,
        preferences_url=PREFERENCES_MARK, unsubscribe_url=UNSUBSCRIBE_MARK,
    )


def queue_update_mail(session: Session, update: Update, links: subscriptions.Links) -> int:
    """One message per confirmed subscriber sharing a topic, in their language (both: bilingual)."""
    variants: dict[tuple, mail.Rendered] = {}
    rows = []
    for subscriber in subscriptions.matching_subscribers(session, update.topic_list):
        langs = [lang for lang in subscriber.languages if lang in update.languages]
        note_lang = None if langs else subscriber.languages[0]
        key = (tuple(langs or update.languages), note_lang)
        if key not in variants:
            variants[key] = _variant(update, list(key[0]), note_lang, links)
        preferences_url, unsubscribe_url = links.manage_urls(subscriber)
        rendered = variants[key].fill(PREFERENCES_MARK, preferences_url).fill(UNSUBSCRIBE_MARK, unsubscribe_url)
        rows.append(mail.message_values(
            recipient=subscriber.email, rendered=rendered, kind="update", locale=subscriber.locale,
            sender=links.sender, headers=links.list_headers(unsubscribe_url),
            dedupe_key=f"update:{update.id}:{subscriber.id}",
        ))
    if rows:  # one multi-row INSERT: ten thousand ORM objects would cost seconds
        session.execute(sa.insert(OutboxEmail), rows)
    return len(rows)


def _published():
    return sa.select(Update).where(Update.state == "published", Update.published_at.is_not(None))


def version(session: Session) -> tuple:
    """Changes whenever any update is added, edited, published, withdrawn or deleted (every
    change sets updated_at): the public pages rendered from updates are kept until it does."""
    return tuple(session.execute(sa.select(sa.func.count(Update.id), sa.func.max(Update.updated_at))).one())


def published_page(session: Session, topic: str | None, page: int) -> Page:
    query = _published()
    if topic:
        query = query.where(any_topic(Update.topics, [topic]))
    total = session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    items = session.scalars(
        query.order_by(Update.published_at.desc(), Update.id.desc()).limit(PER_PAGE).offset((page - 1) * PER_PAGE)
    ).all()
    return Page(list(items), page, max(1, math.ceil(total / PER_PAGE)), total)


def published_by_slug(session: Session, slug: str) -> Update | None:
    return session.scalar(_published().where(Update.slug == slug))


def feed_entries(session: Session, lang: str) -> list[Update]:
    """The newest published updates that exist in `lang` (a feed reader wants one language)."""
    title, body = (Update.title_ko, Update.body_ko) if lang == "ko" else (Update.title_en, Update.body_en)
    query = _published().where(title != "", body != "")
    return list(session.scalars(query.order_by(Update.published_at.desc(), Update.id.desc()).limit(FEED_ENTRIES)))


# Characters XML 1.0 cannot carry (§2.2), even as references; ElementTree writes them as they
# are, and one U+FFFF pasted into an update made the whole feed unreadable to every reader.
NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _text(parent: ET.Element, tag: str, text: str, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attrs)
    element.text = NOT_XML.sub("", text)
    return element


def _stamp(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def atom_feed(entries: list[Update], lang: str, base_url: str, title: str, org: str) -> bytes:
    """RFC 4287 Atom. Ids are tag: URIs built from the row id, so editing a slug keeps them."""
    ET.register_namespace("", ATOM)
    host = urlsplit(base_url).hostname or "localhost"
    feed = ET.Element(f"{{{ATOM}}}feed", {"{http://www.w3.org/XML/1998/namespace}lang": lang})
    _text(feed, "id", f"tag:{host},2026:updates:{lang}")
    _text(feed, "title", title)
    newest = max((entry.updated_at for entry in entries), default=utcnow())
    _text(feed, "updated", _stamp(newest))
    ET.SubElement(feed, f"{{{ATOM}}}link", {"rel": "self", "type": "application/atom+xml",
                                             "href": f"{base_url}/{lang}/updates.atom"})
    ET.SubElement(feed, f"{{{ATOM}}}link", {"rel": "alternate", "type": "text/html",
                                             "href": f"{base_url}/{lang}/updates"})
    author = ET.SubElement(feed, f"{{{ATOM}}}author")
    _text(author, "name", org)
    for update in entries:
        entry = ET.SubElement(feed, f"{{{ATOM}}}entry")
        _text(entry, "id", f"tag:{host},2026:update:{update.id}:{lang}")
        _text(entry, "title", update.title(lang))
        _text(entry, "published", _stamp(update.published_at or update.updated_at))  # published ones only
        _text(entry, "updated", _stamp(update.updated_at))
        ET.SubElement(entry, f"{{{ATOM}}}link", {"rel": "alternate", "type": "text/html",
                                                  "href": f"{base_url}/{lang}/updates/{update.slug}"})
        for code in update.topic_list:
            ET.SubElement(entry, f"{{{ATOM}}}category", {"term": code, "label": topic_label(code)})
        if update.summary(lang):
            _text(entry, "summary", update.summary(lang))
        _text(entry, "content", str(render_body(update.body(lang))), type="html")
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)
