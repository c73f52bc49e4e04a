"""`flask keys rotate-search`: a new search key, every segment rewritten under it in batches
while searches keep working, the old key deleted; an interrupted rotation goes on."""
from __future__ import annotations

import sqlalchemy as sa

from app.extensions import db
from app.models import AuditEvent, SearchBlock, SearchKey, SearchSegment
from app.sealed import search
from tests.factories import SubmissionFactory
from tests.helpers import index_and_search


def _state(app) -> tuple[set[int], set[bytes], set[int]]:
    with app.app_context():
        return (set(db.session.scalars(sa.select(SearchKey.id))), set(db.session.scalars(sa.select(SearchBlock.label))),
                set(db.session.scalars(sa.select(SearchSegment.key_id))))


def test_rotate_search_rewrites_every_segment_under_a_new_key(app, runner, org_keys):
    items = [SubmissionFactory(narrative=f"{n}번 증언: 회령 보위부 구류장에서 고문을 당했습니다.") for n in range(4)]
    with app.app_context():
        assert len(index_and_search(db.session, org_keys.keyring, "구류장")) == 4
    old_keys, old_labels, _ = _state(app)
    result = runner.invoke(args=["keys", "rotate-search"], input=f"{org_keys.code}\n")
    assert result.exit_code == 0, result.output
    assert "new search key made" in result.output and "old key is deleted" in result.output
    new_keys, new_labels, used = _state(app)
    assert len(new_keys) == 1 and not new_keys & old_keys and used == new_keys
    assert new_labels and not new_labels & old_labels
    with app.app_context():
        assert sorted(search.search_ids(db.session, "구류장", org_keys.keyring)) == sorted(i.id for i in items)
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)
                                 .where(AuditEvent.action == "search.key_rotated")) == 1


def test_an_interrupted_rotation_is_finished_and_wrong_codes_change_nothing(app, runner, org_keys):
    SubmissionFactory(narrative="무산 노동단련대에서 일했습니다.")
    with app.app_context():
        index_and_search(db.session, org_keys.keyring, "노동단련대")
        search.rotate_key(db.session, org_keys.keyring)  # the command stopped after making the key
        db.session.commit()
        assert search.rotation_left(db.session) == 1
    wrong = runner.invoke(args=["keys", "rotate-search"], input="AAAAA-AAAAA-AAAAA-AAAAA-AAAAA-AAAAA\n")
    assert wrong.exit_code != 0 and "does not open" in wrong.output
    result = runner.invoke(args=["keys", "rotate-search"], input=f"{org_keys.code}\n")
    assert result.exit_code == 0, result.output
    assert "going on with it" in result.output
    with app.app_context():
        assert search.rotation_left(db.session) == 0
        assert db.session.scalar(sa.select(sa.func.count()).select_from(SearchKey)) == 1
        assert len(search.search_ids(db.session, "로동단련대", org_keys.keyring)) == 1
