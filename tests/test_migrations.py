"""Migrations build the schema the models describe, on SQLite and PostgreSQL, and every
revision goes down and up again; an audit chain from before the keyed chain survives 0013."""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade

from app.extensions import db
from app.models import GENESIS_HASH, AuditEvent, SearchSegment, SearchStale, Submission
from app.models.base import utcnow
from app.sealed import commitments, keys, search, signing
from app.services import audit
from tests import factories
from tests.conftest import spare_app
from tests.factories import SubmissionFactory
from tests.helpers import index_and_search


@pytest.fixture
def fresh_app(tmp_path):
    with spare_app(tmp_path, "m") as application, application.app_context():
        yield application


def test_upgrade_matches_models(fresh_app):
    upgrade()
    with db.engine.connect() as connection:
        opts = {"compare_type": True}
        diff = compare_metadata(MigrationContext.configure(connection, opts=opts), db.metadata)
    assert diff == []
    assert db.session.scalar(sa.text("SELECT count(*) FROM category")) >= 50


def test_flask_db_check_is_clean(fresh_app):
    runner = fresh_app.test_cli_runner()
    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
    result = runner.invoke(args=["db", "check"])
    assert result.exit_code == 0, result.output


def test_every_revision_goes_down_and_up(fresh_app):
    script = ScriptDirectory.from_config(fresh_app.extensions["migrate"].migrate.get_config())
    revisions = [r.revision for r in reversed(list(script.walk_revisions()))]
    upgrade()
    for _ in revisions:
        downgrade(revision="-1")
    assert "category" not in sa.inspect(db.engine).get_table_names()
    for revision in revisions:
        upgrade(revision=revision)
    assert db.session.scalar(sa.text("SELECT count(*) FROM category WHERE parent_id IS NULL")) == 13


def test_deleting_a_submission_takes_its_postings_out_of_the_index(fresh_app):
    """Guards the trigger of migration 0016 on both databases: a deleted submission's postings
    are recorded as stale at once (searches leave them out, and on SQLite a new submission
    that reuses the id is not found by the old one's words), and its segment is rewritten
    without them at the next officer session, so a purged text leaves the index too."""
    upgrade()
    keyring, _code = keys.create_keys(db.session, "test")
    db.session.commit()
    factories.use_keys(keyring)
    kept = SubmissionFactory(narrative="청진 집결소에서 고문을 당했습니다.")
    item = SubmissionFactory(narrative="회령 보위부에서 고문을 당했습니다.")  # in fresh_app: its context is the test's
    assert index_and_search(db.session, keyring, "고문") == [item.id, kept.id]
    db.session.execute(sa.delete(Submission).where(Submission.id == item.id))
    db.session.commit()
    stale = db.session.execute(sa.select(SearchStale.submission_id, SearchStale.deleted)).tuples().all()
    assert stale == [(item.id, True)]
    assert search.search_ids(db.session, "회령", keyring) == []
    assert search.run(db.session, keyring)  # the officer session's upkeep: the segment is rewritten
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SearchStale)) == 0
    segment = db.session.scalars(sa.select(SearchSegment)).one()
    assert segment.state == "live" and segment.docs == 1
    assert index_and_search(db.session, keyring, "고문") == [kept.id]


def _later_submission_columns() -> list[str]:
    """The ORM writes every column of Submission: those of later revisions (0024, partner
    groups) are added for an insert at an old revision, and dropped again before upgrading."""
    blob = "BYTEA" if db.engine.dialect.name == "postgresql" else "BLOB"
    later = {"group_id": "INTEGER", "key_for_group": blob}
    for column, kind in later.items():
        db.session.execute(sa.text(f"ALTER TABLE submission ADD COLUMN {column} {kind}"))
    return list(later)


