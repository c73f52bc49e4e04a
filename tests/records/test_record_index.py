"""Records in the sealed search index (a second corpus, app/sealed/search/corpus.py): found by
parts of their names, kept apart from submissions, following edits and deletions, merged,
re-keyed and emptied by the same worker; suggestions for an item's text. What a copy of their
segments reveals is tested in tests/test_sealed_index_attack.py."""
from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Record, SearchBlock, SearchKey, SearchRecordMember, SearchSegment, SearchStale
from app.sealed import search
from app.sealed.search import segments, worker
from app.services.records import records
from app.services.records import search as record_search
from app.services.records.records import RecordInput
from tests.factories import SubmissionFactory


def _person(name: str, aliases=(), description: str = "") -> Record:
    return records.create(db.session, None, RecordInput(kind="person", name=name, aliases=list(aliases),
                                                        description=description, person_role="perpetrator"))


def _place(name: str, aliases=()) -> Record:
    return records.create(db.session, None, RecordInput(kind="place", name=name, aliases=list(aliases),
                                                        province="KP-09", facility_type="kyohwaso"))


def _event(title: str, description: str = "", when_text: str | None = None) -> Record:
    return records.create(db.session, None, RecordInput(kind="event", name=title, description=description,
                                                        when_text=when_text, when_precision="year",
                                                        when_year=2019, when_date=None))


def _find(keyring, query: str, kind: str | None = None) -> list[int]:
    return record_search.find_record_ids(db.session, keyring, query, kind=kind)


def _indexed(keyring) -> None:
    """An officer session's upkeep: everything waiting is indexed, merges are done."""
    db.session.commit()
    assert worker.run(db.session, keyring)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Record).where(Record.search_pending)) == 0


def test_parts_of_names_aliases_descriptions_and_whens_find_records(app, org_keys):
    keyring = org_keys.keyring
    with app.app_context():
        person = _person("박영호", ["Pak Yong-ho", "박 지도원"], "회령 보위부 반탐과 지도원. 키가 크다.")
        place = _place("전거리교화소", ["전거리 교화소", "Chongori"])
        event = _event("2019년 겨울 구타", "교화소 작업반에서 있었던 일", when_text="2019년 12월 초")
        labour = _place("로동단련대")
        _indexed(keyring)
        assert db.session.scalars(sa.select(SearchSegment.corpus)).all() == ["record"]
        assert _find(keyring, "영호") == [person.id]  # two syllables of three
        assert _find(keyring, "박영") == [person.id]
        assert _find(keyring, "박영호") == [person.id]
        assert _find(keyring, "yong") == [person.id]  # the start of a romanized alias
        assert _find(keyring, "Pak Yong-ho") == [person.id]
        assert _find(keyring, "반탐과") == [person.id]
        assert _find(keyring, "교화소") == [event.id, place.id]
        assert _find(keyring, "교화소", kind="place") == [place.id]
        assert _find(keyring, "chongori") == [place.id]
        assert _find(keyring, "12월") == [event.id]
        assert _find(keyring, "노동단련대") == [labour.id]  # the South Korean spelling
        assert _find(keyring, "영호 교화소") == []  # every term, in the same record
        assert _find(keyring, person.public_id[:6]) == [person.id]  # public ids are in the clear anyway
        assert _find(keyring, "") == [] and _find(keyring, "박") == []


def test_a_record_written_in_this_request_is_found_before_it_is_indexed(app, org_keys):
    keyring = org_keys.keyring
    with app.app_context():
        old = _person("김철민")
        _indexed(keyring)
        new = _person("김철수")
        db.session.flush()  # not committed, not indexed: matched in memory by the same code
        assert _find(keyring, "김철") == [new.id, old.id]
        assert new.search_pending and not db.session.scalar(
            sa.select(sa.func.count()).select_from(SearchRecordMember).where(SearchRecordMember.record_id == new.id))


