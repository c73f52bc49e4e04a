"""Retention keeps what a case that is not closed rests on: an expired item in an open case is
held like evidence, and purged once the case is closed (or the item taken out of it)."""
from __future__ import annotations

import sqlalchemy as sa

from app.extensions import db
from app.models import Submission, User
from app.services import settings
from app.services.ops import retention
from app.services.records import cases
from app.services.records.cases import CaseInput
from tests.factories import SubmissionFactory, UserFactory
from tests.helpers import days_ago


def _ids(app):
    with app.app_context():
        return set(db.session.scalars(sa.select(Submission.public_id)))


def test_an_item_in_an_open_case_is_never_purged(app, runner, org_keys):
    in_case = SubmissionFactory(closed=True, updated_at=days_ago(400))
    in_closed_case = SubmissionFactory(closed=True, updated_at=days_ago(400))
    alone = SubmissionFactory(closed=True, updated_at=days_ago(400))
    with app.app_context():
        admin = UserFactory(admin=True)
        settings.save_retention(db.session, admin, 30, {}, app.config["RETENTION_DAYS"])
        working = cases.create(db.session, admin, CaseInput("진행 중인 사안", status="building"))
        done = cases.create(db.session, admin, CaseInput("끝난 사안", status="closed"))
        cases.add_submission(db.session, admin, working, in_case.public_id)
        cases.add_submission(db.session, admin, done, in_closed_case.public_id)
        db.session.commit()
        policy = settings.retention_policy(db.session, app.config["RETENTION_DAYS"])
        item = db.session.get(Submission, in_case.id)
        assert retention.days_left(item, policy) is None  # the item page says it is not due
        assert retention.days_left(db.session.get(Submission, alone.id), policy) == 0
        expiring = {i.public_id for i in retention.expiring_within(db.session, policy)}
        assert expiring == {in_closed_case.public_id, alone.public_id}
        working_id, admin_id = working.public_id, admin.id

    result = runner.invoke(args=["retention", "purge"])
    assert result.exit_code == 0 and "purged 2 item(s)" in result.output, result.output
    assert _ids(app) == {in_case.public_id}

    with app.app_context():  # the case is closed: its items expire like any other
        working = cases.find(db.session, working_id)
        admin = db.session.get(User, admin_id)
        cases.update(db.session, admin, org_keys.keyring, working,
                     CaseInput("진행 중인 사안", status="closed"), working.version)
        db.session.commit()
    assert "purged 1 item(s)" in runner.invoke(args=["retention", "purge"]).output
    assert _ids(app) == set()
