"""The other public forms under attack: contact request, receipt code and follow-up (with
hostile file names), subscription (and the pages its e-mailed links open). Each: no 5xx with
every field hostile; a hostile value in a free-text field stored as sent and escaped where
staff and the submitter see it again; e-mails with whole headers and escaped HTML.
"""
from __future__ import annotations

import re
import unicodedata

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Attachment, Submission, Subscriber
from app.sealed import vault
from app.services.files.attachments import clean_filename
from app.services.intake.contact_details import open_contact
from app.services.outreach.subscriptions import email_problem
from tests.attack import checks, strings
from tests.attack.surface import fitting, hostile_everywhere, surfaces_for
from tests.helpers import image_bytes, opened, post_form, receipt_code, submit_report
from tests.smtp import deliver, html_part, links_in, text_part


def _everywhere(app, client, endpoint: str, url: str, payload, page_url: str | None = None, keep=()):
    """POST the surface's form with every field hostile; returns the response."""
    surface = surfaces_for(endpoint)[0]
    data = {name: value for name, value in hostile_everywhere(app, surface, payload.text).items() if name not in keep}
    response = post_form(client, url, data, page_url=page_url)
    assert response.status_code < 500, checks.where(payload, f"POST {url}")
    if response.mimetype == "text/html":
        checks.assert_escaped(response.get_data(as_text=True), [payload], f"the answer to POST {url}", shown=False)
    return response


@pytest.mark.parametrize("payload", strings.sample(5, salt="contact"), ids=str)
def test_contact_request_hostile(app, client, auth, org_keys, payload):
    _everywhere(app, client, "public.contact", "/ko/contact", payload, keep={"form_token"})
    surface = surfaces_for("public.contact")[0]
    data = fitting(app, surface, payload.text)
    data.update(topic="evidence", channel="signal", language="ko")
    data.setdefault("alias", payload.marker)
    data.setdefault("handle", payload.marker)
    response = post_form(client, "/ko/contact", data)
    assert response.status_code == 200, checks.where(payload, "POST /ko/contact (valid)")
    with app.app_context():
        item = db.session.scalar(sa.select(Submission))
        opened(item, org_keys.keyring)
        contact = open_contact(org_keys.keyring, item)
        stored = {"message": item.narrative, **{name: getattr(contact, name) for name in
                                                 ("organization", "alias", "handle", "safe_times")}}
        public_id = item.public_id
    for name, sent in data.items():
        if name in stored:
            assert (stored[name] or "") == checks.stored_form(sent), checks.where(payload, f"the stored {name}")
    auth.login(contact_access=True)
    page = post_form(client, f"/staff/submissions/{public_id}/reveal", {}, page_url=f"/staff/submissions/{public_id}")
    checks.assert_escaped(page.get_data(as_text=True), [payload], "the contact request's staff page")


def _file_names(payload) -> list[tuple[str, bytes]]:
    """Hostile names on real pictures: the name is sealed and shown back, never trusted."""
    return [(f"{payload.text[:200]}.png", image_bytes("PNG")),
            (f"{payload.marker}\r\nContent-Type: text/html\r\n\r\n<img src=x onerror=alert(1)>.png",
             image_bytes("PNG")),
            (f"../../{payload.marker}\x00.png", image_bytes("PNG"))]


