"""Partner groups through the real pages (issue 23, item 5): an admin creates a group, the
group joins and logs in, sends testimonies, reads the officers' replies and adds to them, and
is locked out at once by a suspension or an ended session."""
from __future__ import annotations

import sqlalchemy as sa

from app.extensions import db
from app.models import AuditEvent, PartnerGroup, Submission
from tests.groups.pages import PASSPHRASE, create_group, join, login, logout, send_testimony
from tests.helpers import act, audit_actions, pdf_bytes, post_form, totp_code


def _joined(app, auth, client, **join_args):
    admin = app.test_client()
    auth.login("admin", client=admin, contact_access=True)
    code = create_group(admin)
    number, recovery = join(client, code, **join_args)
    return admin, code, number, recovery


def test_no_cookie_before_login_then_join_logs_in(app, auth, client):
    for url in ("/ko/group", "/en/group", "/ko/group/join"):
        response = client.get(url)
        assert response.status_code == 200 and "Set-Cookie" not in response.headers, url
    _admin, _code, number, _recovery = _joined(app, auth, client)
    page = client.get("/ko/group/space")
    assert page.status_code == 200 and number in page.get_data(as_text=True)


def test_invitation_works_once(app, auth, client):
    _admin, code, _number, _recovery = _joined(app, auth, client)
    other = app.test_client()
    response = post_form(other, "/ko/group/join", {"code": code, "passphrase": PASSPHRASE,
                                                    "passphrase_again": PASSPHRASE})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "초대 코드" in html and code in html  # the message, and what was typed is kept


def test_bad_join_input_is_explained_in_korean_and_english(client):
    for lang, words in (("ko", "12자"), ("en", "12 characters")):
        response = post_form(client, f"/{lang}/group/join", {"code": "ABC", "passphrase": "짧음",
                                                              "passphrase_again": "다름", "named": "y"})
        html = response.get_data(as_text=True)
        assert response.status_code == 422 and words in html


def test_testimony_thread_reply_and_addition(app, auth, client):
    _admin, _code, _number, _recovery = _joined(app, auth, client)
    response = send_testimony(client, "회령 집결소에서 구타를 당했다는 회원의 증언입니다.", place="회령",
                              files=[("회원 증언서.pdf", pdf_bytes("group testimony"))])
    assert response.status_code == 302, response.get_data(as_text=True)[:800]
    with app.app_context():
        item = db.session.scalar(sa.select(Submission))
        assert item.group_id is not None and item.receipt_lookup is None and item.key_for_group
        public_id = item.public_id
    officer = app.test_client()
    auth.login("officer", client=officer)
    assert act(officer, public_id, "message", {"body": "언제 있었던 일인지 아시나요?"}).status_code == 302
    page = client.get(f"/ko/group/space/items/{public_id}").get_data(as_text=True)
    assert "회령 집결소에서" in page and "언제 있었던 일인지 아시나요?" in page
    assert "회원 증언서.pdf" in page  # the testimony's own files are listed with it
    added = post_form(client, f"/ko/group/space/items/{public_id}", {"body": "2019년 겨울이었습니다."})
    assert added.status_code == 302
    assert "2019년 겨울이었습니다." in client.get(f"/ko/group/space/items/{public_id}").get_data(as_text=True)
    space = client.get("/ko/group/space").get_data(as_text=True)
    assert (public_id in space and "답변 1개" in space) or public_id in space


def test_a_group_cannot_open_another_groups_submission(app, auth, client):
    admin, _code, _number, _recovery = _joined(app, auth, client)
    send_testimony(client, "첫째 모임의 증언입니다.")
    with app.app_context():
        public_id = db.session.scalar(sa.select(Submission.public_id))
    second = app.test_client()
    join(second, create_group(admin, name="둘째 모임"), passphrase="둘째 모임의 긴 비밀 문구")
    assert second.get(f"/ko/group/space/items/{public_id}").status_code == 404
    assert "첫째 모임의 증언" not in second.get("/ko/group/space").get_data(as_text=True)


def test_login_logout_and_wrong_passphrase(app, auth, client):
    _admin, _code, number, _recovery = _joined(app, auth, client)
    assert logout(client).status_code == 302
    assert client.get("/ko/group/space").status_code == 302
    wrong = login(client, number, passphrase="틀린 비밀 문구입니다 정말로")
    unknown = login(client, "ZZZZZZZZ")
    assert wrong.status_code == unknown.status_code == 422
    assert "모임 번호나 비밀 문구가 맞지 않습니다" in wrong.get_data(as_text=True)
    assert wrong.get_data(as_text=True).count("맞지 않습니다") == unknown.get_data(as_text=True).count("맞지 않습니다")
    assert login(client, number).status_code == 302
    assert client.get("/ko/group/space").status_code == 200


