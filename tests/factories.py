"""factory_boy factories for staff accounts, submissions, updates and subscribers, with Traits
for the common states.

They create through the services' own functions: accounts.create_user, intake's create_report
and create_contact_request (files through attachments.prepare, as the forms hand them over),
reports.add_followup, triage.actions.send_message and add_note, retention.set_hold, and
outreach's updates.save and publish (subscribers are plain rows: see SubscriberFactory). They never
write a column that holds what a person wrote: how narratives, messages and files are stored
is the services' business and will change, and a factory that wrote the columns would go on
making data the app can no longer read. Workflow state (status, priority, assignee, dates,
assessment, duplicate link) is set last, with one plain UPDATE that bumps neither the item's
version nor its updated_at, so a test can place an item anywhere in the workflow and in time.

A factory works inside an app context (the object stays in the test's session) and outside
one (it opens its own; the object comes back detached, with its columns, files, messages and
notes loaded). A new submission carries its receipt code, shown once and never stored, as
`receipt_code`.
"""
from __future__ import annotations

import secrets
from datetime import timedelta

import factory
import sqlalchemy as sa
from flask import Flask, current_app, has_app_context
from sqlalchemy.orm import Session

from app.extensions import db
from app.facets import FACET_NAMES
from app.models import Submission, Subscriber, Update, User
from app.models.base import utcnow
from app.sealed import vault
from app.sealed.keys import Keyring
from app.services import accounts
from app.services.files.attachments import prepare
from app.services.intake.contact_details import ContactDetails
from app.services.intake.contact_requests import ContactRequest, create_contact_request
from app.services.intake.reports import ReportData, add_followup, create_report
from app.services.ops.retention import set_hold
from app.services.outreach import subscriptions, updates
from app.services.triage import actions

PASSWORD = "correct horse battery staple"
HANDLE = "@secret-handle"

# Columns a factory may set directly: where the item stands in the workflow and in time.
WORKFLOW = ("status", "priority", "violation_status", "reliability", "created_at", "updated_at",
            "last_submitter_activity_at", "staff_viewed_at")
CONTACT_FIELDS = {"contact_alias": "alias", "contact_channel": "channel", "contact_handle": "handle",
                  "contact_safe_times": "safe_times", "contact_organization": "organization",
                  "notice_email": "notice_email"}

UNSET = object()  # "not given", where None means "nobody"

_app: Flask | None = None
_keyring = Keyring()


def use_app(app: Flask) -> None:
    """The app whose context a factory opens when the test has none (conftest's `app`)."""
    global _app
    _app = app


def use_keys(keyring: Keyring) -> None:
    """The organization's keys of the running test (conftest's `org_keys`): accounts are
    granted them, and staff-written messages, notes and holds are sealed with them."""
    global _keyring
    _keyring = keyring


def _id(row) -> int | None:
    """The id of an object (attached or not) or an id; None stays None."""
    return row if row is None or isinstance(row, int) else row.id


class AppFactory(factory.Factory):
    """Creates in the app context the test has pushed, else in one of its own (see use_app)."""

    class Meta:
        abstract = True

    @classmethod
    def _create(cls, model_class, **kwargs):
        if has_app_context():  # committed: nothing left open that would hold SQLite's write lock
            return cls._create_in(db.session, **kwargs)
        with _app.app_context():
            made = cls._create_in(db.session, **kwargs)
            cls._load(db.session, made)
            return made

    @classmethod
    def _create_in(cls, session: Session, **kwargs):
        """Make the object through the services and commit."""
        raise NotImplementedError

    @classmethod
    def _load(cls, session: Session, made) -> None:
        """Load what a test may read from the object once its session is gone."""
        session.refresh(made)


