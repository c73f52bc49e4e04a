"""The admin forms under attack: updates (shown on public pages, in the Atom feed and mailed
to subscribers), staff accounts (whose name greets them in e-mail), retention settings,
subscribers (their list, search and CSV). As elsewhere: no 5xx with every field hostile, the
value stored as sent, escaped wherever it comes back, e-mail headers whole.
"""
from __future__ import annotations

import re

import sqlalchemy as sa

from app.extensions import db
from app.models import Update, User
from tests.attack import checks, strings
from tests.attack.surface import fitting, hostile_everywhere, surfaces_for
from tests.factories import SubmissionFactory, SubscriberFactory
from tests.helpers import post_form
from tests.smtp import deliver, html_part, text_part

UPDATE = surfaces_for("admin.update_new")[0]


def _everywhere(app, client, endpoint: str, url: str, payload, page_url: str | None = None, verbatim=True):
    surface = surfaces_for(endpoint)[0]
    response = post_form(client, url, hostile_everywhere(app, surface, payload.text), page_url=page_url)
    assert response.status_code < 500, checks.where(payload, f"POST {url}")
    if response.mimetype == "text/html":
        checks.assert_escaped(response.get_data(as_text=True), [payload], f"the answer to POST {url}", shown=False,
                              verbatim=verbatim)
    return response


def test_hostile_updates_are_stored_as_sent_and_escaped_on_pages_feed_and_mail(app, client, auth, runner,
                                                                              smtp_server):
    auth.login(role="admin")
    SubscriberFactory(email="ko@example.org", topics="reports")
    SubscriberFactory(email="en@example.org", topics="reports", locale="en")
    for number, payload in enumerate(strings.sample(5, salt="update")):
        _update_everywhere(app, client, runner, smtp_server, payload, f"attack-{number}")


def _update_everywhere(app, client, runner, smtp_server, payload, slug: str) -> None:
    _everywhere(app, client, "admin.update_new", "/admin/updates/new", payload, verbatim=False)
    data = fitting(app, UPDATE, payload.text)
    data.pop("slug", None)
    for name in ("title_ko", "title_en", "body_ko", "body_en"):
        data.setdefault(name, payload.marker)
    response = post_form(client, "/admin/updates/new", {**data, "slug": slug, "topics": ["reports"]})
    assert response.status_code == 302, checks.where(payload, "saving the update")
    edit_path = response.headers["Location"]
    with app.app_context():
        update = db.session.scalar(sa.select(Update).where(Update.slug == slug))
        for name, value in data.items():
            assert getattr(update, name) == checks.stored_form(value), checks.where(payload, f"the stored {name}")
    preview = client.get(edit_path).get_data(as_text=True)
    # Update bodies are Markdown rendered then sanitized: allowed markup (<b>) may stay, so the
    # page is checked for injected markup, not for the value's absence.
    checks.assert_escaped(preview, [payload], "the admin's update preview", verbatim=False)
    _everywhere(app, client, "admin.update_edit", edit_path, payload, verbatim=False)
    assert post_form(client, f"{edit_path}/publish", {}, page_url=edit_path).status_code == 302

    for lang in ("ko", "en"):
        for path in (f"/{lang}/updates", f"/{lang}/updates/{slug}"):
            page = client.get(path)
            assert page.status_code == 200, checks.where(payload, path)
            checks.assert_escaped(page.get_data(as_text=True), [payload], f"the public page {path}", verbatim=False)
        feed = client.get(f"/{lang}/updates.atom")
        assert feed.status_code == 200
        root = checks.assert_feed(feed.get_data(), [payload], f"the Atom feed /{lang}/updates.atom")
        titles = [element.text for element in root.iter() if element.tag.endswith("}title")]
        assert checks.xml_text(checks.stored_form(data[f"title_{lang}"])) in titles, \
            checks.where(payload, "the feed's entry title")

    already = len(smtp_server.received)
    output = deliver(runner)
    assert "sent 2" in output, checks.where(payload, f"the update e-mails: {output}")
    for received in smtp_server.received[already:]:
        message = received.message
        checks.assert_headers_whole(message, [payload], "the update e-mail")
        assert received.rcpt_tos in (["ko@example.org"], ["en@example.org"])
        lang = "ko" if received.rcpt_tos == ["ko@example.org"] else "en"
        title = checks.stored_form(data[f"title_{lang}"])
        assert message["Subject"] == "[목소리] " + " ".join(title.split()) if lang == "ko" else True
        checks.assert_escaped(html_part(message), [payload], "the update e-mail's HTML part", verbatim=False)
        assert payload.marker in text_part(message)