def test_records_and_submissions_are_kept_apart(app, org_keys, monkeypatch):
    keyring = org_keys.keyring
    monkeypatch.setattr(worker, "MAX_OPEN", 2)
    with app.app_context():
        people, items = [], []
        for n in range(4):  # each indexed on its own, records and submissions by turns
            people.append(_person(f"리명{n}호", description="혜산 집결소 계호원"))
            items.append(SubmissionFactory(narrative=f"{n}번: 혜산 집결소에서 리명{n}호에게 맞았습니다."))
            db.session.commit()
            worker.run(db.session, keyring, index_only=True)
        assert worker.run(db.session, keyring)  # merges, each within its corpus
        live = db.session.scalars(sa.select(SearchSegment).where(SearchSegment.state == "live")).all()
        for segment in live:
            expected = {p.id for p in people} if segment.corpus == "record" else {i.id for i in items}
            assert set(segments.doc_ids(segment).tolist()) <= expected
        assert len(live) < 8 and {s.corpus for s in live} == {"record", "submission"}
        assert sorted(_find(keyring, "집결소")) == sorted(p.id for p in people)
        assert sorted(search.search_ids(db.session, "집결소", keyring)) == sorted(i.id for i in items)
        assert _find(keyring, "맞았습니다") == []
        assert search.search_ids(db.session, "계호원", keyring) == []


def test_a_changed_record_is_found_by_its_new_words_only(app, org_keys):
    keyring = org_keys.keyring
    with app.app_context():
        person = _person("최광철", description="온성 구류장")
        _indexed(keyring)
        first = db.session.scalar(sa.select(SearchRecordMember.segment_id))
        records.update(db.session, None, keyring, person, RecordInput(kind="person", name="최광일"), person.version)
        db.session.commit()
        assert _find(keyring, "광일") == [person.id] and _find(keyring, "광철") == []  # waiting: in memory
        db.session.commit()
        assert worker.run(db.session, keyring, index_only=True)
        assert db.session.scalar(sa.select(SearchRecordMember.segment_id)) != first
        assert db.session.execute(sa.select(SearchStale.segment_id, SearchStale.deleted)).tuples().all() == \
            [(first, False)]
        assert _find(keyring, "광일") == [person.id] and _find(keyring, "구류장") == []
        _indexed(keyring)  # the stale segment is rewritten
        assert db.session.scalar(sa.select(sa.func.count()).select_from(SearchStale)) == 0
        assert _find(keyring, "광일") == [person.id] and _find(keyring, "광철") == []


def test_a_deleted_records_postings_leave_the_index(app, org_keys):
    keyring = org_keys.keyring
    with app.app_context():
        kept, gone = _person("한정숙"), _person("한정민")
        _indexed(keyring)
        db.session.execute(sa.delete(Record).where(Record.id == gone.id))
        db.session.commit()
        segment_id = db.session.scalar(sa.select(SearchSegment.id).where(SearchSegment.state == "live"))
        assert db.session.execute(sa.select(SearchStale.segment_id, SearchStale.submission_id, SearchStale.deleted)
                                  ).tuples().all() == [(segment_id, gone.id, True)]  # by the trigger
        assert _find(keyring, "한정") == [kept.id]  # left out at once
        assert worker.work_due(db.session)
        _indexed(keyring)
        live = db.session.scalars(sa.select(SearchSegment).where(SearchSegment.state == "live")).all()
        assert [segments.doc_ids(s).tolist() for s in live] == [[kept.id]]
        assert _find(keyring, "한정") == [kept.id]