def test_receipt_follow_up_and_thread_hostile(app, client, auth, org_keys, runner, smtp_server):
    payloads = strings.sample(4, strings.SHORT, salt="receipt")
    code = receipt_code(submit_report(client, notice_email="me@example.org").get_data(as_text=True))
    for payload in payloads:  # the code field: one generic refusal, escaped
        _everywhere(app, client, "public.receipt", "/ko/receipt", payload)
    assert post_form(client, "/ko/receipt", {"code": code}).status_code == 302
    for payload in payloads:
        _everywhere(app, client, "public.receipt_status", "/ko/receipt/status", payload)
        response = post_form(client, "/ko/receipt/status", {"body": payload.text}, files=_file_names(payload))
        assert response.status_code == 302, checks.where(payload, "the follow-up")
    page = client.get("/ko/receipt/status").get_data(as_text=True)
    checks.assert_escaped(page, payloads, "the submitter's receipt page")

    with app.app_context():
        item = db.session.scalar(sa.select(Submission))
        opened(item, org_keys.keyring)
        bodies = [message.body for message in item.messages if message.author == "submitter"]
        names = [attachment.name for attachment in item.attachments]
        public_id = item.public_id
        attachment_ids = [attachment.id for attachment in item.attachments]
    # each payload twice: once with every field hostile (the body is free text), once with files
    assert bodies == [checks.stored_form(payload.text) for payload in payloads for _twice in (1, 2)]
    # File names: the normalization of clean_filename() (NFC, last path part, no control or
    # format characters), whatever the multipart header carried.
    assert all(name and "/" not in name and "\\" not in name
               and not any(unicodedata.category(ch)[0] == "C" for ch in name) for name in names), names
    for payload in payloads:
        first = _file_names(payload)[0][0]
        if not set('\r\n"') & set(first):  # those the multipart header itself cannot carry as typed
            assert clean_filename(first) in names, checks.where(payload, f"the stored file names {names}")
    officer = auth.login()
    staff_page = client.get(f"/staff/submissions/{public_id}").get_data(as_text=True)
    checks.assert_escaped(staff_page, payloads, "the staff item page (follow-ups and file names)")
    for attachment_id in attachment_ids:
        download = client.get(f"/staff/submissions/{public_id}/files/{attachment_id}")
        assert download.status_code == 200, attachment_id
        assert download.get_data().startswith(b"\x89PNG")
        download.close()  # the streamed body holds the request's context until closed
        disposition = download.headers["Content-Disposition"]
        assert "\r" not in disposition and "\n" not in disposition and download.mimetype == "application/octet-stream"
        assert "Content-Type" not in [name for name, _value in download.headers if name != "Content-Type"]

    for payload in payloads:  # staff replies: shown to the submitter, escaped
        response = post_form(client, f"/staff/submissions/{public_id}/message", {"message-body": payload.text},
                             page_url=f"/staff/submissions/{public_id}")
        assert response.status_code == 302, checks.where(payload, "the staff message")
    with app.app_context():
        item = db.session.get(Submission, item.id)
        key = vault.open_for_staff(org_keys.keyring, item)
        vault.open_thread(item, key, org_keys.keyring)
        sent = [m.body for m in item.messages if m.author == "staff"]
    assert sent == [checks.stored_form(payload.text) for payload in payloads]
    submitter = app.test_client()
    assert post_form(submitter, "/ko/receipt", {"code": code}).status_code == 302
    checks.assert_escaped(submitter.get("/ko/receipt/status").get_data(as_text=True), payloads,
                          "the submitter's page with staff replies")

    deliver(runner)  # the content-free notice: whatever the reply said, the mail is whole
    notices = [item.message for item in smtp_server.received if item.rcpt_tos == ["me@example.org"]]
    assert notices
    for message in notices:
        checks.assert_headers_whole(message, payloads, "the submitter's notice e-mail")
        assert not any(payload.marker in text_part(message) + html_part(message) for payload in payloads)
    assert officer.email


@pytest.mark.parametrize("payload", strings.sample(4, salt="subscribe"), ids=str)
def test_subscription_hostile(app, client, runner, smtp_server, payload):
    _everywhere(app, client, "public.subscribe", "/ko/subscribe", payload)
    # An address with the payload in it is refused next to the field, escaped (unless the
    # normalization left a valid address: NUL bytes and controls removed).
    address = f"{payload.text}@example.org"
    with app.test_request_context():
        valid = email_problem(checks.stored_form(address)) is None
    response = post_form(client, "/ko/subscribe", {"email": address, "language": "ko",
                                                    "topics": ["reports"], "consent": "y"})
    assert response.status_code == (302 if valid else 422), checks.where(payload, "a hostile e-mail address")
    checks.assert_escaped(response.get_data(as_text=True), [payload], "the subscribe form", shown=False)
    organization = payload.text if len(checks.stored_form(payload.text)) <= 200 else payload.marker
    response = post_form(client, "/ko/subscribe", {"email": "ngo@example.org", "organization": organization,
                                                    "language": "ko", "topics": ["reports"], "consent": "y"})
    assert response.status_code == 302, checks.where(payload, "a valid subscription")
    with app.app_context():
        assert db.session.scalar(sa.select(Subscriber.organization).where(Subscriber.email == "ngo@example.org")) \
            == checks.stored_form(organization), checks.where(payload, "the stored organization")
    deliver(runner)
    message = smtp_server.received[-1].message
    checks.assert_headers_whole(message, [payload], "the confirmation e-mail")
    links = links_in(text_part(message))
    for page, path in links.items():  # the e-mailed link with hostile tails and tokens
        for tail in (path + payload.marker, path.rsplit("/", 1)[0] + "/" + payload.text[:300]):
            answer = client.get(tail)
            assert answer.status_code < 500, checks.where(payload, f"the {page} link")
            checks.assert_escaped(answer.get_data(as_text=True), [], f"the {page} page", shown=False)
    confirm = post_form(client, links["confirm"], {})
    assert confirm.status_code == 200
    preferences = re.search(r'href="(/ko/subscribe/preferences/[^"]+)"', confirm.get_data(as_text=True)).group(1)
    _everywhere(app, client, "public.subscribe_preferences", preferences, payload)


def test_attachment_names_are_sealed_not_cleaned_of_hangul(app, client, org_keys):
    """The file-name normalization is NFC and the control characters of clean_text, not
    secure_filename: Hangul and punctuation stay, as DESIGN.md §8 promises."""
    submit_report(client, files=[("2019년 회령 <증언> 'a'.png", image_bytes("PNG"))])
    with app.app_context():
        item = db.session.scalar(sa.select(Submission))
        opened(item, org_keys.keyring)
        assert [a.name for a in db.session.scalars(sa.select(Attachment))] == ["2019년 회령 <증언> 'a'.png"]