class UserFactory(AppFactory):
    """An officer who reads Korean, with the password tests log in with (not enrolled in TOTP:
    the first login through the forms enrolls, as it does for a new colleague)."""

    class Meta:
        model = User

    class Params:
        admin = factory.Trait(role="admin", contact_access=True)  # as the first admin, who holds every key
        contact = factory.Trait(contact_access=True)
        english = factory.Trait(languages=("en",), locale="en")
        bilingual = factory.Trait(languages=("ko", "en"))
        no_keys = factory.Trait(granted=False)

    email = factory.Sequence(lambda n: f"officer{n}@example.org")
    name = factory.LazyAttribute(lambda user: user.email.split("@")[0])
    role = "officer"
    languages = ("ko",)
    locale = None  # the first language
    contact_access = False
    granted = True  # the organization's keys are wrapped for the account, as an admin would

    @classmethod
    def _create_in(cls, session, email, name, role, languages, locale, contact_access, granted):
        user = accounts.create_user(session, email, PASSWORD, role=role, name=name, languages=list(languages),
                                    keyring=_keyring if granted else None, contact_access=contact_access)
        if locale:
            user.locale = locale
        session.commit()
        return user


class SubmissionFactory(AppFactory):
    """A Korean report of torture in a holding centre, every facet answered, no contact
    details, no files. Keyword arguments: any facet of app/facets.py, `categories` (codes),
    `files` [(name, bytes or memoryview)], the contact fields of the report form
    (`contact_handle`, `notice_email`, …), `followups` (the submitter's texts),
    `staff_messages`, `notes` and `hold_reason` (an evidence hold; these three by the first
    staff account, made if there is none), `assignee` and `duplicate_of` (objects or ids),
    and the workflow columns (WORKFLOW). Given `created_at` alone, the item was also last
    changed and last touched by its submitter then, as a new submission is."""

    class Meta:
        model = Submission

    class Params:
        contact_request = factory.Trait(
            kind="contact", narrative="탈북 과정에서 겪은 일을 직접 말씀드리고 싶습니다.", contact_topic="evidence",
            contact_language=factory.SelfAttribute("locale"), contact_alias="영희", contact_channel="signal",
            contact_handle="@younghee", contact_organization="탈북민 단체",
        )
        with_contact_details = factory.Trait(contact_alias="철수", contact_channel="signal", contact_handle=HANDLE)
        with_thread = factory.Trait(staff_messages=("날짜를 기억하시나요?",), followups=("2019년 3월이었습니다.",))
        with_notes = factory.Trait(notes=("교차 확인 필요",))
        on_hold = factory.Trait(hold_reason="재판 증거")
        in_review = factory.Trait(status="in_review")
        closed = factory.Trait(status="closed")
        rejected = factory.Trait(status="rejected")
        duplicate = factory.Trait(status="duplicate",
                                  duplicate_of=factory.SubFactory("tests.factories.SubmissionFactory"))

    kind = "report"
    locale = "ko"
    narrative = "보위부 구류장에서 조사를 받으며 고문을 당했습니다."
    categories = ("V02.1",)
    when_precision = "year"
    when_year = 2019
    province = "KP-09"
    place = "온성군"
    facility_type = "guryujang"
    victim_count = "1"
    victim_relation = "self"
    perpetrator_type = "state_security"
    source_connection = "victim"
    files = ()
    keep_image_metadata = False
    followups = ()
    staff_messages = ()
    notes = ()
    form_token = factory.LazyFunction(lambda: secrets.token_urlsafe(24))

    @classmethod
    def _create_in(cls, session, kind, locale, narrative, categories, files, keep_image_metadata, followups,
                   staff_messages, notes, form_token, hold_reason=None, assignee=UNSET,
                   duplicate_of=None, contact_topic=None, contact_language=None, **kwargs):
        contact = ContactDetails(**{field: kwargs.pop(name)
                                    for name, field in CONTACT_FIELDS.items() if name in kwargs})
        facets = {name: kwargs.pop(name) for name in FACET_NAMES if name in kwargs}
        workflow = {name: kwargs.pop(name) for name in WORKFLOW if name in kwargs}
        assert not kwargs, f"SubmissionFactory does not know {sorted(kwargs)}"
        upload_dir = current_app.config["UPLOAD_DIR"]
        if kind == "contact":
            request = ContactRequest(contact_topic, contact_language, narrative, locale, contact)
            item, code = create_contact_request(session, request, form_token)
        else:
            max_bytes = current_app.config["MAX_UPLOAD_MB"] * 1024 * 1024
            prepared = [prepare(name, bytes(data), max_bytes, keep_image_metadata) for name, data in files]
            data = ReportData(narrative, locale, list(categories), facets, keep_image_metadata=keep_image_metadata,
                              contact=contact)
            item, code = create_report(session, data, prepared, upload_dir, form_token)
        actor = _staff_writer(session) if staff_messages or notes or hold_reason else None
        key = vault.staff_key(_keyring, item)
        for body in staff_messages:
            actions.send_message(session, actor, item, body, key)
        for body in notes:
            actions.add_note(session, actor, item, body, _keyring)
        for text in followups:
            add_followup(session, item, text, [], upload_dir, key)
        if hold_reason:
            set_hold(session, actor, item, True, hold_reason, _keyring)
        session.commit()
        _set_workflow(session, item, workflow, assignee, duplicate_of)
        item.receipt_code = code
        return item

    @classmethod
    def _load(cls, session, item):
        session.refresh(item)
        for related in (item.categories, item.attachments, item.messages, item.notes):
            list(related)
        vault.open_thread(item, vault.open_for_staff(_keyring, item), _keyring)  # readable once detached


