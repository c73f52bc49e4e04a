"""The sealed search index: segments that follow their submissions (indexed again, deleted,
very long), merges, and how Korean and Latin text becomes tokens. What officers find is tested
through the queue, in tests/staff/test_search.py; what a copy of the index reveals, in
tests/test_sealed_index_attack.py."""
from __future__ import annotations

import threading
import time

import numpy as np
import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import SearchBlock, SearchKey, SearchMember, SearchSegment, SearchStale, Submission
from app.sealed import search
from app.sealed.keys import Keyring
from app.sealed.search import blocks, segments, worker
from tests.factories import SubmissionFactory
from tests.helpers import index_and_search


def test_search_index_follows_deleted_submissions(app, org_keys):
    kept = [SubmissionFactory(narrative=text) for text in (
        "회령 보위부에서 고문을 받았습니다.", "그 사람은 조사 중에 고문당했다고 말했습니다.",
        "2009년 회령 강변에서 공개처형을 보았습니다.")]
    deleted = SubmissionFactory(narrative="보위부 구류장에서 고문을 당했습니다.")
    with app.app_context():
        assert len(index_and_search(db.session, org_keys.keyring, "고문")) == 3
        db.session.execute(sa.delete(Submission).where(Submission.id == deleted.id))
        db.session.commit()
        assert len(search.search_ids(db.session, "고문", org_keys.keyring)) == 2  # stale at once
        assert len(index_and_search(db.session, org_keys.keyring, "고문")) == 2  # and rewritten without it
        segment = db.session.scalars(sa.select(SearchSegment).where(SearchSegment.state == "live")).one()
        assert sorted(segments.doc_ids(segment).tolist()) == sorted(item.id for item in kept)
        assert search.mark_all_pending(db.session) == 3
        db.session.commit()
        assert search.search_ids(db.session, "고문", org_keys.keyring) == []
        assert db.session.scalar(sa.select(sa.func.count()).select_from(SearchBlock)) == 0
        assert len(index_and_search(db.session, org_keys.keyring, "고문")) == 2


def test_an_item_indexed_again_is_found_by_its_new_words_and_once(app, org_keys):
    item = SubmissionFactory(narrative="온성 구류장에서 조사를 받았습니다.")
    with app.app_context():
        assert index_and_search(db.session, org_keys.keyring, "구류장") == [item.id]
        first = db.session.scalar(sa.select(SearchMember.segment_id))
        worker.mark_pending(db.session, db.session.get(Submission, item.id))
        db.session.commit()
        worker.run(db.session, org_keys.keyring, index_only=True)
        assert db.session.scalar(sa.select(SearchMember.segment_id)) != first
        assert db.session.execute(sa.select(SearchStale.segment_id, SearchStale.deleted)).tuples().all() == \
            [(first, False)]
        assert search.search_ids(db.session, "구류장", org_keys.keyring) == [item.id]
        assert index_and_search(db.session, org_keys.keyring, "구류장") == [item.id]  # the stale segment is rewritten
        assert db.session.scalar(sa.select(sa.func.count()).select_from(SearchStale)) == 0


def test_long_documents_are_searchable_to_the_end(app, org_keys):
    filler = "가나다라마바사아자차카타파하" * 1420  # 19,880 pairs before the word (the form allows 20,000)
    item = SubmissionFactory(narrative=filler + " 공개처형을 보았습니다.")
    with app.app_context():
        assert index_and_search(db.session, org_keys.keyring, "공개처형") == [item.id]
        assert index_and_search(db.session, org_keys.keyring, "가나") == [item.id]  # 1,420 postings: head + tails


def indexed_one_by_one(keyring: Keyring, narratives: list[str]) -> list:
    """A submission per narrative, each indexed on its own: one segment each, nothing merged."""
    items = []
    for narrative in narratives:
        items.append(SubmissionFactory(narrative=narrative))
        worker.run(db.session, keyring, index_only=True)
    return items


