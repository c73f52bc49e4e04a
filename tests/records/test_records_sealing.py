"""Records and cases are sealed at rest (app/sealed/records.py): a copy of the tables shows no
name, alias, description, passage or note, and a record opens only with an org keyring."""
from __future__ import annotations

import pytest

from app.extensions import db
from app.models import Case, CaseNote, Record, RecordLink, Submission
from app.sealed import records as sealed
from app.sealed.keys import Keyring, KeysError
from tests import factories
from tests.test_sealed_at_rest import rows_at_rest

NAME = "김철수장군"
ALIAS = "Kim Chol-su"
DESCRIPTION = "회령 보위부 반탐과 지도원"


def test_a_record_and_a_case_keep_nothing_readable(app, org_keys):
    with app.app_context():
        item = db.session.get(Submission, factories.SubmissionFactory(narrative=f"{NAME}이 심문했습니다.").id)
        person = Record(public_id=sealed.new_public_id("person"), kind="person", person_role="perpetrator",
                        agency="state_security")
        sealed.seal_new(db.session, person, {"name": NAME, "aliases": [ALIAS], "description": DESCRIPTION})
        db.session.add(person)
        db.session.flush()
        link = RecordLink(record_id=person.id, submission_id=item.id, role="perpetrator")
        sealed.seal_passage(db.session, link, f"{NAME}이 심문", org_keys.keyring)
        case = Case(public_id=sealed.new_public_id("case"))
        sealed.seal_new(db.session, case, {"title": f"{NAME} 사건", "summary": DESCRIPTION})
        db.session.add(case)
        db.session.flush()
        sealed.seal_case_note(db.session, CaseNote(case_id=case.id), f"{ALIAS} 확인 필요", org_keys.keyring)
        db.session.commit()

    at_rest = b"".join(value for (table, _), values in rows_at_rest(app).items()
                       if table in {"record", "record_link", "cases", "case_note"} for value in values)
    for secret in (NAME, ALIAS, DESCRIPTION, "심문"):
        assert secret.encode() not in at_rest

    with app.app_context():
        person = db.session.scalar(db.select(Record))
        link = db.session.scalar(db.select(RecordLink))
        note = db.session.scalar(db.select(CaseNote))
        with pytest.raises(KeysError):
            sealed.open_content(Keyring(), person)
        sealed.open_content(org_keys.keyring, person)
        assert (person.name, person.aliases, person.label) == (NAME, [ALIAS], NAME)
        assert sealed.open_passage(org_keys.keyring, link).passage == f"{NAME}이 심문"
        assert sealed.open_case_note(org_keys.keyring, note).body == f"{ALIAS} 확인 필요"
        case = db.session.scalar(db.select(Case))
        sealed.open_content(org_keys.keyring, case)
        assert case.title == f"{NAME} 사건"


def test_a_sealed_record_cannot_be_moved_to_another_row(app, org_keys):
    """Each value is bound to its row: content copied onto another record does not open."""
    with app.app_context():
        first, second = (Record(public_id=sealed.new_public_id("person"), kind="person") for _ in range(2))
        for record, name in ((first, NAME), (second, "other")):
            sealed.seal_new(db.session, record, {"name": name, "aliases": []})
            db.session.add(record)
        db.session.commit()
        second.key_for_org, second.content_sealed = first.key_for_org, first.content_sealed
        db.session.commit()
        second_id = second.id
        db.session.close()  # a new instance: nothing opened or cached on it
        moved = db.session.get(Record, second_id)
        with pytest.raises(Exception):  # noqa: B017  InvalidTag from AES-GCM, or the unseal's own error
            sealed.open_content(org_keys.keyring, moved)