def test_hostile_staff_account_names_are_escaped_in_pages_and_mail(app, client, auth, runner, smtp_server):
    auth.login(role="admin")
    payloads = strings.sample(4, strings.SHORT, salt="accounts")
    for number, payload in enumerate(payloads):
        _everywhere(app, client, "admin.user_new", "/admin/users/new", payload)
        name = payload.text if len(checks.stored_form(payload.text)) <= 100 else payload.marker
        email = f"new{number}@example.org"
        response = post_form(client, "/admin/users/new", {"email": email, "name": name, "role": "officer",
                                                           "languages": ["ko"]})
        assert response.status_code == 200, checks.where(payload, "creating the account")
        checks.assert_escaped(response.get_data(as_text=True), [payload], "the new account's page", shown=False)
        with app.app_context():
            user = db.session.scalar(sa.select(User).where(User.email == email))
            assert user.name == checks.stored_form(name), checks.where(payload, "the stored name")
    for path in ("/admin/users", "/staff/"):  # the list of accounts, the queue's assignee choices
        checks.assert_escaped(client.get(path).get_data(as_text=True), payloads, f"the page {path}")
    SubmissionFactory()  # a new item: every officer who reads Korean gets a notice, greeted by name
    deliver(runner)
    for number, payload in enumerate(payloads):
        greeted = [item.message for item in smtp_server.received if item.rcpt_tos == [f"new{number}@example.org"]]
        assert greeted, checks.where(payload, "the staff notice")
        for message in greeted:
            checks.assert_headers_whole(message, [payload], "the staff notice")
            checks.assert_escaped(html_part(message), [payload], "the staff notice's HTML part")


def test_settings_subscribers_and_audit_filters_hostile(app, client, auth):
    auth.login(role="admin")
    for number, payload in enumerate(strings.sample(3, salt="admin-misc")):
        _admin_misc(app, client, payload, f"ngo{number}@example.org")


def _admin_misc(app, client, payload, email: str) -> None:
    _everywhere(app, client, "admin.settings", "/admin/settings", payload)
    _everywhere(app, client, "admin.keys_page", "/admin/keys", payload)
    organization = payload.text if len(checks.stored_form(payload.text)) <= 200 else payload.marker
    SubscriberFactory(email=email, organization=checks.stored_form(organization))
    listing = client.get("/admin/subscribers")
    checks.assert_escaped(listing.get_data(as_text=True), [payload], "the subscriber list")
    csv_response = client.get("/admin/subscribers.csv")
    rows = checks.assert_csv_defused(csv_response.get_data(), [payload], "the subscriber CSV")
    assert checks.stored_form(organization) in [checks.undefused(cell) for row in rows for cell in row], \
        checks.where(payload, "the subscriber CSV's organization")
    for path, names in (("/admin/subscribers", ("state", "q", "page")),
                        ("/admin/audit", ("action", "actor", "target", "since", "until", "before", "verify"))):
        response = client.get(path, query_string={name: payload.text[:4000] for name in names})
        assert response.status_code < 500, checks.where(payload, path)
        checks.assert_escaped(response.get_data(as_text=True), [payload], path, shown=False)
    subscriber_id = re.search(r"/admin/subscribers/(\d+)/remove", listing.get_data(as_text=True)).group(1)
    _everywhere(app, client, "admin.subscriber_remove", f"/admin/subscribers/{subscriber_id}/remove", payload)