def test_rotation_and_emptying_the_index_cover_records(app, org_keys):
    keyring = org_keys.keyring
    with app.app_context():
        person = _person("정성철")
        item = SubmissionFactory(narrative="정성철 보위원")
        _indexed(keyring)
        old_key = db.session.scalar(sa.select(SearchKey.id))
        old_labels = set(db.session.scalars(sa.select(SearchBlock.label)))
        search.rotate_key(db.session, keyring)
        db.session.commit()
        assert search.rotation_left(db.session) == 2
        _indexed(keyring)
        assert db.session.scalars(sa.select(SearchSegment.key_id).distinct()).all() != [old_key]
        assert not old_labels & set(db.session.scalars(sa.select(SearchBlock.label)))
        assert _find(keyring, "성철") == [person.id]
        assert search.mark_all_pending(db.session) == 1  # the submissions queued (records too)
        db.session.commit()
        assert db.session.get(Record, person.id).search_pending
        assert db.session.scalar(sa.select(sa.func.count()).select_from(SearchRecordMember)) == 0
        _indexed(keyring)
        assert _find(keyring, "성철") == [person.id]
        assert search.search_ids(db.session, "성철", keyring) == [item.id]


@pytest.mark.parametrize("indexed", [True, False])
def test_suggestions_are_records_whose_names_occur_in_the_text(app, org_keys, indexed):
    keyring = org_keys.keyring
    with app.app_context():
        person = _person("박영호", ["Pak Yong-ho"])
        _person("박영철")  # the same first pair: not a suggestion
        _person("박영호철")  # the same key: a candidate, not a suggestion
        place = _place("전거리교화소", ["전거리 교화소"])
        labour = _place("로동단련대")
        _event("박영호 사건")  # events are not suggested
        _person("Kim", description="a name that is a part of other words")
        if indexed:
            _indexed(keyring)
        text = ["그때 박영호가 전거리 교화소에서 노동단련대로 보냈습니다.", "He said Pak Yong Ho was there. Kimchi."]
        suggested = record_search.suggest(db.session, keyring, text)
        assert [r.id for r in suggested] == [labour.id, place.id, person.id]
        assert record_search.suggest(db.session, keyring, ["Pak Yong-ho came"]) == [person]
        assert record_search.suggest(db.session, keyring, ["아무도 없었습니다"]) == []
        assert record_search.suggest(db.session, keyring, [""]) == []


def test_a_long_text_is_looked_up_by_a_bounded_number_of_keys(app, org_keys, monkeypatch):
    keyring = org_keys.keyring
    with app.app_context():
        person = _person("황보철민")
        _indexed(keyring)
        filler = "".join(chr(0xAC00 + (n * 7919) % 11172) for n in range(8000))  # 8,000 different pairs
        looked_up = []
        real = record_search.ids_by_token

        def counting(session, tokens, keys, corpus):
            looked_up.append(len(tokens))
            return real(session, tokens, keys, corpus)

        monkeypatch.setattr(record_search, "ids_by_token", counting)
        assert record_search.suggest(db.session, keyring, [f"황보철민 {filler}"]) == [person]
        assert looked_up == [record_search.SUGGEST_KEYS]


def test_events_are_found_by_their_title_and_when(app, org_keys):
    keyring = org_keys.keyring
    with app.app_context():
        event = records.create(db.session, None, RecordInput(
            kind="event", name="청진 공개처형", when_text="2010년 봄", when_precision="day",
            when_date=date(2010, 4, 2)))
        _indexed(keyring)
        assert _find(keyring, "공개처형") == [event.id] and _find(keyring, "봄") == []
        assert _find(keyring, "2010년") == [event.id]


def test_a_key_that_begins_many_names_does_not_crowd_out_a_rare_one(app, org_keys, monkeypatch):
    keyring = org_keys.keyring
    monkeypatch.setattr(record_search, "SUGGEST_CANDIDATES", 3)
    with app.app_context():
        places = [_place(f"회령시 {n}호 구류장") for n in range(6)]
        person = _person("황보철민")
        _indexed(keyring)
        suggested = record_search.suggest(db.session, keyring, ["회령시에서 황보철민이 2호 구류장으로 보냈다"])
        assert person in suggested and places[2] not in suggested  # 3 opened: the person's key first
        monkeypatch.undo()
        assert record_search.suggest(db.session, keyring, ["회령시 2호 구류장"]) == [places[2]]
