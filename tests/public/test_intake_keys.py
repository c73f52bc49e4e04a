"""Before the organization's keys exist nothing can be sealed, so the public forms say so and
accept nothing; a development installation creates its keys itself and says where the
recovery code is."""
from __future__ import annotations

import sqlalchemy as sa

from app import form_tokens
from app.extensions import db
from app.models import Submission
from app.sealed import keys


def test_without_keys_the_forms_say_so_and_keep_nothing(client, app, no_keys):
    for lang, words in (("ko", "아직 제보를 받을 수 없습니다"), ("en", "This site is not accepting reports yet")):
        for path in (f"/{lang}/report", f"/{lang}/contact"):
            page = client.get(path)
            assert page.status_code == 503 and words in page.get_data(as_text=True)
    with app.test_request_context("/ko/report"):
        token = form_tokens.issue("public.report")  # a valid form post: the page itself shows no form
    sent = client.post("/ko/report", data={"narrative": "보위부 구류장에서 고문을 당했습니다.", "csrf_token": token})
    assert sent.status_code == 503
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Submission)) == 0


def test_a_development_installation_makes_its_own_keys(client, app, no_keys, tmp_path):
    code_file = tmp_path / "DEVELOPMENT-RECOVERY-CODE.txt"
    app.config["DEVELOPMENT_KEYS_FILE"] = str(code_file)
    try:
        assert client.get("/ko/report").status_code == 200
    finally:
        del app.config["DEVELOPMENT_KEYS_FILE"]
    with app.app_context():
        assert keys.unlock_with_recovery(db.session, code_file.read_text().strip()).org
