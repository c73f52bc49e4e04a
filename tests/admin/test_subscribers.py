"""The subscriber list for admins: counts by language and topic, search, a CSV export that no
spreadsheet runs as formulas, removal with its waiting mail. Without app_ctx, as in every
test of staff pages: a shared app context would also share flask-login's user."""
from __future__ import annotations

import csv
import io

import sqlalchemy as sa

from app.extensions import db
from app.models import AuditEvent, OutboxEmail, Subscriber
from app.services.outreach import subscriptions
from tests.factories import SubscriberFactory
from tests.helpers import post_form


def test_admin_sees_counts_exports_csv_and_removes(client, app, auth):
    SubscriberFactory(email="a@example.org", topics="reports,news", organization="=HYPERLINK(\"http://evil\")")
    SubscriberFactory(email="b@example.org", locale="both", organization="단체")
    target = SubscriberFactory(email="c@example.org", locale="en", topics="news", pending=True, organization="단체").id
    with app.app_context():
        subscriptions.request_subscription(db.session, subscriptions.Links.from_config(app.config),
                                           "c@example.org", "", "en", ["news"])  # mail waiting for c
    auth.login(role="admin")
    page = client.get("/admin/subscribers").get_data(as_text=True)
    assert "<td>한국어</td><td>1</td>" in page and "<td>한국어와 영어 모두</td><td>1</td>" in page
    assert "<td>보고서와 기록</td><td>2</td>" in page and "<td>단체 소식</td><td>1</td>" in page
    assert "확인 대기: 1" in page
    assert "c@example.org" in client.get("/admin/subscribers?state=pending").get_data(as_text=True)
    assert "a@example.org" not in client.get("/admin/subscribers?q=b@").get_data(as_text=True)

    export = client.get("/admin/subscribers.csv")
    assert export.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert export.headers["Content-Disposition"].startswith('attachment; filename="subscribers-')
    assert export.data.startswith("\ufeff".encode())
    table = list(csv.reader(io.StringIO(export.data.decode("utf-8-sig"))))
    assert table[0][0] == "이메일 주소" and len(table) == 4
    assert table[1][1] == "'=HYPERLINK(\"http://evil\")"  # no formula runs in a spreadsheet

    confirm = client.get(f"/admin/subscribers/{target}/remove")
    assert "되돌릴 수 없습니다" in confirm.get_data(as_text=True)
    assert post_form(client, f"/admin/subscribers/{target}/remove", {}).status_code == 302
    with app.app_context():
        assert db.session.get(Subscriber, target) is None
        assert db.session.scalar(sa.select(sa.func.count(OutboxEmail.id))) == 0  # its waiting mail went too
        actions = db.session.scalars(sa.select(AuditEvent.action)).all()
        assert "subscribers.exported" in actions and "subscriber.removed" in actions
