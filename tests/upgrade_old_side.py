"""Run by tests/test_upgrade.py with PYTHONPATH set to the PREVIOUS release's tree: migrates an
empty database with that release's migrations and fills it with that release's own code (its
services, through its factories), then prints what the new code must find, as JSON.

Nothing here may import from this checkout: the interpreter sees only the old tree."""
from __future__ import annotations

import json
import os
import sys

from flask_migrate import upgrade

from app import create_app
from app.extensions import db
from app.sealed import keys
from config import TestingConfig
from tests import factories
from tests.helpers import pdf_bytes

NARRATIVE = "회령 보위부 구류장에서 고문을 당했습니다. 업그레이드 확인용 제보입니다."
TEXT_FILE = "증언 메모.txt", "두만강을 건넌 날: 2019년 3월 2일\n".encode()


class Config(TestingConfig):
    SQLALCHEMY_DATABASE_URI = os.environ["UPGRADE_DATABASE_URL"]
    UPLOAD_DIR = os.environ["UPGRADE_UPLOAD_DIR"]


def main() -> None:
    app = create_app(Config)
    factories.use_app(app)
    with app.app_context():
        upgrade()
        keyring, recovery = keys.create_keys(db.session, "cli")
        db.session.commit()
        factories.use_keys(keyring)
        factories.UserFactory(email="admin@example.org", admin=True)
        factories.UserFactory(email="officer@example.org")
        item = factories.SubmissionFactory(
            narrative=NARRATIVE, files=[TEXT_FILE, ("진술서.pdf", pdf_bytes("statement"))],
            contact_handle="@upgrade-handle", followups=["두 번째로 보내는 내용입니다."],
            staff_messages=["날짜를 기억하시나요?"], notes=["담당자 메모: 교차 확인 필요"])
        factories.SubscriberFactory(email="ngo@example.org")
        update = factories.UpdateFactory(slug="upgrade-news")  # published: mailed to the subscriber
        revision = db.session.scalar(db.text("SELECT version_num FROM alembic_version"))
        events = db.session.scalar(db.text("SELECT count(*) FROM audit_event"))
        json.dump({"recovery_code": recovery, "receipt_code": item.receipt_code, "public_id": item.public_id,
                   "narrative": NARRATIVE, "file_name": TEXT_FILE[0], "file_text": TEXT_FILE[1].decode(),
                   "followup": "두 번째로 보내는 내용입니다.", "message": "날짜를 기억하시나요?",
                   "note": "담당자 메모: 교차 확인 필요", "update_slug": update.slug,
                   "revision": revision, "audit_events": events},
                  sys.stdout)
        db.session.remove()
        db.engine.dispose()


if __name__ == "__main__":
    main()
