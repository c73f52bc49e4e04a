"""The records service: checked codes, sealed content, audit without content, stale edits."""
from __future__ import annotations

from datetime import date

import pytest

from app.extensions import db
from app.models import AuditEvent, Record
from app.services.records import records, search
from app.services.records.records import RecordError, RecordInput
from tests import factories


def _officer():
    return factories.UserFactory(email="records@example.org")


def test_create_check_open_and_find(app, org_keys):
    with app.app_context():
        user = _officer()
        place = records.create(db.session, user, RecordInput(
            kind="place", name="전거리교화소", aliases=["전거리 교화소"], province="KP-09", facility_type="kyohwaso"))
        person = records.create(db.session, user, RecordInput(kind="person", name="박영호", aliases=["Pak Yong-ho"],
                                                              person_role="perpetrator", agency="state_security"))
        event = records.create(db.session, user, RecordInput(
            kind="event", name="2019년 겨울 구타", place_public_id=place.public_id, when_precision="month",
            when_date=date(2019, 12, 1), category_codes=["V02.2"]))
        records.add_involvement(db.session, user, event, person, "perpetrator")
        db.session.commit()
        assert (event.place_id, event.when_year, [c.code for c in event.categories]) == (place.id, 2019, ["V02.2"])
        assert place.search_pending and person.public_id.startswith("P") and event.public_id.startswith("E")
        details = " ".join(str(e.details) + (e.target_id or "") for e in db.session.scalars(db.select(AuditEvent)))
        assert "박영호" not in details and person.public_id in details

        keyring = org_keys.keyring
        db.session.close()
        assert search.find_record_ids(db.session, keyring, "pak") == [db.session.scalar(
            db.select(Record.id).where(Record.kind == "person"))]
        suggested = search.suggest(db.session, keyring, ["그때 박영호 지도원이 전거리교화소에서"])
        assert sorted(r.kind for r in suggested) == ["person", "place"]


@pytest.mark.parametrize(("data", "reason", "field"), [
    (RecordInput(kind="person", name=" "), "name_required", "name"),
    (RecordInput(kind="person", name="x", person_role="general"), "choice", "person_role"),
    (RecordInput(kind="place", name="x", province="KP-99"), "choice", "province"),
    (RecordInput(kind="event", name="x", category_codes=["V77"]), "choice", "categories"),
    (RecordInput(kind="event", name="x", place_public_id="LNOTAPLACE"), "place", "place"),
    (RecordInput(kind="animal", name="x"), "kind", "kind"),
    (RecordInput(kind="person", name="x" * 201), "too_long", "name"),
])
def test_bad_input_is_refused_and_nothing_is_stored(app, data, reason, field):
    with app.app_context():
        with pytest.raises(RecordError) as refused:
            records.create(db.session, None, data)
        db.session.rollback()
        assert (refused.value.reason, refused.value.field) == (reason, field)
        assert db.session.scalar(db.select(db.func.count()).select_from(Record)) == 0


def test_an_edit_from_an_older_page_is_refused(app, org_keys):
    with app.app_context():
        user = _officer()
        person = records.create(db.session, user, RecordInput(kind="person", name="이름"))
        db.session.commit()
        records.update(db.session, user, org_keys.keyring, person, RecordInput(kind="person", name="새 이름"), 1)
        db.session.commit()
        with pytest.raises(RecordError, match="stale"):
            records.update(db.session, user, org_keys.keyring, person, RecordInput(kind="person", name="옛 화면"), 1)
        assert person.name == "새 이름"
