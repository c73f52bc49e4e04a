"""Every staff and admin route requested as anonymous, officer and admin.

The matrix is built from the URL map, so a new route is covered the day it is added: it must
be either in the staff gate's allow-list or refuse anonymous users, and /admin must refuse
officers.
"""
from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import RecordLink, Submission
from app.services.records import links, records
from app.services.records.records import RecordInput
from tests.factories import SubmissionFactory, UserFactory
from tests.helpers import post_form

PUBLIC_STAFF = {"/staff/login", "/staff/2fa"}


def staff_routes(app, public_id: str, attachment_id: int):
    values = {"public_id": public_id, "attachment_id": attachment_id, "user_id": 1, "action": "note",
              "slug": "missing", "subscriber_id": 1, "update_id": 1}
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(("/staff", "/admin")):
            continue
        path = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", lambda m: str(values.get(m.group(1), 1)), rule.rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule.rule, path, method


@pytest.fixture
def seeded():
    item = SubmissionFactory(files=[("메모.txt", "메모".encode())])
    return item.public_id, item.attachments[0].id


def request(client, method, path):
    # CSRF is on: a POST without a token must be refused before any change either way.
    response = client.open(path, method=method)
    response.get_data()
    response.close()  # a streamed download keeps its request context until closed
    return response


def test_anonymous_is_sent_to_login_everywhere_but_the_allow_list(client, app, seeded):
    for rule, path, method in staff_routes(app, *seeded):
        response = request(client, method, path)
        if rule in PUBLIC_STAFF:
            assert response.status_code in (200, 302, 400), (rule, method, response.status_code)
            continue
        if method == "GET":
            assert response.status_code == 302 and "/staff/login" in response.headers["Location"], (rule, method)
        else:  # the CSRF check runs first for POSTs; either way nothing happens
            assert response.status_code in (302, 400), (rule, method, response.status_code)


def test_officer_is_refused_every_admin_route(client, app, auth, seeded):
    auth.login(role="officer")
    for rule, path, method in staff_routes(app, *seeded):
        response = request(client, method, path)
        if rule.startswith("/admin"):
            assert response.status_code in (403, 400), (rule, method, response.status_code)
            if method == "GET":
                assert response.status_code == 403
        elif method == "GET":
            assert response.status_code in (200, 302, 404), (rule, method, response.status_code)


def test_admin_reaches_every_route(client, app, auth, seeded):
    auth.login(role="admin")
    for rule, path, method in staff_routes(app, *seeded):
        response = request(client, method, path)
        assert response.status_code != 403, (rule, method)
        if method == "GET" and rule not in PUBLIC_STAFF:
            assert response.status_code in (200, 302, 404), (rule, method, response.status_code)


def test_records_routes_with_real_records(client, app, auth):
    """The records pages (issue 22) with records that exist: no anonymous visitor reaches them,
    officers and admins both do (DESIGN §7: staff pages are for every staff role; only /admin
    is the admin's)."""
    from app.extensions import db
    from app.services.records import records
    from app.services.records.records import RecordInput

    with app.app_context():
        event = records.create(db.session, None, RecordInput(kind="event", name="사건"))
        person = records.create(db.session, None, RecordInput(kind="person", name="인물"))
        involvement = records.add_involvement(db.session, None, event, person, "victim")
        db.session.commit()
        ids = {"public_id": event.public_id, "involvement_id": involvement.id}
    routes = []
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/staff/records"):
            path = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", lambda m: str(ids[m.group(1)]), rule.rule)
            routes += [(rule.rule, path, method) for method in sorted(rule.methods - {"HEAD", "OPTIONS"})]
    assert len(routes) >= 6
    for _rule, path, method in routes:
        response = request(client, method, path)
        assert response.status_code in ((302,) if method == "GET" else (302, 400)), (path, method)
        if method == "GET":
            assert "/staff/login" in response.headers["Location"]
    for role in ("officer", "admin"):
        auth.login(role=role)
        for _rule, path, method in routes:
            if method == "GET":
                assert request(client, method, path).status_code == 200, (role, path)
        auth.logout()


def test_linking_routes_with_a_real_item_record_and_link(client, app, auth, seeded, org_keys):
    """The item page's linking routes (issue 22) with ids that exist and a valid CSRF token:
    an anonymous visitor is sent to log in and nothing is linked or unlinked; an admin, who is
    staff too, links like an officer."""
    item_id = seeded[0]
    with app.app_context():
        person = records.create(db.session, None, RecordInput(kind="person", name="인물"))
        item = db.session.scalar(sa.select(Submission).where(Submission.public_id == item_id))
        user = UserFactory(email="linker@example.org")
        link_id = links.link(db.session, user, org_keys.keyring, item, person, "victim", None).id
        db.session.commit()
        record_id = person.public_id
    routes = {f"/staff/submissions/{item_id}/records/link/{record_id}": {f"found-{record_id}-role": "witness"},
              f"/staff/submissions/{item_id}/records/new": {"newrecord-kind": "place", "newrecord-name": "장소"},
              f"/staff/submissions/{item_id}/records/unlink/{link_id}": {}}

    def count():
        with app.app_context():
            return db.session.scalar(sa.select(sa.func.count()).select_from(RecordLink))

    for path, data in routes.items():
        response = post_form(client, path, data, page_url="/staff/login")
        assert response.status_code == 302 and "/staff/login" in response.headers["Location"], path
    assert count() == 1
    auth.login(role="admin")
    link_path = next(iter(routes))
    assert post_form(client, link_path, {"origin": "found", **routes[link_path]},
                     page_url=f"/staff/submissions/{item_id}").status_code == 302
    assert count() == 2
