"""Admin settings: the retention periods, checked, kept on error, audited; admins only."""
from __future__ import annotations

import json

import sqlalchemy as sa

from app.extensions import db
from app.models import AuditEvent
from tests.helpers import audit_actions, post_form


def _save_settings(client, days="30", rejected="10", **others):
    data = {"days": days, "closed": "", "rejected": rejected, "duplicate": "", **others}
    return post_form(client, "/admin/settings", data)


def test_settings_page_validates_keeps_input_and_audits(client, app, auth):
    auth.login(role="admin")
    page = _save_settings(client, days="abc", rejected="-3")
    html = page.get_data(as_text=True)
    assert page.status_code == 422
    assert "사이의 일수를 숫자로 입력해 주세요" in html and 'value="abc"' in html and 'value="-3"' in html
    assert "settings.retention" not in audit_actions(app)
    assert _save_settings(client, days="", rejected="").status_code == 422
    assert _save_settings(client, days="1,000", rejected="10").status_code == 302
    html = client.get("/admin/settings").get_data(as_text=True)
    assert 'value="1000"' in html and 'value="10"' in html and "RETENTION_DAYS" in html
    with app.app_context():
        event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "settings.retention"))
        assert json.loads(event.details)["to"] == {"days": 1000, "by_status": {"rejected": 10}}
    officer = app.test_client()
    auth.login(client=officer)
    assert officer.get("/admin/settings").status_code == 403