def test_the_upgrade_empties_the_old_token_index_and_queues_everything(tmp_path, monkeypatch):
    """Revision 0016 drops the HMAC token index of 0004 (its bytes leave an SQLite file:
    secure_delete, then VACUUM) and marks every submission waiting for the sealed index."""
    # The report is made at revision 0015, which had no trusted timestamps (revision 0019) and no
    # signing key (0020, which makes one for an installation that has keys: checked below).
    monkeypatch.setattr(commitments, "commit_account", lambda *args: None)
    monkeypatch.setattr(signing, "create", lambda session: None)
    with spare_app(tmp_path, "old") as application, application.app_context():
        upgrade(revision="0015")
        keyring, _code = keys.create_keys(db.session, "test")
        db.session.commit()
        factories.use_keys(keyring)
        later = _later_submission_columns()
        item_id = SubmissionFactory(narrative="회령 보위부에서 고문을 당했습니다.").id
        db.session.execute(sa.update(Submission).values(search_pending=False))
        for column in later:
            db.session.execute(sa.text(f"ALTER TABLE submission DROP COLUMN {column}"))
        marker = "ZZTOKENMARK"
        if db.engine.dialect.name == "sqlite":
            db.session.execute(sa.text("INSERT INTO submission_search (rowid, document) VALUES (:id, :doc)"),
                               {"id": item_id, "doc": " ".join([marker] * 200)})
        db.session.commit()
        upgrade()
        made = signing.current(db.session)  # by 0020, sealed to the org key that existed
        assert made is not None and signing.valid(made.public_key, b"x", signing.sign_with(keyring, made, b"x"))
        db.session.rollback()  # SQLite: every transaction holds the write lock
        assert "submission_search" not in sa.inspect(db.engine).get_table_names()
        assert db.session.scalar(sa.select(Submission.search_pending)) is True
        db.session.commit()
        if db.engine.dialect.name == "sqlite":
            db.session.remove()
            db.engine.dispose()
            path = sa.engine.make_url(application.config["SQLALCHEMY_DATABASE_URI"]).database
            files = [Path(p) for p in (path, f"{path}-wal") if os.path.exists(p)]
            assert not any(marker.encode() in p.read_bytes() for p in files)
        assert index_and_search(db.session, keyring, "고문") == [item_id]


def _old_audit_chain(events: int) -> str:
    """Audit rows as the app wrote them before the chain was keyed (at revision 0012); returns
    the last hash."""
    columns = ("created_at", "actor", "action", "target_type", "target_id", "details", "prev_hash", "hash")
    old_table = sa.table("audit_event", *(sa.column(name) for name in columns[1:]),
                         sa.column("created_at", sa.DateTime(timezone=True)))
    previous = GENESIS_HASH
    for number in range(events):
        event = AuditEvent(created_at=utcnow(), actor="system", action=f"old.{number}", target_type="submission",
                           target_id=str(number), details="{}", prev_hash=previous)
        event.hash = previous = hashlib.sha256(audit._canonical(event)).hexdigest()  # as the app did then
        db.session.execute(old_table.insert().values({name: getattr(event, name) for name in columns}))
    db.session.commit()
    return previous


def _boundaries() -> list[AuditEvent]:
    return list(db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "audit.chain_keyed")))


def test_an_unkeyed_audit_chain_from_before_stays_verifiable_behind_a_keyed_boundary(fresh_app):
    """An installation from before the keyed chain: its rows keep their SHA-256 hashes and are
    checked the old way; revision 0013 closes them with a keyed boundary event, so that they
    cannot be changed (nor the keyed part dropped) without the key."""
    upgrade(revision="0012")
    previous = _old_audit_chain(3)
    upgrade()
    report = audit.verify(db.session)
    assert report.ok and report.unkeyed == 3 and report.keyed_from == 4, report
    [boundary] = _boundaries()
    assert boundary.id == 4 and boundary.keyed and boundary.prev_hash == previous
    assert json.loads(boundary.details) == {"last_unkeyed_id": 3, "unkeyed_events": 3}
    audit.record(db.session, "system", "new.event")
    db.session.commit()
    assert audit.verify(db.session).ok and len(_boundaries()) == 1

    # An old row changed and the old rows re-hashed, as anyone with the database could: the
    # boundary's MAC covers the last old hash.
    second = db.session.get(AuditEvent, 2)
    second.details = '{"changed": true}'
    second.hash = hashlib.sha256(audit._canonical(second)).hexdigest()
    third = db.session.get(AuditEvent, 3)
    third.prev_hash = second.hash
    third.hash = hashlib.sha256(audit._canonical(third)).hexdigest()
    db.session.commit()
    assert audit.verify(db.session).first_bad_id == 4

    # Without the keyed part, the old rows alone are not a chain this version accepts.
    db.session.execute(sa.delete(AuditEvent).where(AuditEvent.hash.startswith("k1")))
    db.session.commit()
    report = audit.verify(db.session)
    assert not report.ok and "no keyed event" in report.problem


def test_the_first_event_after_the_upgrade_writes_the_boundary_when_the_app_runs_first(fresh_app):
    """The upgrade from before sealing runs the app on an older schema (`flask keys
    seal-existing` at 0010): its first event closes the unkeyed rows itself, and 0013 then adds
    no second boundary."""
    upgrade(revision="0012")
    _old_audit_chain(2)
    audit.record(db.session, "cli", "keys.created")
    db.session.commit()
    upgrade()
    report = audit.verify(db.session)
    assert report.ok and report.unkeyed == 2 and report.keyed_from == 3
    assert [event.id for event in _boundaries()] == [3]
