"""The report form, through the real form with CSRF on, in Korean and English."""
from __future__ import annotations

import io

import pytest
import sqlalchemy as sa
from PIL import Image

from app.extensions import db
from app.models import Attachment, AuditEvent, Submission
from app.sealed.sealing import receipt_secret
from app.services.files.attachments import read_bytes
from app.services.intake.contact_details import open_contact
from tests.helpers import jpeg_with_gps, opened, receipt_code, submit_report


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_report_form_renders_in_language(client, lang):
    page = client.get(f"/{lang}/report")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert f'<html lang="{lang}">' in html
    assert ("제보 보내기" in html) == (lang == "ko")
    assert ("Send report" in html) == (lang == "en")
    assert 'name="csrf_token"' in html
    # consent boxes are never pre-checked
    for name in ("consent_un", "consent_accountability", "consent_publication"):
        tag = html.split(f'name="{name}"')[0].rsplit("<input", 1)[1] + html.split(f'name="{name}"')[1].split(">")[0]
        assert "checked" not in tag


def test_korean_report_with_files_gets_receipt(client, app_ctx, org_keys):
    response = submit_report(
        client,
        narrative="1998년 회령 보위부 구류장에서 고문을 당했습니다.",
        categories=["V02", "V02.1", "V99"],
        when_precision="year",
        when_year="1998",
        province="KP-09",
        place="회령시",
        facility_type="guryujang",
        victim_count="1",
        victim_relation="self",
        perpetrator_type="state_security",
        source_connection="victim",
        consent_un="y",
        contact_alias="철수",
        contact_channel="signal",
        contact_handle="@cheolsu",
        files=[("증언 기록.jpg", jpeg_with_gps()), ("메모.txt", "회령 고문 메모".encode())],
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200, html[:2000]
    code = receipt_code(html).replace(" ", "")
    assert len(code) == 16 and code.isdigit()
    assert "안전" in html  # advice on keeping the code

    submission = db.session.scalar(sa.select(Submission))
    assert submission.receipt_lookup == receipt_secret(db.session, code).lookup
    assert code not in (submission.receipt_lookup or "")
    assert [c.code for c in submission.categories] == ["V02", "V02.1", "V99"]
    assert submission.when_year == 1998 and submission.when_date is None
    assert submission.consent_un and not submission.consent_accountability
    assert submission.contact_sealed and b"cheolsu" not in submission.contact_sealed
    assert open_contact(org_keys.keyring, submission).handle == "@cheolsu"

    key = opened(submission, org_keys.keyring)
    photo, memo = submission.attachments
    assert photo.name == "증언 기록.jpg" and memo.name == "메모.txt"
    assert photo.media_type == "image/jpeg" and photo.metadata_stripped
    kept = read_bytes(photo, client.application.config["UPLOAD_DIR"], key)
    with Image.open(io.BytesIO(kept)) as image:
        exif = image.getexif()
        assert exif.get(0x0112) == 6  # orientation kept so the photo is not shown sideways
        assert 0x010F not in exif and 0x8825 not in exif
        assert "comment" not in image.info
    import hashlib

    assert hashlib.sha256(kept).hexdigest() == photo.sha256
    assert photo.received_sha256 != photo.sha256
    newest = sa.select(AuditEvent.action).order_by(AuditEvent.id.desc()).limit(1)
    assert db.session.scalar(newest) == "submission.created"


def test_keep_metadata_keeps_the_original_bytes(client, app_ctx, org_keys):
    original = jpeg_with_gps()
    response = submit_report(client, keep_metadata="y", files=[("photo.jpg", original)])
    assert response.status_code == 200
    attachment = db.session.scalar(sa.select(Attachment))
    assert not attachment.metadata_stripped
    key = opened(attachment.submission, org_keys.keyring)
    assert read_bytes(attachment, client.application.config["UPLOAD_DIR"], key) == original


def test_english_report_minimal(client, app_ctx):
    response = submit_report(client, lang="en", narrative="I saw a public execution in Hyesan.")
    assert response.status_code == 200
    assert "Your report was received" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(Submission.locale)) == "en"
