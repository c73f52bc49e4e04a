"""A case built with the models and services directly (the case pages come separately): two
Korean reports, a facility, four people in an event, links with passages, a sealed note."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from app.extensions import db
from app.models import Case, CaseNote, RecordLink
from app.models.base import utcnow
from app.models.records import case_record, case_submission
from app.sealed import records as sealed
from app.services.records import records
from app.services.records.records import RecordInput
from tests.factories import SubmissionFactory

PASSAGE = "그해 12월 전거리교화소에서 박영호 지도원에게 맞았습니다."
TITLE = "전거리교화소 2019년 겨울"
NOTE = "증인 한 명 더 필요"


@dataclass
class Built:
    case: str
    submissions: list[str]
    place: str
    event: str
    victim: str
    perpetrator: str
    witness: str
    official: str
    linked_only: str


def build_case(keyring) -> Built:
    """In an app context with the org keys (factories.use_keys)."""
    session = db.session
    first = SubmissionFactory(narrative="전거리교화소에서 매일 맞았습니다. =1+1", categories=["V02.1", "V03"],
                              source_connection="victim", when_precision="month", when_year=2019, when_month=12)
    second = SubmissionFactory(narrative="같은 곳에서 사람이 죽는 것을 봤습니다.", source_connection="witness")
    first, second = session.merge(first), session.merge(second)
    first.consent_accountability = True

    def make(**kwargs):
        return records.create(session, None, RecordInput(**kwargs))

    place = make(kind="place", name="전거리교화소", aliases=["전거리 교화소", "Chongori"], province="KP-09",
                 facility_type="kyohwaso", description="회령시 근처")
    victim = make(kind="person", name="김영철", person_role="victim")
    perpetrator = make(kind="person", name="박영호", aliases=["박 지도원|보위원"], person_role="perpetrator",
                       agency="state_security")
    witness = make(kind="person", name="이순희", person_role="witness")
    official = make(kind="person", name="최광수", person_role="official", agency="police")
    linked_only = make(kind="person", name="정명수|정씨", person_role="victim")
    event = make(kind="event", name="2019년 겨울 구타", place_public_id=place.public_id, when_precision="month",
                 when_date=date(2019, 12, 1), category_codes=["V02.1", "V03"], description="-겨울 내내 구타",
                 when_text="2019년 겨울")
    for person, role in ((victim, "victim"), (perpetrator, "perpetrator"), (witness, "witness"),
                         (official, "official")):
        records.add_involvement(session, None, event, person, role)
    case = Case(public_id=sealed.new_public_id("case"), status="building")
    sealed.seal_new(session, case, {"title": TITLE, "summary": "세 명이 같은 겨울을 말함"})
    session.add(case)
    session.flush()
    now = utcnow()
    for item in (first, second):
        session.execute(case_submission.insert().values(case_id=case.id, submission_id=item.id, added_at=now))
    for record in (place, event, victim, perpetrator, official):  # the witness comes in through the event
        session.execute(case_record.insert().values(case_id=case.id, record_id=record.id, added_at=now))
    sealed.seal_case_note(session, CaseNote(case_id=case.id), NOTE, keyring)
    for item, record, role, passage in ((first, event, "event", PASSAGE), (first, perpetrator, "perpetrator", None),
                                        (second, place, "place", "같은 곳"), (second, linked_only, "victim", None)):
        link = RecordLink(record_id=record.id, submission_id=item.id, role=role)
        sealed.seal_passage(session, link, passage, keyring)
    session.commit()
    return Built(case.public_id, [first.public_id, second.public_id], place.public_id, event.public_id,
                 victim.public_id, perpetrator.public_id, witness.public_id, official.public_id, linked_only.public_id)
