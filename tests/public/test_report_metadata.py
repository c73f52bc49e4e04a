"""Files sent through the real report and follow-up forms (CSRF on) are stored without their
identifying metadata unless the submitter keeps it; the form says beforehand which types
cannot be cleaned, and the item page tells officers (tests/corpus.py has the marked files)."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Attachment, Submission
from app.services.files.attachments import read_bytes
from tests import corpus
from tests.factories import SubmissionFactory
from tests.helpers import opened, post_form, receipt_code, submit_report

SAMPLES = corpus.samples()
BATCHES = [SAMPLES[i : i + 10] for i in range(0, len(SAMPLES), 10)]  # the form takes 10 files at a time


def stored_files(client, org_keys) -> dict[str, bytes]:
    """Every stored file of the one submission, by its name, decrypted with the keys."""
    submission = db.session.scalar(sa.select(Submission))
    key = opened(submission, org_keys.keyring)
    upload_dir = client.application.config["UPLOAD_DIR"]
    return {a.name: read_bytes(a, upload_dir, key) for a in submission.attachments}


@pytest.mark.parametrize("batch", BATCHES, ids=lambda b: f"{b[0].media_type}…")
def test_report_files_are_stored_without_their_metadata(client, app_ctx, org_keys, batch):
    response = submit_report(client, files=[(s.name, s.data) for s in batch])
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    stored = stored_files(client, org_keys)
    assert set(stored) == {s.name for s in batch}
    for sample in batch:
        assert sample.found(stored[sample.name]) == [], sample.name
        sample.opens(stored[sample.name])
    rows = db.session.scalars(sa.select(Attachment)).all()
    assert all(row.metadata_stripped for row in rows)
    assert {row.media_type for row in rows} == {s.media_type for s in batch}


@pytest.mark.parametrize("batch", BATCHES, ids=lambda b: f"{b[0].media_type}…")
def test_report_files_keep_every_byte_when_the_submitter_asks(client, app_ctx, org_keys, batch):
    response = submit_report(client, keep_metadata="y", files=[(s.name, s.data) for s in batch])
    assert response.status_code == 200
    stored = stored_files(client, org_keys)
    assert stored == {s.name: s.data for s in batch}
    assert not any(row.metadata_stripped for row in db.session.scalars(sa.select(Attachment)))


@pytest.mark.parametrize("lang, words", [("ko", "보내 주신 그대로 보관합니다"),
                                         ("en", "they are kept exactly as sent")])
def test_the_form_names_the_types_that_cannot_be_cleaned_before_sending(client, lang, words):
    page = client.get(f"/{lang}/report").get_data(as_text=True)
    help_text = page.split('id="attachments-help"')[1].split("</p>")[0]  # what the file field is described by
    assert words in help_text and ".doc, .xls, .ppt" in help_text and ".hwp" in help_text and ".webm" in help_text


def test_officers_see_which_files_kept_their_metadata(client, org_keys, auth):
    kept = corpus.kept_as_sent()
    response = submit_report(client, files=[(s.name, s.data) for s in kept] + [("사진.webp", corpus.webp())])
    assert response.status_code == 200
    with client.application.app_context():
        stored = stored_files(client, org_keys)
        public_id = db.session.scalar(sa.select(Submission.public_id))
    assert all(stored[s.name] == s.data for s in kept)
    auth.login()
    html = client.get(f"/staff/submissions/{public_id}").get_data(as_text=True)
    for extension in ("doc", "xls", "ppt", "hwp", "webm"):
        assert f"숨은 정보 삭제 안 됨: {extension}" in html
    assert html.count("숨은 정보 삭제됨") == 1  # the WebP photo


def test_officers_see_metadata_kept_at_the_submitters_request(client, auth):
    item = SubmissionFactory(keep_image_metadata=True, files=[("사진.webp", corpus.webp()), ("메모.txt", b"memo")])
    auth.login()
    html = client.get(f"/staff/submissions/{item.public_id}").get_data(as_text=True)
    assert html.count("제보자 요청으로 숨은 정보 유지") == 1  # not for the text file, which carries none
    assert "숨은 정보 삭제" not in html


def test_followup_files_are_cleaned_too(client, app_ctx, org_keys):
    code = receipt_code(submit_report(client).get_data(as_text=True))
    post_form(client, "/ko/receipt", {"code": code})
    page = client.get("/ko/receipt/status").get_data(as_text=True)
    assert "파일에 숨어 있는 정보(날짜, 장소, 작성자)는 지웁니다." in page and ".hwp" in page
    response = post_form(client, "/ko/receipt/status", {"body": ""},
                         files=[("추가.webp", corpus.webp()), ("추가.pdf", corpus.pdf())])
    assert response.status_code == 302
    stored = stored_files(client, org_keys)
    webp, pdf = (next(s for s in SAMPLES if s.media_type == t) for t in ("image/webp", "application/pdf"))
    assert webp.found(stored["추가.webp"]) == [] and pdf.found(stored["추가.pdf"]) == []
    pdf.opens(stored["추가.pdf"])


def test_followup_keeps_metadata_when_the_report_did(client, app_ctx, org_keys):
    code = receipt_code(submit_report(client, keep_metadata="y").get_data(as_text=True))
    post_form(client, "/ko/receipt", {"code": code})
    page = client.get("/ko/receipt/status").get_data(as_text=True)
    assert "그대로 남겨 둡니다" in page
    original = corpus.webp()
    assert post_form(client, "/ko/receipt/status", {"body": ""}, files=[("추가.webp", original)]).status_code == 302
    assert stored_files(client, org_keys)["추가.webp"] == original


def test_a_damaged_document_is_refused_with_a_clear_message(client, app_ctx):
    broken = corpus.pdf()[:200]
    response = submit_report(client, files=[("증언.pdf", broken)])
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "‘증언.pdf’ 파일을 열 수 없어서 숨은 정보(장소, 작성자 등)를 지울 수 없습니다." in html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Submission)) == 0
