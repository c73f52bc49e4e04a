"""NGO subscriptions: double opt-in, signed links, preferences, unsubscribing.

Privacy and abuse rules, in one place:
- The public form answers the same whatever the address: a new address gets a confirmation
  link, a subscribed one gets a "manage your subscription" link, and nothing on the page
  tells the two apart. Only the mailbox's owner learns which it was.
- Preferences of a confirmed subscriber change only through their own signed link.
- One address gets at most one such mail per MAIL_INTERVAL, however often the form is sent.
- Links are itsdangerous tokens over (subscriber id, a random per-row key); they expire, and
  removing a subscriber kills every link it was ever sent.
"""
from __future__ import annotations

import functools
import hmac
import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.i18n import contains_hangul, org_name
from app.models import OutboxEmail, Subscriber
from app.models.base import split_codes, utcnow
from app.models.updates import any_topic, join_topics
from app.services import audit, mail
from app.services.spreadsheet import csv_cell

MAIL_INTERVAL = timedelta(minutes=10)
EMAIL = re.compile(
    r"^(?!\.)(?!.*\.\.)[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}(?<!\.)"
    r"@(?=.{1,253}$)(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$"
)


class LinkProblem(Exception):
    """A subscription link that cannot be used; `reason` is "expired" or "invalid"."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@functools.lru_cache(maxsize=8)
def _serializer(secret: str, purpose: str) -> URLSafeTimedSerializer:
    # One salt per purpose: a confirmation link cannot be replayed as an unsubscribe link.
    return URLSafeTimedSerializer(secret, salt=f"moksori.subscription.{purpose}")


@dataclass(frozen=True)
class Links:
    """What signing and building subscription links needs, taken from the app config."""

    secret: str
    base_url: str
    sender: str
    confirm_max_age: int
    manage_max_age: int

    @classmethod
    def from_config(cls, config) -> Links:
        return cls(
            secret=config["SECRET_KEY"], base_url=config["PUBLIC_BASE_URL"].rstrip("/"), sender=config["MAIL_FROM"],
            confirm_max_age=config["SUBSCRIPTION_CONFIRM_HOURS"] * 3600,
            manage_max_age=config["SUBSCRIPTION_LINK_DAYS"] * 86400,
        )

    def token(self, subscriber: Subscriber, purpose: str) -> str:
        return _serializer(self.secret, purpose).dumps([subscriber.id, subscriber.token_key])

    def _page(self, subscriber: Subscriber, page: str, token: str) -> str:
        """A subscription page in the subscriber's (first) language."""
        return f"{self.base_url}/{subscriber.languages[0]}/subscribe/{page}/{token}"

    def confirm_url(self, subscriber: Subscriber) -> str:
        return self._page(subscriber, "confirm", self.token(subscriber, "confirm"))

    def manage_urls(self, subscriber: Subscriber) -> tuple[str, str]:
        """(preferences, unsubscribe): both pages take the same "manage" token, signed once."""
        token = self.token(subscriber, "manage")
        return self._page(subscriber, "preferences", token), self._page(subscriber, "unsubscribe", token)

    def read(self, session: Session, token: str, purpose: str) -> Subscriber:
        max_age = self.confirm_max_age if purpose == "confirm" else self.manage_max_age
        try:
            subscriber_id, key = _serializer(self.secret, purpose).loads(token, max_age=max_age)
        except SignatureExpired:
            raise LinkProblem("expired") from None
        except (BadSignature, TypeError, ValueError):
            raise LinkProblem("invalid") from None
        subscriber = session.get(Subscriber, subscriber_id) if isinstance(subscriber_id, int) else None
        if subscriber is None or not hmac.compare_digest(subscriber.token_key, str(key)):
            raise LinkProblem("invalid")
        return subscriber

    def list_headers(self, unsubscribe_url: str) -> dict[str, str]:
        """RFC 8058 one-click unsubscribe (and RFC 2919 List-Id) for every subscriber mail."""
        host = urlsplit(self.base_url).hostname or "localhost"
        return {
            "List-Id": f"<updates.{host}>",
            "List-Unsubscribe": f"<{unsubscribe_url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        }


def email_problem(raw: str | None) -> str | None:
    """Why an address typed into the form cannot be used (a localized sentence), or None."""
    value = (raw or "").strip()
    if not value:
        return _("Please enter your e-mail address.")
    if contains_hangul(value):  # the keyboard was left in Korean mode (KOREAN.md §3.7)
        return _("The e-mail address contains Korean letters. Please switch the keyboard to English "
                 "(the 한/영 key on a computer) and type it again.")
    if len(value) > 254 or not EMAIL.match(normalize_email(value)):
        return _("This e-mail address does not look complete. Please check it (e.g. name@example.org).")
    return None


def normalize_email(raw: str) -> str:
    """NFKC turns full-width Latin letters (typed in a Korean IME's full-width mode) into ASCII;
    safe here because Hangul was refused before."""
    return unicodedata.normalize("NFKC", raw).strip().lower()


def _mail(session: Session, links: Links, subscriber: Subscriber, name: str, subject, kind: str) -> None:
    preferences_url, unsubscribe_url = links.manage_urls(subscriber)
    rendered = mail.render_email(
        name, subscriber.languages, subject, confirm_url=links.confirm_url(subscriber),
        preferences_url=preferences_url, unsubscribe_url=unsubscribe_url,
        hours=links.confirm_max_age // 3600,
    )
    mail.enqueue(session, recipient=subscriber.email, rendered=rendered, kind=kind, locale=subscriber.locale,
                 sender=links.sender, headers=links.list_headers(unsubscribe_url))
    subscriber.last_mailed_at = utcnow()


def request_subscription(
    session: Session, links: Links, email: str, organization: str, locale: str, topics: list[str]
) -> None:
    """Handle the public form. Returns nothing on purpose: the answer must not depend on it."""
    email = normalize_email(email)
    subscriber = session.scalar(sa.select(Subscriber).where(Subscriber.email == email))
    if subscriber is None:
        subscriber = Subscriber(email=email, state="pending", token_key=secrets.token_hex(16))
        try:
            with session.begin_nested():
                session.add(subscriber)
                session.flush()
        except IntegrityError:  # the same address sent twice at once: the first one wins
            return
    if subscriber.state != "confirmed":
        if subscriber.state == "unsubscribed":  # a fresh start: old links stop working
            subscriber.token_key = secrets.token_hex(16)
            subscriber.unsubscribed_at = None
        subscriber.state = "pending"
        subscriber.organization, subscriber.locale, subscriber.topics = organization, locale, join_topics(topics)
    last = subscriber.last_mailed_at
    if last is None or utcnow() - last >= MAIL_INTERVAL:
        if subscriber.state == "confirmed":
            _mail(session, links, subscriber, "subscription_known",
                  lambda: _("[%(org)s] Your subscription", org=org_name()), "subscription.known")
        else:
            _mail(session, links, subscriber, "subscription_confirm",
                  lambda: _("[%(org)s] Please confirm your subscription", org=org_name()), "subscription.confirm")
    session.commit()


def confirm(session: Session, subscriber: Subscriber) -> None:
    """Confirm a pending subscription; a second click changes nothing."""
    if subscriber.state == "pending":
        subscriber.state = "confirmed"
        subscriber.confirmed_at = utcnow()
        audit.record(session, "subscriber", "subscription.confirmed", "subscriber", str(subscriber.id))
        session.commit()


def update_preferences(session: Session, subscriber: Subscriber, locale: str, topics: list[str]) -> None:
    subscriber.locale, subscriber.topics = locale, join_topics(topics)
    session.commit()


def unsubscribe(session: Session, subscriber: Subscriber) -> None:
    """Idempotent: mail clients may send the one-click POST more than once."""
    if subscriber.state != "unsubscribed":
        subscriber.state = "unsubscribed"
        subscriber.unsubscribed_at = utcnow()
        # Kept: the address and that it left, so it is never written to by mistake (the form says so).
        subscriber.organization = ""
        audit.record(session, "subscriber", "subscription.cancelled", "subscriber", str(subscriber.id))
        session.commit()


def matching_subscribers(session: Session, topics: list[str]):
    """Confirmed subscribers who chose at least one of `topics`, in id order."""
    query = sa.select(Subscriber).where(Subscriber.state == "confirmed", any_topic(Subscriber.topics, topics))
    return session.scalars(query.order_by(Subscriber.id)).all()


# Admin side ---------------------------------------------------------------------------

def counts(session: Session) -> dict[str, dict[str, int]]:
    """Subscribers by state; confirmed ones by language and by topic."""
    by_state = dict(session.execute(sa.select(Subscriber.state, sa.func.count()).group_by(Subscriber.state))
                    .tuples().all())
    by_language: dict[str, int] = {}
    by_topic: dict[str, int] = {}
    confirmed = session.execute(sa.select(Subscriber.locale, Subscriber.topics).where(Subscriber.state == "confirmed"))
    for locale, topics in confirmed:
        by_language[locale] = by_language.get(locale, 0) + 1
        for code in split_codes(topics):
            by_topic[code] = by_topic.get(code, 0) + 1
    return {"state": by_state, "language": by_language, "topic": by_topic}


def search(session: Session, state: str | None, text: str, page: int, per_page: int = 50):
    """One page of subscribers (newest first) and the total, by state and address or organization."""
    query = sa.select(Subscriber)
    if state:
        query = query.where(Subscriber.state == state)
    if text:
        query = query.where(sa.or_(Subscriber.email.contains(text.lower(), autoescape=True),
                                   Subscriber.organization.contains(text, autoescape=True)))
    total = session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(Subscriber.id.desc()).limit(per_page).offset((page - 1) * per_page)).all()
    return list(rows), total


