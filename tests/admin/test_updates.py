"""Writing and publishing updates in the admin pages, for admins only. Without app_ctx, as in
every test of staff pages: a shared app context would also share flask-login's user."""
from __future__ import annotations

import sqlalchemy as sa

from app.extensions import db
from app.models import OutboxEmail
from tests.factories import SubscriberFactory
from tests.helpers import post_form


def test_update_admin_is_for_admins_only(client, auth):
    assert client.get("/admin/updates").status_code == 302  # to the login page
    auth.login(role="officer")
    assert client.get("/admin/updates").status_code == 403
    assert client.get("/admin/subscribers.csv").status_code == 403


def test_admin_writes_checks_and_publishes_an_update(client, app, auth):
    auth.login(role="admin")
    SubscriberFactory(email="ko@example.org", topics="accountability")
    bad = post_form(client, "/admin/updates/new", {"slug": "Bad Slug!", "title_ko": "제목만", "topics": []})
    html = bad.get_data(as_text=True)
    assert bad.status_code == 422
    assert "영문 소문자" in html and "제목과 본문을 모두" in html and "하나 이상 선택해 주세요" in html
    assert 'value="제목만"' in html  # what was typed is kept
    empty = post_form(client, "/admin/updates/new", {"topics": ["news"]})
    assert "한국어나 영어" in empty.get_data(as_text=True)

    data = {"slug": "", "title_ko": "정치범수용소 보고서", "body_ko": "## 요약\n\n**증언** 40건을 모았습니다.",
            "summary_ko": "새 보고서입니다.", "title_en": "Report on political prison camps",
            "body_en": "We gathered **40** testimonies.", "topics": ["accountability", "reports"]}
    saved = post_form(client, "/admin/updates/new", data)
    assert saved.status_code == 302
    edit_path = saved.headers["Location"]
    page = client.get(edit_path).get_data(as_text=True)
    assert "<strong>증언</strong>" in page  # preview, sanitized
    assert client.get("/ko/updates/report-on-political-prison-camps").status_code == 404  # a draft
    taken = post_form(client, "/admin/updates/new", {**data, "slug": "report-on-political-prison-camps"})
    assert "이미 이 주소를 쓰고 있습니다" in taken.get_data(as_text=True)

    published = post_form(client, f"{edit_path}/publish", {}, page_url=edit_path)
    assert published.status_code == 302
    assert "이메일 1통" in client.get(edit_path).get_data(as_text=True)
    assert client.get("/ko/updates/report-on-political-prison-camps").status_code == 200
    with app.app_context():
        assert db.session.scalar(sa.select(OutboxEmail.subject)) == "[목소리] 정치범수용소 보고서"
    post_form(client, f"{edit_path}/unpublish", {}, page_url=edit_path)
    assert client.get("/ko/updates/report-on-political-prison-camps").status_code == 404
    listing = client.get("/admin/updates").get_data(as_text=True)
    assert "정치범수용소 보고서" in listing and "KO, EN" in listing
