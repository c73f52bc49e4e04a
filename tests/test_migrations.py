"""Migrations build the schema the models describe, on SQLite and PostgreSQL, and every
revision goes down and up again."""
from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade

from app.extensions import db
from app.models import Submission
from app.services import keys, search
from app.services.search import include_in_autogenerate
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
        # The same filter as migrations/env.py: the search index is built per dialect, outside the models.
        opts = {"compare_type": True, "include_object": include_in_autogenerate}
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


def test_deleting_a_submission_deletes_its_search_document(fresh_app):
    """Guards the SQLite trigger (a batch migration on `submission` drops it) and the
    PostgreSQL cascade: a purged item's words must not stay in the search index."""
    upgrade()
    keyring, _code = keys.create_keys(db.session, "test")
    db.session.commit()
    factories.use_keys(keyring)
    item = SubmissionFactory(narrative="회령 보위부에서 고문을 당했습니다.")  # in fresh_app: its context is the test's
    assert index_and_search(db.session, keyring, "고문") == [item.id]
    db.session.execute(sa.delete(Submission).where(Submission.id == item.id))
    db.session.commit()
    assert db.session.scalar(sa.text(f"SELECT count(*) FROM {search.TABLE}")) == 0
