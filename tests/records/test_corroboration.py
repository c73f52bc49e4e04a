"""Corroboration (app/services/records/corroboration.py): independent sources per record, a
duplicate counted with its original as one, by how the submitter knows, an event's sources
through its persons, and a fixed number of queries however many records are asked about."""
from __future__ import annotations

import sqlalchemy as sa

from app.extensions import db
from app.models import Record, RecordLink
from app.services.records import corroboration, records
from app.services.records.records import RecordInput
from tests import factories
from tests.factories import SubmissionFactory


def link(record, item, role):
    db.session.add(RecordLink(record_id=record.id, submission_id=item.id, role=role))


def make_records(user):
    place = records.create(db.session, user, RecordInput(kind="place", name="온성 집결소", facility_type="jipgyolso"))
    person = records.create(db.session, user, RecordInput(kind="person", name="박영호", person_role="perpetrator"))
    event = records.create(db.session, user, RecordInput(kind="event", name="2019년 겨울 구타"))
    records.add_involvement(db.session, user, event, person, "perpetrator")
    return place, person, event


def test_duplicates_count_once_and_sources_are_broken_down_by_how_they_know(app):
    victim = SubmissionFactory(source_connection="victim")
    witness = SubmissionFactory(source_connection="witness")
    heard = SubmissionFactory(source_connection="heard")
    told = SubmissionFactory(source_connection="told_by_close")
    resent = SubmissionFactory(source_connection="victim", duplicate_of=victim, status="duplicate")
    resent_again = SubmissionFactory(source_connection=None, duplicate_of=resent, status="duplicate")
    with app.app_context():
        user = factories.UserFactory(email="corroborate@example.org")
        place, person, event = make_records(user)
        for item in (victim, witness, heard, told, resent, resent_again):
            link(place, item, "place")
        link(person, witness, "perpetrator")  # the event through its person
        link(event, victim, "event")
        link(event, resent, "event")  # the same account twice: one source
        db.session.commit()

        found = corroboration.corroborate(db.session, [place, person, event])
        at_place = found[place.id]
        assert at_place.count == 4  # victim (+ two resendings of it), witness, heard, told
        assert [(code, count) for code, _, count in at_place.by_group] == [("victim", 1), ("witness", 1), ("heard", 2)]
        first = at_place.sources[0]
        assert first.public_id == victim.public_id
        assert sorted(first.duplicates) == sorted([resent.public_id, resent_again.public_id])
        assert found[person.id].count == 1 and found[person.id].single and found[person.id].direct is None
        # The event: the victim's account (sent twice) linked to it, and the witness via the person.
        assert (found[event.id].count, found[event.id].direct) == (2, 1)
        assert {s.public_id for s in found[event.id].sources} == {victim.public_id, witness.public_id}


def test_without_the_duplicate_mark_the_two_are_two_sources(app):
    """The control of the test above: what merges them is the duplicate link, nothing else."""
    first = SubmissionFactory(source_connection="victim")
    second = SubmissionFactory(source_connection="victim")
    with app.app_context():
        place, _, _ = make_records(factories.UserFactory(email="control@example.org"))
        link(place, first, "place")
        link(place, second, "place")
        db.session.commit()
        assert corroboration.of_record(db.session, place).count == 2


def test_the_number_of_queries_does_not_grow_with_the_records(app):
    items = [SubmissionFactory(source_connection="witness") for _ in range(3)]
    with app.app_context():
        user = factories.UserFactory(email="queries@example.org")
        made = []
        for n in range(12):
            event = records.create(db.session, user, RecordInput(kind="event", name=f"사건 {n}"))
            person = records.create(db.session, user, RecordInput(kind="person", name=f"사람 {n}"))
            records.add_involvement(db.session, user, event, person, "victim")
            link(event, items[n % 3], "event")
            link(person, items[(n + 1) % 3], "victim")
            made += [event, person]
        db.session.commit()
        ids = [r.id for r in made]
        made = list(db.session.scalars(sa.select(Record).where(Record.id.in_(ids))))  # as a page has them
        statements: list[str] = []
        engine = db.session.get_bind()
        listener = lambda *args: args[2].startswith("SELECT") and statements.append(args[2])  # noqa: E731  (conn, cursor, statement, …)
        sa.event.listen(engine, "before_cursor_execute", listener)
        try:
            found = corroboration.corroborate(db.session, made)
        finally:
            sa.event.remove(engine, "before_cursor_execute", listener)
        assert len(statements) <= 5, statements  # persons, links, submissions (+ originals)
        assert all(found[r.id].count == (2 if r.kind == "event" else 1) for r in made)
