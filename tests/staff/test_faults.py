"""A database fault while an officer or an admin saves what they typed: the answer (503) shows
the text again and says it may not have been saved, instead of the error page that lost it.
The connection is really cut (tests/public/test_faults.py); passwords are never echoed."""
from __future__ import annotations

import sqlalchemy as sa

from app.extensions import db
from app.models import Message, Note, Update
from tests.factories import PASSWORD, SubmissionFactory
from tests.helpers import act, post_form
from tests.public.test_faults import connection_cut

KO_NOT_SAVED = "저희 쪽의 일시적인 문제로 보내신 내용이 저장되지 않았을 수 있습니다"


def _count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def _cut(app, statement: str):
    """Requests of these tests run without a test-wide app context (staff pages keep the
    logged-in user and the unlocked keys in it), so the engine is fetched here."""
    with app.app_context():
        engine = db.engine
    return connection_cut(statement, engine=engine)


def test_an_officers_message_to_the_submitter_survives_a_cut_database(client, auth, app):
    item = SubmissionFactory()
    auth.login()
    reply = "지난번에 말씀하신 날짜를\n다시 한 번 확인해 주실 수 있을까요? 가능한 범위에서만 답해 주세요."
    with _cut(app, "INSERT INTO message") as cut:
        response = act(client, item.public_id, "message", {"body": reply})
    assert cut["cut"] >= 1
    html = response.get_data(as_text=True)
    assert response.status_code == 503
    assert KO_NOT_SAVED in html and 'readonly' in html
    assert "지난번에 말씀하신 날짜를\n다시 한 번 확인해 주실 수 있을까요?" in html
    assert f'href="/staff/submissions/{item.public_id}"' in html
    assert _count(app, Message) == 0


def test_an_internal_note_survives_a_cut_database_in_english(client, auth, app):
    item = SubmissionFactory()
    auth.login(locale="en")
    with _cut(app, "INSERT INTO note"):
        response = act(client, item.public_id, "note", {"body": "Cross-check the date with the 2019 testimony."})
    html = response.get_data(as_text=True)
    assert response.status_code == 503 and '<html lang="en">' in html
    assert "may not have been saved" in html and "Cross-check the date with the 2019 testimony." in html
    assert _count(app, Note) == 0


def test_an_update_being_written_survives_a_cut_database(client, auth, app):
    auth.login(role="admin")
    body = "## 요약\n\n**증언** 40건을 모았습니다. 연결이 끊겨도 이 본문은 남아야 합니다."
    with _cut(app, "INSERT INTO update"):
        response = post_form(client, "/admin/updates/new", {
            "slug": "camps", "title_ko": "정치범수용소 보고서", "body_ko": body, "topics": ["reports"]})
    html = response.get_data(as_text=True)
    assert response.status_code == 503
    assert "정치범수용소 보고서" in html and "연결이 끊겨도 이 본문은 남아야 합니다." in html
    assert 'value="camps"' not in html and ">camps<" not in html  # a slug is not worth echoing
    assert _count(app, Update) == 0


def test_a_password_form_is_never_echoed(client, auth, app):
    auth.login()
    new = "a new and much longer passphrase 2026"
    with _cut(app, "UPDATE user_account") as cut:
        response = post_form(client, "/staff/account", {
            "pw-current": PASSWORD, "pw-new": new, "pw-confirm": new, "pw-submit": "y"})
    assert cut["cut"] >= 1 and response.status_code >= 500
    html = response.get_data(as_text=True)
    assert PASSWORD not in html and new not in html