def _staff_writer(session: Session) -> User:
    """Who writes an item's messages and notes: the first staff account, else a new one."""
    return session.scalar(sa.select(User).order_by(User.id).limit(1)) or UserFactory(email="colleague@example.org")


def _set_workflow(session: Session, item: Submission, values: dict, assignee, duplicate_of) -> None:
    if "created_at" in values:
        values.setdefault("updated_at", values["created_at"])
        values.setdefault("last_submitter_activity_at", values["created_at"])
    if assignee is not UNSET:
        values["assignee_id"] = _id(assignee)
    if duplicate_of is not None:
        values["duplicate_of_id"] = _id(duplicate_of)
    if not values:
        return
    values.setdefault("updated_at", Submission.updated_at)  # a placed item, not a changed one
    session.execute(sa.update(Submission).where(Submission.id == item.id).values(**values)
                    .execution_options(synchronize_session=False))
    session.commit()


class UpdateFactory(AppFactory):
    """A news update in Korean and English, published (and mailed to matching subscribers)
    `days_ago` days ago. Its Korean body has Markdown and a script the page must not run."""

    class Meta:
        model = Update

    class Params:
        draft = factory.Trait(published=False)
        korean_only = factory.Trait(english=False)
        english_only = factory.Trait(korean=False)

    slug = factory.Sequence(lambda n: f"update-{n}")
    topics = ("reports",)
    korean = True
    english = True
    published = True
    days_ago = 0

    @classmethod
    def _create_in(cls, session, slug, topics, korean, english, published, days_ago):
        texts = {}
        if korean:
            texts |= {"title_ko": f"소식 {slug}", "summary_ko": "요약입니다.",
                      "body_ko": "**구금 시설** 보고서를 냈습니다.\n\n<script>alert(1)</script>"}
        if english:
            texts |= {"title_en": f"News {slug}", "summary_en": "A summary.",
                      "body_en": "We published a **report** on detention."}
        update = updates.save(session, "admin", updates.UpdateData(slug=slug, topics=list(topics), **texts))
        if published:
            updates.publish(session, "admin", update, subscriptions.Links.from_config(current_app.config))
            update.published_at = utcnow() - timedelta(days=days_ago)
            session.commit()
        return update


class SubscriberFactory(AppFactory):
    """A confirmed subscriber to reports, in Korean. A plain row: subscribing through the
    service queues a confirmation mail, which a test that needs a subscriber does not want."""

    class Meta:
        model = Subscriber

    class Params:
        pending = factory.Trait(state="pending")

    email = factory.Sequence(lambda n: f"subscriber{n}@example.org")
    organization = ""
    locale = "ko"
    topics = "reports"
    state = "confirmed"
    token_key = factory.LazyFunction(lambda: secrets.token_hex(16))

    @classmethod
    def _create_in(cls, session, **values):
        subscriber = Subscriber(**values)
        session.add(subscriber)
        session.commit()
        return subscriber