def _cell(value) -> str:
    """Dates as ISO 8601; the formula guard is the bulk export's (one list of dangerous starts)."""
    return csv_cell(value.isoformat(timespec="seconds") if hasattr(value, "isoformat") else value)


def export_csv(session: Session, actor: str, header: list[str]) -> bytes:
    """All subscribers as CSV, UTF-8 with a BOM so that Korean Excel opens it (KOREAN.md §3.4)."""
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    fields = ("email", "organization", "locale", "topics", "state", "created_at", "confirmed_at", "unsubscribed_at")
    for subscriber in session.scalars(sa.select(Subscriber).order_by(Subscriber.id)):
        writer.writerow([_cell(getattr(subscriber, name)) for name in fields])
    audit.record(session, actor, "subscribers.exported", "subscriber", None)
    session.commit()
    return out.getvalue().encode("utf-8-sig")


def remove(session: Session, actor: str, subscriber: Subscriber) -> None:
    """Delete the subscriber, and mail still waiting for the address (it no longer wants any)."""
    session.execute(sa.delete(OutboxEmail).where(
        OutboxEmail.recipient == subscriber.email, OutboxEmail.state == "pending",
        sa.or_(OutboxEmail.kind == "update", OutboxEmail.kind.startswith("subscription.")),
    ))
    audit.record(session, actor, "subscriber.removed", "subscriber", str(subscriber.id))
    session.delete(subscriber)
    session.commit()
