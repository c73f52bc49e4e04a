"""Contact requests: the form, receipt code, round-robin by language."""
from __future__ import annotations

import re

import sqlalchemy as sa

from app.extensions import db
from app.models import Submission
from app.services.intake.contact_details import open_contact
from tests.factories import UserFactory
from tests.helpers import post_form, receipt_code

FIELDS = {"alias": "영희", "language": "ko", "topic": "evidence", "channel": "signal", "handle": "@younghee",
          "safe_times": "평일 저녁", "organization": "탈북민 단체"}


def test_contact_request_in_korean_gets_a_receipt_and_is_encrypted(client, app_ctx, org_keys):
    response = post_form(client, "/ko/contact", FIELDS)
    assert response.status_code == 200
    assert len(receipt_code(response.get_data(as_text=True)).replace(" ", "")) == 16
    item = db.session.scalar(sa.select(Submission))
    assert item.kind == "contact" and item.contact_topic == "evidence" and item.contact_language == "ko"
    assert b"younghee" not in item.contact_sealed
    assert open_contact(org_keys.keyring, item).organization == "탈북민 단체"


def test_contact_form_errors_in_english_keep_input(client):
    response = post_form(client, "/en/contact", {"alias": "", "handle": "", "topic": "", "organization": "NGO <x>"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Please tell us what to call you" in html and "Please choose what it is about." in html
    assert "NGO &lt;x&gt;" in html


def test_round_robin_among_officers_who_speak_the_language(client, app):
    ko_a = UserFactory(email="a@example.org").id
    both = UserFactory(email="b@example.org", bilingual=True).id
    en_only = UserFactory(email="c@example.org", english=True).id
    for _ in range(4):
        post_form(client, "/ko/contact", FIELDS)
    with app.app_context():
        assignees = db.session.scalars(sa.select(Submission.assignee_id).order_by(Submission.id)).all()
    assert assignees == [ko_a, both, ko_a, both]
    post_form(client, "/en/contact", {**FIELDS, "language": "en"})
    with app.app_context():
        last = db.session.scalars(sa.select(Submission.assignee_id).order_by(Submission.id.desc())).first()
        assert last in (both, en_only)


def test_contact_honeypot_keeps_the_text(client):
    response = post_form(client, "/ko/contact", {**FIELDS, "website": "http://spam.example"})
    assert response.status_code == 422
    assert "마지막 칸은 비워 두시고" in response.get_data(as_text=True)


def test_channels_come_safest_first_each_with_what_to_know(client):
    """WeChat is read by the Chinese state and a message from a South Korean group can lead to
    forced return (issue 19): each channel says so beside it, the safe ones come first, and the
    form says what the officer will and will not send."""
    for path in ("/ko/contact", "/ko/report"):
        html = client.get(path).get_data(as_text=True)
        order = [html.index(f'value="{code}"') for code in ("signal", "whatsapp", "email", "kakaotalk", "wechat")]
        assert order == sorted(order), path
        wechat = html[html.index('value="wechat"'):]
        assert 'aria-describedby="' in html[html.rindex("<input", 0, html.index('value="wechat"')):][:300]
        assert "위챗은 중국 정부가 읽습니다" in wechat[:1000], path
        assert "중국 회사의 이메일" in html and "북한이나 제보, 저희 단체에 관한 말을" in html, path
    english = client.get("/en/contact").get_data(as_text=True)
    assert "The Chinese state reads WeChat." in english and "위챗" not in english


def test_a_channel_not_offered_is_refused_and_the_choice_is_kept(client):
    html = post_form(client, "/ko/contact", {**FIELDS, "channel": "fax"}).get_data(as_text=True)
    assert "보기 중에서 하나를 선택해 주세요." in html
    kept = post_form(client, "/ko/contact", {**FIELDS, "alias": "", "channel": "wechat"}).get_data(as_text=True)
    assert re.search(r'<input[^>]*checked[^>]*value="wechat"|<input[^>]*value="wechat"[^>]*checked', kept)
