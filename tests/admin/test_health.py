"""The admin's System health page: the watch checks in Korean or English, worst first, no
JavaScript; admins only."""
from __future__ import annotations

from app.extensions import db
from app.models import OutboxEmail
from app.models.base import utcnow


def test_system_health_shows_a_failed_mail_in_korean_and_english(client, app, auth):
    with app.app_context():
        db.session.add(OutboxEmail(kind="update", recipient="ngo@example.org", subject="s", body_text="t",
                                   body_html="h", message_id="<1@example.org>", state="failed", attempts=8,
                                   next_attempt_at=utcnow(), last_error="550"))
        db.session.commit()
    auth.login(role="admin")
    page = client.get("/admin/health")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "<script" not in html
    assert "<h1>시스템 상태</h1>" in html and 'class="tag warning">주의' in html
    assert "이메일 1통을 끝내 보내지 못했습니다" in html and "디스크 공간" in html and "자동 삭제" in html
    assert html.index("health-warning") < html.index("health-ok")  # worst first
    assert 'href="/admin/health"' in client.get("/admin/settings").get_data(as_text=True)  # menu and footer

    english = app.test_client()
    auth.login(role="admin", email="admin-en@example.org", languages=("en",), locale="en", client=english)
    html = english.get("/admin/health").get_data(as_text=True)
    assert "System health" in html and "1 e-mail(s) failed for good" in html


def test_officers_cannot_see_system_health(client, auth):
    auth.login()
    assert client.get("/admin/health").status_code == 403
