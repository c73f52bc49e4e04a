"""The search index: documents that follow their submissions (deleted, very long), and how
Korean and Latin text becomes tokens. What officers find is tested through the queue, in
tests/staff/test_search.py."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Submission
from app.sealed import search
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
        assert len(index_and_search(db.session, org_keys.keyring, "고문")) == 2
        table_rows = db.session.scalar(sa.text(f"SELECT count(*) FROM {search.TABLE}"))
        assert table_rows == len(kept)  # the other reports; the deleted one's document is gone with it
        assert search.mark_all_pending(db.session) == 3
        db.session.commit()
        assert search.search_ids(db.session, "고문", search.Keyer(org_keys.keyring.search_key())) == []
        assert len(index_and_search(db.session, org_keys.keyring, "고문")) == 2


def test_long_documents_are_searchable_to_the_end(app, org_keys):
    """PostgreSQL keeps tsvector positions only up to 16,383: long texts are stored in parts."""
    filler = "가나다라마바사아자차카타파하" * 1420  # 19,880 pairs before the word (the form allows 20,000)
    item = SubmissionFactory(narrative=filler + " 공개처형을 보았습니다.")
    with app.app_context():
        assert index_and_search(db.session, org_keys.keyring, "공개처형") == [item.id]


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
