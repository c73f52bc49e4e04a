"""Coming back with a receipt code: status in the reader's language, adding text and files."""
from __future__ import annotations

import sqlalchemy as sa

from app.extensions import db
from app.models import Message, Submission
from tests.helpers import pdf_bytes, post_form, receipt_code, submit_report


def new_report(client, lang="ko") -> str:
    return receipt_code(submit_report(client, lang=lang).get_data(as_text=True))


def open_receipt(client, code, lang="ko"):
    return post_form(client, f"/{lang}/receipt", {"code": code})


def test_code_opens_status_in_korean_and_english(client):
    code = new_report(client)
    response = open_receipt(client, code)
    assert response.status_code == 302 and response.headers["Location"].endswith("/ko/receipt/status")
    page = client.get("/ko/receipt/status").get_data(as_text=True)
    assert "접수되었습니다. 아직 검토 전입니다." in page
    english = client.get("/en/receipt/status").get_data(as_text=True)
    assert "Received. It has not been reviewed yet." in english


def test_code_is_accepted_with_hyphens_and_full_width_digits(client):
    code = new_report(client).replace(" ", "")
    full_width = str.maketrans("0123456789", "０１２３４５６７８９")
    typed = "-".join(code[i:i + 4] for i in range(0, 16, 4)).translate(full_width)
    assert open_receipt(client, typed).status_code == 302


def test_wrong_and_malformed_codes_get_one_generic_message(client):
    new_report(client)
    for typed in ("1234 5678 9012 3456", "12ab", "<script>alert(1)</script>", "9" * 400):
        response = open_receipt(client, typed)
        html = response.get_data(as_text=True)
        assert response.status_code == 422
        assert "확인할 수 없는 접수 번호입니다" in html
        assert "<script>alert(1)</script>" not in html
    assert open_receipt(client, "").status_code == 422


def test_receipt_entry_is_rate_limited(client):
    for _ in range(10):
        assert open_receipt(client, "0000 0000 0000 0000").status_code == 422
    limited = open_receipt(client, "0000 0000 0000 0000")
    assert limited.status_code == 429
    assert "시도 횟수" in limited.get_data(as_text=True)


def test_followup_adds_text_and_files(client, app_ctx):
    code = new_report(client)
    open_receipt(client, code)
    response = post_form(
        client, "/ko/receipt/status", {"body": "추가로 기억난 내용입니다."},
        files=[("두번째 사진.png", b"\x89PNG\r\n\x1a\n" + b"broken")],
    )
    assert response.status_code == 422  # damaged PNG is refused with a clear message
    html = response.get_data(as_text=True)
    assert "두번째 사진.png" in html and "손상" in html
    assert "추가로 기억난 내용입니다." in html  # what was typed is kept
    response = post_form(client, "/ko/receipt/status", {"body": "추가로 기억난 내용입니다."},
                         files=[("메모.txt", "메모".encode())])
    assert response.status_code == 302
    page = client.get("/ko/receipt/status").get_data(as_text=True)
    assert "추가로 보내 주신 내용이 접수되었습니다" in page
    assert "추가로 기억난 내용입니다." in page and "메모.txt" in page
    message = db.session.scalar(sa.select(Message))
    assert message.author == "submitter" and len(message.attachments) == 1
    assert db.session.scalar(sa.select(Submission)).last_submitter_activity_at is not None


def test_empty_followup_is_refused(client):
    open_receipt(client, new_report(client))
    response = post_form(client, "/ko/receipt/status", {"body": "   "})
    assert response.status_code == 422
    assert "보내실 내용을 적으시거나 파일을 선택해 주세요" in response.get_data(as_text=True)


def test_status_page_needs_a_code_and_leave_forgets_it(client):
    assert client.get("/ko/receipt/status").status_code == 302
    open_receipt(client, new_report(client))
    assert client.get("/ko/receipt/status").status_code == 200
    post_form(client, "/ko/receipt/leave", {}, page_url="/ko/receipt/status")
    assert client.get("/ko/receipt/status").status_code == 302


def test_what_was_sent_is_shown_only_when_asked(client):
    """A person can re-read their account (issue 19), but a screen someone else may see does not
    show it by default: the page holds none of it until the link is followed."""
    account = "2016년 겨울 혜산 집결소에서 있었던 일입니다.\n둘째 줄입니다."
    code = receipt_code(submit_report(client, narrative=account, place="혜산 집결소",
                                      files=[("증언.pdf", pdf_bytes())]).get_data(as_text=True))
    open_receipt(client, code)
    page = client.get("/ko/receipt/status").get_data(as_text=True)
    assert "혜산" not in page and "증언.pdf" not in page
    assert "다른 사람이 화면을 볼 수 없는 곳에서만 열어 주세요" in page
    assert 'href="/ko/receipt/status?show=sent#sent"' in page
    shown = client.get("/ko/receipt/status?show=sent").get_data(as_text=True)
    assert account.replace("\n", "\n") in shown and "혜산 집결소" in shown and "증언.pdf" in shown
    assert "보내신 내용 감추기" in shown
    english = client.get("/en/receipt/status?show=sent").get_data(as_text=True)
    assert "What happened?" in english and account in english


def test_nothing_is_shown_without_the_receipt_session(client):
    new_report(client)
    response = client.get("/ko/receipt/status?show=sent")
    assert response.status_code == 302 and response.headers["Location"].endswith("/ko/receipt")