def test_small_segments_are_merged_and_searches_still_find_everything(app, org_keys, monkeypatch):
    monkeypatch.setattr(worker, "MAX_OPEN", 2)
    with app.app_context():
        items = indexed_one_by_one(org_keys.keyring,
                                   [f"{n}번째 증언: 혜산 집결소에서 구타를 당했습니다." for n in range(5)])
        assert db.session.scalar(sa.select(sa.func.count()).select_from(SearchSegment)) == 5
        assert sorted(index_and_search(db.session, org_keys.keyring, "집결소")) == sorted(i.id for i in items)
        live = db.session.scalars(sa.select(SearchSegment)).all()
        assert len(live) <= 2 and all(s.state == "live" for s in live)
        assert sum(s.docs for s in live) == 5
        assert search.search_ids(db.session, '"혜산 집결소"', org_keys.keyring) == sorted((i.id for i in items),
                                                                                       reverse=True)


def test_a_worker_that_died_leaves_nothing_the_next_one_keeps(app, org_keys):
    """A merge that stopped half-way leaves a segment in state "building" and some blocks: the
    next lease holder deletes them before anything else."""
    item = SubmissionFactory(narrative="무산에서 있었던 일입니다.")
    with app.app_context():
        index_and_search(db.session, org_keys.keyring, "무산")
        keys = search.open_keys(db.session, org_keys.keyring)
        ids, postings = segments.postings_of([(item.id, search.document(["버려진 조각"]))])
        segments.create(db.session, keys, ids, postings, state="building")
        db.session.commit()
        assert worker.run(db.session, org_keys.keyring)
        assert db.session.scalars(sa.select(SearchSegment.state)).all() == ["live"]
        assert search.search_ids(db.session, "조각", org_keys.keyring) == []
        assert search.search_ids(db.session, "무산", org_keys.keyring) == [item.id]


def test_a_process_that_exits_mid_merge_gives_the_lease_back(app, org_keys, monkeypatch):
    """gunicorn restarts a worker while its thread merges: the thread stops at its next step,
    rolls back and releases the lease, so the next server need not wait for it to lapse."""
    monkeypatch.setattr(worker, "MAX_OPEN", 2)
    with app.app_context():
        items = indexed_one_by_one(org_keys.keyring, [f"{n}번째: 회령 보위부에서 조사를 받았습니다." for n in range(3)])
        assert db.session.scalar(sa.select(sa.func.count()).select_from(SearchSegment)) == 3
        read = segments.read

        def read_while_the_process_exits(*args):
            worker._exiting.set()
            return read(*args)

        monkeypatch.setattr(segments, "read", read_while_the_process_exits)
        try:
            assert worker.run(db.session, org_keys.keyring)
        finally:
            worker._exiting.clear()
        holder = worker.acquire(db.session)
        assert holder, "the lease was left to lapse"
        worker.release(db.session, holder)
        db.session.commit()
        assert db.session.scalar(sa.select(sa.func.count()).select_from(SearchSegment)) == 3  # the merge stopped
        assert sorted(search.search_ids(db.session, "보위부", org_keys.keyring)) == sorted(i.id for i in items)


def test_exiting_waits_for_the_indexing_thread(monkeypatch):
    monkeypatch.setattr(worker, "EXIT_WAIT", 5.0)
    stopped = threading.Event()

    def indexing():
        with worker._running:
            worker._exiting.wait(5)
            stopped.set()

    thread = threading.Thread(target=indexing)
    thread.start()
    try:
        time.sleep(0.05)
        worker._stop_at_exit()
        assert stopped.is_set()
    finally:
        worker._exiting.clear()
        thread.join(5)


def test_one_worker_at_a_time_holds_the_lease(app, org_keys):
    with app.app_context():
        holder = worker.acquire(db.session)
        db.session.commit()
        assert holder and worker.acquire(db.session) is None
        assert worker.run(db.session, org_keys.keyring) is False  # the other worker does the work
        worker.release(db.session, holder)
        db.session.commit()
        assert worker.acquire(db.session)


def test_rotating_the_search_key_rewrites_every_segment_and_drops_the_old_key(app, org_keys):
    items = [SubmissionFactory(narrative=f"{n}번 증언: 청진 교화소에서 일했습니다.") for n in range(3)]
    with app.app_context():
        assert len(index_and_search(db.session, org_keys.keyring, "교화소")) == 3
        old = db.session.scalar(sa.select(SearchKey.id))
        old_labels = set(db.session.scalars(sa.select(SearchBlock.label)))
        search.rotate_key(db.session, org_keys.keyring)
        db.session.commit()
        assert sorted(search.search_ids(db.session, "교화소", org_keys.keyring)) == sorted(i.id for i in items)
        assert worker.run(db.session, org_keys.keyring)
        assert db.session.scalars(sa.select(SearchKey.id)).all() != [old]
        assert db.session.scalars(sa.select(SearchSegment.key_id).distinct()).all() != [old]
        assert not old_labels & set(db.session.scalars(sa.select(SearchBlock.label)))
        assert sorted(search.search_ids(db.session, "교화소", org_keys.keyring)) == sorted(i.id for i in items)


