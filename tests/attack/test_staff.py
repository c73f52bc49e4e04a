"""The staff pages under attack: login and two-step forms, every action of the item page
(status and reason, assessment, assignment, categories, notes, messages, reveal, evidence
hold, export), the queue's filters and search (its query string), bulk actions, the export
selection and the account page. Logged in once per test: a login costs a key derivation.
"""
from __future__ import annotations

import sqlalchemy as sa

from app.extensions import db
from app.models import Note, Submission
from app.sealed import vault
from tests.attack import checks, strings
from tests.attack.checks import post_hostile as _post
from tests.attack.surface import QUERY_PARAMETERS, fields, hostile_everywhere, surfaces_for
from tests.factories import PASSWORD, SubmissionFactory, UserFactory
from tests.helpers import post_form

ITEM_ACTIONS = [surface for surface in surfaces_for("staff.submission_action")]




def test_login_and_two_step_forms_hostile(app, client, auth):
    for payload in strings.sample(2, salt="login"):
        for endpoint, url in (("staff.login", "/staff/login"),):
            _post(client, url, hostile_everywhere(app, surfaces_for(endpoint)[0], payload.text), payload)
        response = client.get("/staff/login", query_string={"next": payload.text[:4000]})
        assert response.status_code < 500
        checks.assert_escaped(response.get_data(as_text=True), [payload], "the login page's ?next", shown=False)
    UserFactory(email="second-step@example.org")
    second = app.test_client()
    assert post_form(second, "/staff/login", {"email": "second-step@example.org",
                                              "password": PASSWORD}).status_code == 302
    for payload in strings.sample(3, salt="two-step"):  # a wrong code of any shape: refused, escaped
        _post(second, "/staff/2fa", hostile_everywhere(app, surfaces_for("staff.two_factor")[0], payload.text),
              payload)
    user = auth.login()
    for payload in strings.sample(3, salt="account"):
        for surface in surfaces_for("staff.account"):
            _post(client, "/staff/account", hostile_everywhere(app, surface, payload.text), payload)
        _post(client, "/staff/language", {"lang": payload.text, "next": payload.text}, payload, page_url="/staff/")
    assert user.email


def test_item_actions_hostile_are_stored_as_sent_and_escaped(app, client, auth, org_keys):
    item = SubmissionFactory(with_thread=True)
    SubmissionFactory()  # a second item, for the duplicate link
    auth.login(contact_access=True)
    page = f"/staff/submissions/{item.public_id}"
    payloads = strings.sample(3, salt="item-actions")
    for payload in payloads:
        for surface in ITEM_ACTIONS:  # every field of every action hostile: refused or done, never a 5xx
            _post(client, f"{page}/{surface.prefix}", hostile_everywhere(app, surface, payload.text), payload,
                  page_url=page)
        _post(client, f"{page}/hold", hostile_everywhere(app, surfaces_for("staff.evidence_hold")[0], payload.text),
              payload, page_url=page)
        _post(client, f"{page}/export", hostile_everywhere(app, surfaces_for("staff.export_item")[0], payload.text),
              payload, page_url=page)

    stored = []
    for payload in [p for p in payloads if len(checks.stored_form(p.text)) <= 1000]:
        for action, data in (("note", {"note-body": payload.text}),
                             ("status", {"status-status": "in_review", "status-reason": payload.text})):
            if action == "status":
                version, status = _version(app, item.id)
                data = {**data, "status-version": str(version), "status-status": _next_status(status)}
            response = post_form(client, f"{page}/{action}", data, page_url=page)
            assert response.status_code == 302, checks.where(payload, f"the {action} action")
        response = post_form(client, f"{page}/hold", {"hold-reason": payload.text, "hold-hold": "y"}, page_url=page)
        assert response.status_code == 302, checks.where(payload, "the evidence hold")
        with app.app_context():
            row = db.session.get(Submission, item.id)
            vault.open_for_staff(org_keys.keyring, row)
            notes = db.session.scalars(sa.select(Note).where(Note.submission_id == item.id).order_by(Note.id)).all()
            assert vault.open_note(notes[-1], org_keys.keyring).body == checks.stored_form(payload.text), \
                checks.where(payload, "the stored note")
            assert row.status_reason == checks.stored_form(payload.text), checks.where(payload, "the status reason")
            assert row.evidence_hold_reason == checks.stored_form(payload.text), checks.where(payload, "the hold")
        checks.assert_escaped(client.get(page).get_data(as_text=True), [payload], "the item page")
        stored.append(payload)
        post_form(client, f"{page}/hold", {"hold-release": "y"}, page_url=page)
    checks.assert_escaped(client.get(page).get_data(as_text=True), stored, "the item page (every note)")


