"""Working an item: every action through the real forms (evidence hold included), audited, with
stale-form refusal."""
from __future__ import annotations

import re

import sqlalchemy as sa

from app.extensions import db
from app.models import Note, Submission
from app.sealed import vault
from tests.factories import HANDLE, SubmissionFactory, UserFactory
from tests.helpers import act, audit_actions, jpeg_with_gps, opened, pdf_bytes, post_form


def test_item_page_renders_everything_safely_and_audits_the_view(client, app, auth):
    item = SubmissionFactory(narrative="<script>alert('x')</script> 회령에서 고문을 당했습니다.", place="<b>회령</b>",
                             categories=["V02.1"], with_contact_details=True,
                             files=[("증언 사진.jpg", jpeg_with_gps())])
    auth.login()
    html = client.get(f"/staff/submissions/{item.public_id}").get_data(as_text=True)
    assert "&lt;script&gt;alert(" in html and "<script>alert" not in html
    assert "&lt;b&gt;회령&lt;/b&gt;" in html
    assert "증언 사진.jpg" in html and re.search(r"[0-9a-f]{64}", html)
    assert HANDLE not in html  # hidden until revealed
    assert "submission.viewed" in audit_actions(app)
    # The recoding form offers checkboxes (not stray <option>s), the current code ticked.
    assert '<input type="checkbox" name="categories-categories" id="category-V02.1" value="V02.1" checked>' in html
    assert '<option' not in html.split('id="categories"')[1].split("</form>")[0]


def test_reveal_is_a_post_and_is_audited(client, app, auth):
    item = SubmissionFactory(with_contact_details=True)
    auth.login(contact_access=True)
    assert client.get(f"/staff/submissions/{item.public_id}/reveal").status_code == 405
    html = act(client, item.public_id, "reveal", {}).get_data(as_text=True)
    assert HANDLE in html and "철수" in html
    assert "submission.contact_revealed" in audit_actions(app)


def test_an_officer_without_the_contact_right_cannot_reveal(client, app, auth):
    """Contact details are sealed to the identity key, which this account was never given."""
    item = SubmissionFactory(with_contact_details=True)
    auth.login()
    page = client.get(f"/staff/submissions/{item.public_id}").get_data(as_text=True)
    assert "연락처 열람 권한이 있는 계정만" in page
    assert f'action="/staff/submissions/{item.public_id}/reveal"' not in page
    refused = act(client, item.public_id, "reveal", {})
    assert refused.status_code == 422 and HANDLE not in refused.get_data(as_text=True)
    assert "submission.contact_revealed" not in audit_actions(app)


def test_download_is_an_attachment_with_the_hangul_name(client, app, auth):
    original = pdf_bytes("testimony")
    item = SubmissionFactory(files=[("2019년 회령 증언.pdf", original)])
    auth.login()
    page = client.get(f"/staff/submissions/{item.public_id}").get_data(as_text=True)
    link = re.search(r'href="(/staff/submissions/[^"]+/files/\d+)"', page).group(1)
    response = client.get(link)
    assert response.data == original
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=UTF-8''2019%EB%85%84%20%ED%9A%8C%EB%A0%B9%20%EC%A6%9D%EC%96%B8.pdf" in disposition
    assert response.mimetype == "application/octet-stream"
    assert "attachment.downloaded" in audit_actions(app)


def _version(app, public_id):
    with app.app_context():
        return str(db.session.scalar(sa.select(Submission.version).where(Submission.public_id == public_id)))


def test_status_workflow_reasons_and_duplicates(client, app, auth, org_keys):
    first, second = SubmissionFactory().public_id, SubmissionFactory().public_id
    auth.login()
    bad = act(client, first, "status", {"status": "referred", "version": _version(app, first)})
    # The refusal names the current status and the statuses that are possible from it, in order.
    assert bad.status_code == 422
    refusal = "‘신규’ 상태에서는 이 상태로 바꿀 수 없습니다. 바꿀 수 있는 상태: 검토 중, 중복, 반려."
    assert refusal in bad.get_data(as_text=True)
    assert act(client, first, "status", {"status": "in_review", "version": _version(app, first)}).status_code == 302
    no_reason = act(client, first, "status", {"status": "rejected", "version": _version(app, first), "reason": ""})
    assert "사유를 적어 주세요" in no_reason.get_data(as_text=True)
    no_target = act(client, second, "status",
                    {"status": "duplicate", "version": _version(app, second), "reason": "같은 사건"})
    assert "원래 건의 번호" in no_target.get_data(as_text=True)
    ok = act(client, second, "status", {"status": "duplicate", "version": _version(app, second), "reason": "같은 사건",
                                          "duplicate_of": first.lower()})
    assert ok.status_code == 302
    with app.app_context():
        dup = db.session.scalar(sa.select(Submission).where(Submission.public_id == second))
        opened(dup, org_keys.keyring)
        assert dup.status == "duplicate" and dup.duplicate_of.public_id == first and dup.status_reason == "같은 사건"
    assert audit_actions(app).count("submission.status") == 2


def test_stale_form_is_refused_not_overwritten(client, app, auth):
    public_id = SubmissionFactory().public_id
    auth.login()
    old_version = _version(app, public_id)
    assert act(client, public_id, "assessment", {"priority": "urgent", "version": old_version}).status_code == 302
    stale = act(client, public_id, "assessment", {"priority": "low", "version": old_version})
    assert stale.status_code == 422 and "다른 담당자가 내용을 바꿨습니다" in stale.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(Submission.priority)) == "urgent"