def test_login_is_throttled(app, auth, client):
    _admin, _code, number, _recovery = _joined(app, auth, client)
    logout(client)
    for _ in range(5):
        login(client, number, passphrase="틀린 비밀 문구입니다 정말로")
    locked = login(client, number)  # the right passphrase, while locked
    assert (locked.status_code == 422 and "분 뒤에" in locked.get_data(as_text=True)) or locked.status_code == 429


def test_suspension_and_ended_sessions_take_effect_at_once(app, auth, client):
    admin, _code, number, _recovery = _joined(app, auth, client)
    copy = app.test_client()
    copy.set_cookie("session", client.get_cookie("session").value)
    assert copy.get("/ko/group/space").status_code == 200
    post_form(admin, f"/admin/groups/{number}/end-sessions", {}, page_url="/admin/groups")
    assert client.get("/ko/group/space").status_code == 302
    assert copy.get("/ko/group/space").status_code == 302
    assert login(client, number).status_code == 302
    post_form(admin, f"/admin/groups/{number}/suspend", {}, page_url="/admin/groups")
    assert client.get("/ko/group/space").status_code == 302
    refused = login(client, number)
    assert refused.status_code == 422 and "닫혀 있습니다" in refused.get_data(as_text=True)
    post_form(admin, f"/admin/groups/{number}/suspend", {}, page_url="/admin/groups")  # reactivate
    assert login(client, number).status_code == 302
    actions = audit_actions(app)
    for action in ("group.created", "group.joined", "group.sessions_ended", "group.suspended", "group.reactivated"):
        assert action in actions
    with app.app_context():
        details = " ".join(str(e.details) for e in db.session.scalars(sa.select(AuditEvent)))
    assert "함경북도 고향 모임" not in details


def test_admin_sees_the_name_only_with_the_contact_right(app, auth, client):
    admin, _code, number, _recovery = _joined(app, auth, client)
    assert "함경북도 고향 모임" in admin.get("/admin/groups").get_data(as_text=True)
    officer = app.test_client()
    auth.login("officer", client=officer, contact_access=False)
    page = officer.get(f"/staff/groups/{number}").get_data(as_text=True)
    assert number in page and "함경북도 고향 모임" not in page


def test_totp_set_up_then_needed_at_login(app, auth, client):
    _admin, _code, number, _recovery = _joined(app, auth, client)
    page = client.get("/ko/group/space/settings").get_data(as_text=True)
    import re
    secret = re.search(r'id="group-totp-secret">([A-Z2-7]+)<', page).group(1)
    response = post_form(client, "/ko/group/space/settings",
                         {"totp-secret": secret, "totp-code": totp_code(secret), "totp-submit": "y"})
    assert response.status_code == 302
    logout(client)
    assert login(client, number).status_code == 422
    assert login(client, number, totp=totp_code(secret, offset_steps=1)).status_code == 302
    with app.app_context():
        assert db.session.scalar(sa.select(PartnerGroup.totp_secret_encrypted)) is not None


def _case_file_source(officer, public_id):
    import io
    import json
    import zipfile
    response = act(officer, public_id, "export", {})
    assert response.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    return (json.loads(archive.read(f"{public_id}/submission.json")).get("source"),
            archive.read(f"{public_id}/submission.html").decode())


def test_case_file_names_the_group_only_when_it_agreed(app, auth, client):
    _admin, _code, number, _recovery = _joined(app, auth, client, named=True, source_name="온성 고향 모임")
    send_testimony(client, "이름을 밝혀도 되는 모임의 증언입니다.")
    with app.app_context():
        public_id = db.session.scalar(sa.select(Submission.public_id))
    officer = app.test_client()
    auth.login("officer", client=officer)
    source, html = _case_file_source(officer, public_id)
    assert source == {"partner_group": "온성 고향 모임"} and "온성 고향 모임" in html
    # The group withdraws its agreement in its settings: the next case file names nobody.
    response = post_form(client, "/ko/group/space/settings", {"naming-source_name": "", "naming-submit": "y"})
    assert response.status_code == 302
    source, html = _case_file_source(officer, public_id)
    assert source is None and "온성 고향 모임" not in html and number not in html


def test_queue_filters_by_partner_group(app, auth, client):
    from tests.helpers import submit_report
    _admin, _code, number, _recovery = _joined(app, auth, client)
    send_testimony(client, "모임에서 보낸 증언입니다.")
    submit_report(app.test_client(), narrative="개인이 보낸 제보입니다.")
    with app.app_context():
        group_item = db.session.scalar(sa.select(Submission.public_id).where(Submission.group_id.is_not(None)))
        single = db.session.scalar(sa.select(Submission.public_id).where(Submission.group_id.is_(None)))
    officer = app.test_client()
    auth.login("officer", client=officer)
    everything = officer.get("/staff/").get_data(as_text=True)
    assert group_item in everything and single in everything
    filtered = officer.get(f"/staff/?group={number}").get_data(as_text=True)
    assert group_item in filtered and single not in filtered
    page = officer.get(f"/staff/groups/{number}").get_data(as_text=True)
    assert group_item in page and "제보 1건" in page
