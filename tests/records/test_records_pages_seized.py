"""A seized server after officers worked the records pages (issue 22): persons, places and
events created and changed through the real forms (CSRF on), a person added to an event, a
search run; then everyone logs out and the server is copied. No name, alias, description,
title or rough time is in the database (file or dump), the upload folder or the configuration,
in any encoding; nor in any row or file read one by one. Then an officer reads it all back."""
from __future__ import annotations

import re

import sqlalchemy as sa

from app.extensions import db
from app.models import KeySession
from tests.helpers import post_form
from tests.test_sealed_at_rest import rows_at_rest
from tests.test_seized_server import encodings, seized_copy

# Rare syllables and latin marks: no label, template or translation holds them.
MARKERS = {
    "person_name": "뷁뛟 소좌 PNAMEMARK5519",
    "person_alias": "Ppwelk Ttwit ALIASMARK5519",
    "person_alias_north": "뷁뛟쀍 지도원",
    "person_description": "DESCMARK5519 회령 보위부 반탐과에서 일함",
    "place_name": "똠쀍 집결소 PLACEMARK5519",
    "place_alias": "OTHERNAMEMARK5519 똠쀍 구류장",
    "place_description": "PLACEDESCMARK5519 강 건너편 창고",
    "event_title": "EVENTMARK5519 뷁똠 구타 사건",
    "event_when": "WHENMARK5519 첫눈 온 무렵",
    "event_description": "EVENTDESCMARK5519 밤새 심문",
    "edited": "EDITMARK5519 고친 설명",
}


def _created(response) -> str:
    assert response.status_code == 302, response.get_data(as_text=True)[:1500]
    return re.search(r"/staff/records/([A-Z0-9]+)$", response.headers["Location"]).group(1)


def workload(client, auth) -> dict[str, str]:
    auth.login(email="records-night@example.org")
    new = "/staff/records/new?kind="
    person = _created(post_form(client, new + "person", {
        "name": MARKERS["person_name"], "aliases": f"{MARKERS['person_alias']}\n{MARKERS['person_alias_north']}",
        "person_role": "perpetrator", "agency": "state_security", "description": MARKERS["person_description"]}))
    place = _created(post_form(client, new + "place", {
        "name": MARKERS["place_name"], "aliases": MARKERS["place_alias"], "province": "KP-09",
        "facility_type": "jipgyolso", "description": MARKERS["place_description"]}))
    event = _created(post_form(client, new + "event", {
        "name": MARKERS["event_title"], "when_precision": "approximate", "when_text": MARKERS["event_when"],
        "place": place, "categories": ["V02.1"], "description": MARKERS["event_description"]}))
    assert post_form(client, f"/staff/records/{event}/involvements", {"person": person, "role": "perpetrator"},
                     page_url=f"/staff/records/{event}").status_code == 302
    assert post_form(client, f"/staff/records/{place}/edit", {
        "name": MARKERS["place_name"], "aliases": MARKERS["place_alias"], "province": "KP-09",
        "facility_type": "jipgyolso", "description": MARKERS["edited"]}).status_code == 302
    listed = client.get("/staff/records", query_string={"q": "PNAMEMARK5519"}).get_data(as_text=True)
    assert MARKERS["person_name"] in listed
    auth.logout()
    return {"person": person, "place": place, "event": event}


def test_a_seized_server_shows_no_name_alias_or_description_of_a_record(app, client, auth):
    ids = workload(client, auth)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(KeySession)) == 0
    copy = seized_copy(app)
    rows = rows_at_rest(app)
    for name, marker in MARKERS.items():
        for encoded in encodings(marker):
            assert encoded not in copy, f"{name} found in the copy as {encoded[:40]!r}"
        for part in (word for word in marker.split() if len(word) >= 4):  # each word, as a token would hold it
            assert part.encode() not in copy, (name, part)
        for (table, key), values in rows.items():
            assert not any(marker.encode() in value for value in values), (name, table, key)

    # An officer logs in and reads it all back through the pages.
    auth.login(email="records-day@example.org")
    person = client.get(f"/staff/records/{ids['person']}").get_data(as_text=True)
    event = client.get(f"/staff/records/{ids['event']}").get_data(as_text=True)
    place = client.get(f"/staff/records/{ids['place']}").get_data(as_text=True)
    for marker in ("person_name", "person_alias", "person_alias_north", "person_description"):
        assert MARKERS[marker] in person, marker
    for marker in ("event_title", "event_when", "event_description", "person_name", "place_name"):
        assert MARKERS[marker] in event, marker
    assert MARKERS["edited"] in place and MARKERS["place_alias"] in place