def _version(app, item_id: int) -> tuple[int, str]:
    with app.app_context():
        row = db.session.get(Submission, item_id)
        return row.version, row.status


def _next_status(status: str) -> str:
    """A change the workflow allows from `status`, so each payload's reason is really stored."""
    return "needs_info" if status == "in_review" else "in_review"


def test_queue_filters_search_and_exports_hostile(app, client, auth):
    SubmissionFactory()
    auth.login()
    filter_names = [info.name for info in fields(app, surfaces_for("staff.queue")[0])]
    assert set(filter_names) <= set(QUERY_PARAMETERS["staff.queue"])
    for payload in strings.sample(3, salt="queue"):
        value = payload.text[:8000]  # a URL, not a 1 MB body
        for endpoint, names in QUERY_PARAMETERS.items():
            path = {"staff.queue": "/staff/", "staff.dashboard": "/staff/dashboard",
                    "staff.export_queue": "/staff/export/queue.csv", "staff.login": "/staff/login"}.get(endpoint)
            if path is None:  # other pages' query strings: test_records_and_groups.py and test_routes.py
                continue
            response = client.get(path, query_string={name: value for name in names})
            assert response.status_code < 500, checks.where(payload, f"GET {path}")
            body = response.get_data()
            if response.mimetype == "text/html":
                checks.assert_escaped(body.decode(), [payload], f"GET {path} with hostile filters", shown=False)
            elif response.mimetype == "text/csv":
                checks.assert_csv_defused(body, [payload], "the queue CSV with hostile filters")
        searched = client.get("/staff/", query_string={"q": value})
        checks.assert_escaped(searched.get_data(as_text=True), [payload], "the queue's search box",
                              shown=len(checks.stored_form(value)) <= 200 and bool(checks.stored_form(value)))
        json_export = client.get("/staff/export/queue.json", query_string={"q": value, "status": value})
        assert json_export.status_code < 500
        if json_export.status_code == 200:
            checks.assert_json_values(json_export.get_data(), "the queue JSON with hostile filters")


def test_bulk_actions_and_export_selection_hostile(app, client, auth, org_keys):
    items = [SubmissionFactory(), SubmissionFactory()]
    auth.login()
    bulk = surfaces_for("staff.queue_bulk")[0]
    for payload in strings.sample(4, salt="bulk"):
        _post(client, "/staff/bulk", hostile_everywhere(app, bulk, payload.text), payload, page_url="/staff/")
        response = _post(client, "/staff/export", {"ids": payload.text, "include_contact": payload.text}, payload)
        assert response.status_code in (200, 403, 422), checks.where(payload, "the export selection")
        if len(checks.stored_form(payload.text)) > 1000:
            continue
        versions = [_version(app, item.id) for item in items]
        ticked = [f"{item.public_id}:{version}" for item, (version, _status) in zip(items, versions, strict=True)]
        response = post_form(client, "/staff/bulk", {"bulk-items": ticked, "bulk-status": _next_status(versions[0][1]),
                                                     "bulk-reason": payload.text, "bulk-change_status": "y",
                                                     "bulk-next": payload.text}, page_url="/staff/")
        assert response.status_code == 302 and response.headers["Location"].endswith("/staff/"), \
            checks.where(payload, "the bulk status change (and its hostile return address)")
        with app.app_context():
            for item in items:
                row = db.session.get(Submission, item.id)
                vault.open_for_staff(org_keys.keyring, row)
                assert row.status_reason == checks.stored_form(payload.text), checks.where(payload, "bulk reason")
        checks.assert_escaped(client.get("/staff/").get_data(as_text=True), [payload], "the queue after bulk",
                              shown=False)
