"""Bad input to the report form gets a localized message next to the field, keeps what was
typed, never a 500."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Submission
from tests.helpers import hidden_fields, opened, post_form, submit_report


def test_empty_report_shows_summary_and_field_error_in_korean(client):
    response = post_form(client, "/ko/report", {"narrative": "", "place": "회령 근처 <b>강가</b>"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'class="error-summary"' in html and 'href="#narrative"' in html
    assert 'id="narrative-error"' in html
    assert "있었던 일을 적어 주세요" in html
    assert "회령 근처 &lt;b&gt;강가&lt;/b&gt;" in html  # kept, and escaped


def test_empty_report_in_english(client):
    html = post_form(client, "/en/report", {"narrative": "  "}).get_data(as_text=True)
    assert "Please write what happened" in html
    assert "있었던" not in html


def test_too_long_narrative_is_kept_and_counted(client):
    text = "가" * 20_001
    html = post_form(client, "/ko/report", {"narrative": text}).get_data(as_text=True)
    assert "최대 20,000자까지 입력할 수 있습니다. (현재 20,001자)" in html
    assert text in html


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"when_precision": "day", "when_date": "2019-02-30"}, "연-월-일"),
        ({"when_precision": "day", "when_date": "2999-01-01"}, "앞으로 올 날짜"),
        ({"when_precision": "year", "when_year": "삼천"}, "1945년부터"),
        ({"when_precision": "month", "when_year": "2010"}, "몇 월인지"),
        ({"when_precision": "approximate"}, "대략 언제였는지"),
        ({"when_precision": "sometime"}, "보기 중에서"),
        ({"province": "KP-99"}, "보기 중에서"),
        ({"categories": ["V02", "DROP TABLE"]}, "보기 중에서"),
        ({"contact_channel": "signal"}, "아이디, 번호 또는 주소"),
    ],
)
def test_invalid_answers_get_field_messages(client, app_ctx, fields, message):
    response = submit_report(client, **fields)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Submission.id))) == 0


def test_year_accepts_full_width_digits_and_suffix(client, app_ctx):
    response = submit_report(client, when_precision="year", when_year="２０１５년")
    assert response.status_code == 200
    assert db.session.scalar(sa.select(Submission.when_year)) == 2015


def _narrative(org_keys) -> str:
    """The stored account, as an officer's session opens it."""
    item = db.session.scalar(sa.select(Submission))
    opened(item, org_keys.keyring)
    return item.narrative


def test_broken_unicode_and_control_characters_are_cleaned(client, app_ctx, org_keys):
    """Invalid UTF-8 in the (multipart) report form becomes U+FFFD; NUL never reaches the database."""
    fields = hidden_fields(client.get("/ko/report").get_data(as_text=True))
    fields["narrative"] = "고문\x00을 당했".encode() + b"\xed\xb3\xbf" + "다 e\u0301".encode()
    boundary = "testboundary"
    parts = []
    for name, value in fields.items():
        value = value if isinstance(value, bytes) else value.encode()
        header = f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
        parts.append(header.encode() + value + b"\r\n")
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    response = client.post("/ko/report", data=body, content_type=f"multipart/form-data; boundary={boundary}")
    assert response.status_code == 200
    stored = _narrative(org_keys)
    assert "\x00" not in stored and stored.startswith("고문을 당했")
    assert "\ufffd" in stored
    assert stored.endswith("é")  # NFC: e + combining accent became one character


def test_decomposed_hangul_is_stored_as_nfc(client, app_ctx, org_keys):
    import unicodedata

    submit_report(client, narrative=unicodedata.normalize("NFD", "고문을 당했습니다"))
    assert _narrative(org_keys) == "고문을 당했습니다"


def test_file_of_unknown_type_is_refused_by_content(client):
    response = submit_report(client, files=[("사진.jpg", b"MZ\x90\x00 this is a windows program")])
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "‘사진.jpg’ 파일은 첨부할 수 없는 형식입니다" in html
    assert "파일을 다시 선택해 주세요" in html  # the page says files must be chosen again
    assert "보위부 구류장에서 고문을 당했습니다." in html


def test_file_over_the_per_file_limit(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_UPLOAD_MB", 1)
    response = submit_report(client, files=[("큰 파일.pdf", b"%PDF-1.4\n" + b"0" * (1024 * 1024 + 10))])
    assert response.status_code == 422
    assert "‘큰 파일.pdf’ 파일이 너무 큽니다. 파일 하나에 1MB까지" in response.get_data(as_text=True)


def test_too_many_files(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_FILES_PER_SUBMISSION", 2)
    files = [(f"{n}.txt", b"note") for n in range(3)]
    assert "최대 2개까지" in submit_report(client, files=files).get_data(as_text=True)


def test_honeypot_keeps_text_and_asks_to_leave_it_empty(client):
    response = submit_report(client, website="http://spam.example", narrative="내용")
    assert response.status_code == 422
    assert "마지막 칸은 비워 두시고" in response.get_data(as_text=True)


def test_missing_csrf_token_keeps_what_was_typed(client, app_ctx):
    response = client.post("/ko/report", data={"narrative": "토큰 없이 보낸 긴 증언", "place": "혜산"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "토큰 없이 보낸 긴 증언" in html and "혜산" in html
    assert "다시 보내 주세요" in html
    assert db.session.scalar(sa.select(sa.func.count(Submission.id))) == 0


def test_the_same_form_sent_twice_is_stored_once(client, app_ctx):
    page = client.get("/ko/report").get_data(as_text=True)
    data = {**hidden_fields(page), "narrative": "두 번 누른 제보"}
    first = client.post("/ko/report", data=data)
    second = client.post("/ko/report", data=data)
    assert first.status_code == 200 and second.status_code == 409
    assert "이미 접수된 제보입니다" in second.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Submission.id))) == 1


def test_report_submission_is_rate_limited(client):
    for _ in range(10):
        assert submit_report(client, narrative="").status_code == 422
    assert submit_report(client).status_code == 429


def test_bad_notice_address_is_refused_with_the_keyboard_hint(client):
    html = submit_report(client, notice_email="ㅡㄷ@ㄷㅌ믇ㅔㅣㄷ.채ㅡ").get_data(as_text=True)
    assert "키보드를 영문으로 바꾼 뒤" in html
    html = submit_report(client, notice_email="not-an-address").get_data(as_text=True)
    assert "이메일 주소 형식이 올바르지 않습니다" in html