def test_assessment_assignment_recoding_and_notes(client, app, auth, org_keys):
    public_id = SubmissionFactory(categories=["V02"]).public_id
    second = UserFactory(email="second@example.org").id
    auth.login()
    assert act(client, public_id, "assessment", {"priority": "high", "violation_status": "likely",
                                                  "reliability": "unsure", "version": _version(app, public_id)}
               ).status_code == 302
    assert act(client, public_id, "assessment",
               {"priority": "nonsense", "version": _version(app, public_id)}).status_code == 422
    assert act(client, public_id, "assign",
               {"assignee": str(second), "version": _version(app, public_id)}).status_code == 302
    assert act(client, public_id, "assign",
               {"assignee": "99999", "version": _version(app, public_id)}).status_code == 422
    assert act(client, public_id, "categories",
               {"categories": ["V01.1", "V03"], "version": _version(app, public_id)}).status_code == 302
    assert act(client, public_id, "categories",
               {"categories": ["V77"], "version": _version(app, public_id)}).status_code == 422
    empty = act(client, public_id, "note", {"body": "  "})
    assert empty.status_code == 422 and "메모를 적어 주세요" in empty.get_data(as_text=True)
    assert act(client, public_id, "note", {"body": "교차 확인 필요: 회령 2019"}).status_code == 302
    with app.app_context():
        item = db.session.scalar(sa.select(Submission))
        assert (item.priority, item.violation_status, item.reliability) == ("high", "likely", "unsure")
        assert item.assignee_id == second
        assert [c.code for c in item.categories] == ["V01.1", "V03"]
        assert vault.open_note(db.session.scalar(sa.select(Note)), org_keys.keyring).body == "교차 확인 필요: 회령 2019"
    for action in ("submission.priority", "submission.assessment", "submission.assigned", "submission.recoded",
                   "note.added"):
        assert action in audit_actions(app)


def test_message_round_trip_submitter_and_officer(client, app, auth):
    item = SubmissionFactory()
    submitter = app.test_client()
    auth.login()
    assert act(client, item.public_id, "message", {"body": "혹시 날짜를 기억하시나요?"}).status_code == 302
    post_form(submitter, "/ko/receipt", {"code": item.receipt_code})
    page = submitter.get("/ko/receipt/status").get_data(as_text=True)
    assert "혹시 날짜를 기억하시나요?" in page and "담당자" in page
    post_form(submitter, "/ko/receipt/status", {"body": "2019년 3월이었습니다."}, files=[])
    queue = client.get("/staff/").get_data(as_text=True)
    assert 'class="unread"' in queue
    item_page = client.get(f"/staff/submissions/{item.public_id}").get_data(as_text=True)
    assert "2019년 3월이었습니다." in item_page
    assert 'class="unread"' not in client.get("/staff/").get_data(as_text=True)  # opened: read
    assert "message.sent" in audit_actions(app) and "submission.followup" in audit_actions(app)


def test_unknown_item_and_action_are_404(client, auth):
    auth.login()
    assert client.get("/staff/submissions/NOPE").status_code == 404
    assert act(client, SubmissionFactory().public_id, "explode", {}).status_code == 404


def test_evidence_hold_set_and_release_from_the_item_page(client, app, auth, org_keys):
    public_id = SubmissionFactory().public_id
    auth.login()
    page = f"/staff/submissions/{public_id}"
    refused = act(client, public_id, "hold", {"reason": "", "hold": "y"})
    assert refused.status_code == 422 and "증거 보존 조치 사유를 적어 주세요" in refused.get_data(as_text=True)
    too_long = act(client, public_id, "hold", {"reason": "가" * 1001, "hold": "y"})
    assert too_long.status_code == 422 and "가" * 1001 in too_long.get_data(as_text=True)
    assert act(client, public_id, "hold", {"reason": "ICC 제출 예정", "hold": "y"}).status_code == 302
    html = client.get(page).get_data(as_text=True)
    assert "증거 보존 조치 중입니다" in html and "ICC 제출 예정" in html
    with app.app_context():
        item = db.session.scalar(sa.select(Submission))
        opened(item, org_keys.keyring)
        assert item.evidence_hold and item.evidence_hold_reason == "ICC 제출 예정" and item.evidence_hold_at
    assert act(client, public_id, "hold", {"release": "y"}).status_code == 302
    with app.app_context():
        assert not db.session.scalar(sa.select(Submission.evidence_hold))
    actions = audit_actions(app)
    assert "submission.evidence_hold" in actions and "submission.evidence_released" in actions


def test_the_officer_is_warned_where_a_state_can_read_the_channel(client, app, auth):
    """The form promised the submitter what the officer will not send on such channels; the
    officer reads the same promise beside the revealed details."""
    read = SubmissionFactory(contact_alias="영희", contact_channel="wechat", contact_handle="yh1988")
    chinese_mail = SubmissionFactory(contact_alias="순희", contact_channel="email", contact_handle="sh@QQ.com ")
    safe = SubmissionFactory(contact_alias="철수", contact_channel="signal", contact_handle="@cs")
    auth.login(contact_access=True)
    page = act(client, read.public_id, "reveal", {}).get_data(as_text=True)
    assert 'id="channel-warning"' in page and "국가가 읽을 수 있는" in page and "시그널로" in page
    assert "중국 회사의 주소" not in page
    page = act(client, chinese_mail.public_id, "reveal", {}).get_data(as_text=True)
    assert 'id="channel-warning"' in page and "중국 회사의 주소" in page
    assert 'id="channel-warning"' not in act(client, safe.public_id, "reveal", {}).get_data(as_text=True)