def test_segments_of_the_first_layout_are_read_and_rewritten_in_the_current_one(app, org_keys, monkeypatch):
    """An installation upgraded to layout 2 keeps its layout-1 segments searchable, and the
    worker rewrites them (blocks of the old ladder's sizes disappear); the search answers the
    same before, during and after. "혜산" occurs 700 times in one report: a head, then tails
    of every size of both ladders."""
    texts = [f"{n}번 증언: " + "혜산 집결소 " * (700 if n == 0 else 1) for n in range(3)]
    with app.app_context():
        monkeypatch.setattr(blocks, "CURRENT", blocks.LAYOUTS[1])
        items = indexed_one_by_one(org_keys.keyring, texts)
        monkeypatch.undo()
        assert set(db.session.scalars(sa.select(SearchSegment.layout))) == {1}
        first_sizes = set(db.session.scalars(sa.select(sa.func.length(SearchBlock.body)).distinct()))
        assert {128 * 4 + 28, 1024 * 4 + 28} <= first_sizes and 512 * 4 + 28 not in first_sizes
        expected = sorted((i.id for i in items), reverse=True)
        assert search.search_ids(db.session, '"혜산 집결소"', org_keys.keyring) == expected
        assert worker.work_due(db.session)
        assert worker.run(db.session, org_keys.keyring)
        live = db.session.scalars(sa.select(SearchSegment).where(SearchSegment.state == "live")).all()
        assert [s.layout for s in live] == [blocks.CURRENT.number] and live[0].docs == 3
        sizes = set(db.session.scalars(sa.select(sa.func.length(SearchBlock.body)).distinct()))
        assert 512 * 4 + 28 in sizes
        assert search.search_ids(db.session, '"혜산 집결소"', org_keys.keyring) == expected
        assert search.search_ids(db.session, "혜산", org_keys.keyring) == expected
        assert not worker.work_due(db.session)


def test_a_word_in_many_reports_is_stored_as_a_bitmap_and_found_the_same(app, org_keys, monkeypatch):
    """공개처형 in 200 reports of one segment: its triples (found per report) are stored as one
    bitmap block each, where postings would take three; searches, phrases and a merge of that
    segment with a layout-1 one find exactly the same reports."""
    texts = [f"{n}번 증언: 회령에서 공개처형을 보았습니다." if n % 3 else f"{n}번 증언: 청진 교화소."
             for n in range(300)]
    with app.app_context():
        monkeypatch.setattr(blocks, "CURRENT", blocks.LAYOUTS[1])
        old = [SubmissionFactory(narrative=f"{n}번: 온성 공개처형") for n in range(3)]
        worker.run(db.session, org_keys.keyring, index_only=True)
        monkeypatch.undo()
        items = [SubmissionFactory(narrative=text) for text in texts]
        worker.run(db.session, org_keys.keyring, index_only=True, batch=500)
        segment = db.session.scalars(sa.select(SearchSegment).where(SearchSegment.layout == 2)).one()
        keys = search.open_keys(db.session, org_keys.keyring)
        rows = segments.blocks_of(db.session, segment.id)
        postings = dict(segments.read(keys.current, segment.nonce, rows, blocks.CURRENT).items())
        kinds = {}
        cipher = blocks.segment_cipher(keys.current, segment.nonce)
        for token in ("t:공개처", "w:공개", "s:청"):
            head_label = blocks.label(blocks.token_key(keys.current, token), segment.nonce, 0)
            kinds[token] = blocks.read_head(cipher.decrypt(rows[head_label], head_label)).bitmap
        assert kinds == {"t:공개처": True, "w:공개": False, "s:청": False}  # 200 reports; pairs keep positions; 100
        assert len(postings["t:공개처"]) == 200
        expected = sorted([i.id for i in items if "공개처형" in i.narrative] + [i.id for i in old], reverse=True)
        assert search.search_ids(db.session, "공개처형", org_keys.keyring) == expected
        assert search.search_ids(db.session, '"회령에서 공개처형을"', org_keys.keyring) == expected[:200]
        assert worker.run(db.session, org_keys.keyring)  # the layout-1 segment is rewritten
        assert set(db.session.scalars(sa.select(SearchSegment.layout).where(SearchSegment.state == "live"))) == {2}
        assert search.search_ids(db.session, "공개처형", org_keys.keyring) == expected


@pytest.mark.parametrize("number", sorted(blocks.LAYOUTS))
def test_a_layouts_tails_hold_every_posting_once(number):
    layout = blocks.LAYOUTS[number]
    for count in (0, 1, 13, 14, 141, 142, 525, 526, 653, 654, 1677, 1678, 5000):
        spans = [layout.span(i) for i in range(1, layout.tails_for(count) + 1)]
        starts = [blocks.HEAD_POSTINGS] + [start + size for start, size in spans]
        assert [start for start, _ in spans] == starts[:-1]
        assert starts[-1] >= count > (starts[-2] if len(starts) > 1 else 0) or count <= blocks.HEAD_POSTINGS


def test_without_unlocked_keys_nothing_is_found(app, org_keys):
    SubmissionFactory(narrative="회령 보위부에서 고문을 받았습니다.")
    with app.app_context():
        index_and_search(db.session, org_keys.keyring, "고문")
        assert search.search_ids(db.session, "고문", Keyring()) == []


@pytest.mark.parametrize("count, floor, expected", [(0, 64, 64), (64, 64, 64), (65, 64, 128), (600, 64, 1024),
                                                    (1024, 64, 1024), (1025, 64, 1117), (5000, 16, 5312)])
def test_block_counts_are_padded_to_classes(count, floor, expected):
    assert blocks.count_class(count, floor) == expected


def test_postings_hold_positions_within_their_documents():
    ids, postings = segments.postings_of([(7, search.document(["고문을 당했다"])), (3, search.document(["고문"]))])
    assert ids.tolist() == [3, 7]
    found = dict(postings.items())
    assert found["w:고문"].tolist() == [0 << blocks.POSITION_BITS, 1 << blocks.POSITION_BITS]
    assert found["w:문을"].tolist() == [(1 << blocks.POSITION_BITS) | 1]
    assert found["s:고"].tolist() == [0, 1 << blocks.POSITION_BITS]


def test_merged_postings_renumber_documents_and_drop_stale_ones():
    first = segments.postings_of([(1, search.document(["고문"])), (5, search.document(["구타 고문"]))])
    second = segments.postings_of([(3, search.document(["고문을"]))])
    ids, merged = segments.combine([(*first, np.array([False, True])), (*second, np.array([True]))])
    assert ids.tolist() == [3, 5]
    assert dict(merged.items())["w:고문"].tolist() == [0, (1 << blocks.POSITION_BITS) | 1]


@pytest.mark.parametrize("words, tokens", [
    ("고문을", ("고문", "문을")),
    ("공개처형", ("공개", "개처", "처형")),
    ("Émile", ("emile",)),
    ("15호", ("15", "호")),
])
def test_query_terms_become_phrases_of_pairs(words, tokens):
    term = search.parse(words).terms[0]
    assert term.tokens == tokens


def test_document_tokens_pair_hangul_and_fold_latin():
    assert search.document_tokens(["고문을 당했다. Tortured!"]) == ["고문", "문을", "당했", "했다", "tortured"]
    assert "노동" in search.document_tokens(["로동단련대"])


def test_sorted_intersection_and_merge_match_numpy():
    from app.sealed.search import reader
    rng = np.random.default_rng(7)
    for _ in range(50):
        a = np.unique(rng.integers(0, 500, rng.integers(0, 200))).astype(np.uint32)
        b = np.unique(rng.integers(0, 500, rng.integers(0, 200))).astype(np.uint32)
        assert np.array_equal(reader._intersect_sorted(a, b), np.intersect1d(a, b))
        # Parts as segments give them: each sorted, ranges that may or may not overlap.
        parts = [np.unique(rng.integers(start, start + 300, 50)) for start in rng.integers(0, 1000, 4)]
        assert np.array_equal(reader._merge_sorted(parts), np.unique(np.concatenate(parts)))
    assert len(reader._merge_sorted([])) == 0 and len(reader._intersect_sorted(np.zeros(0), np.arange(3))) == 0
