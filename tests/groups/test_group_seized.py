"""The seized-server promise for partner groups (issue 23, item 2): a copy of everything at
rest, taken while nobody is logged in, shows no group name, no member's contact, no word of
a group testimony, message or file name, and neither the invitation code, the passphrase nor
the recovery code; no key of the configuration opens any of the group's sealed values. Then
the group and an officer log in and read everything back."""
from __future__ import annotations

import sqlalchemy as sa

from app.extensions import db
from app.models import GroupMessage, KeySession, PartnerGroup, Submission
from tests.groups.pages import PASSPHRASE, create_group, join, login, logout, send_testimony
from tests.helpers import act, pdf_bytes, post_form
from tests.test_seized_server import configuration_keys, encodings, opens, seized_copy

MARKERS = {
    "name": "GROUPNAMEMARK4417 뷁뛟 모임",
    "contacts": "MEMBERMARK4417 010-9999-4417",
    "source": "SOURCEMARK4417 출처 이름",
    "testimony": "TESTIMONYMARK4417 뷁뛟쀍 집결소",
    "place": "GPLACEMARK4417 온성",
    "reply": "GREPLYMARK4417 담당자 답변",
    "addition": "GADDMARK4417 덧붙인 말",
    "broadcast": "BROADCASTMARK4417 모임 전체에",
    "file": "GFILEMARK4417 증언.pdf",
}


def _workload(app, auth):
    admin, group_client, officer = app.test_client(), app.test_client(), app.test_client()
    auth.login("admin", client=admin, contact_access=True)
    code = create_group(admin, name=MARKERS["name"], contacts=MARKERS["contacts"])
    number, recovery = join(group_client, code, named=True, source_name=MARKERS["source"])
    assert send_testimony(group_client, MARKERS["testimony"], place=MARKERS["place"],
                          files=[(MARKERS["file"], pdf_bytes())]).status_code == 302
    with app.app_context():
        public_id = db.session.scalar(sa.select(Submission.public_id))
    auth.login("officer", client=officer)
    assert act(officer, public_id, "message", {"body": MARKERS["reply"]}).status_code == 302
    assert post_form(officer, f"/staff/groups/{number}", {"body": MARKERS["broadcast"]}).status_code == 302
    added = post_form(group_client, f"/ko/group/space/items/{public_id}", {"body": MARKERS["addition"]})
    assert added.status_code == 302
    logout(group_client)
    for client in (admin, officer):
        post_form(client, "/staff/logout", {}, page_url="/staff/")
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(KeySession)) == 0
    return {"code": code, "recovery": recovery, "number": number, "public_id": public_id}


def _group_sealed_values(app) -> list[tuple[bytes, bytes]]:
    with app.app_context():
        group = db.session.scalar(sa.select(PartnerGroup))
        gid = group.public_id
        values = [(group.profile_sealed, f"partner_group.profile:{gid}".encode()),
                  (group.source_name_sealed, f"partner_group.source_name:{gid}".encode()),
                  (group.key_wrapped, f"partner_group.key:{gid}".encode()),
                  (group.recovery_wrapped, f"partner_group.recovery:{gid}".encode())]
        for message in db.session.scalars(sa.select(GroupMessage)):
            place = f"partner_group_message.body:{message.id}:{gid}".encode()
            values += [(message.body_for_group, place), (message.body_for_org, place)]
        for item in db.session.scalars(sa.select(Submission)):
            values.append((item.key_for_group, f"submission.group_key:{item.public_id}".encode()))
        db.session.rollback()
    return values


def test_a_seized_server_shows_nothing_of_a_group(app, auth, org_keys):
    state = _workload(app, auth)
    copy = seized_copy(app)
    secrets = {"invitation": state["code"], "recovery": state["recovery"], "passphrase": PASSPHRASE}
    for name, marker in {**MARKERS, **secrets}.items():
        for encoded in encodings(marker):
            assert encoded not in copy, f"{name} found in the copy as {encoded[:40]!r}"
    for bare in (state["code"].replace("-", ""), state["recovery"].replace("-", "")):
        assert bare.encode() not in copy
    values = _group_sealed_values(app)
    # The places are right: the org key opens what is sealed to it (source name, officers' copy).
    assert sum(opens(org_keys.keyring.org, blob, place) for blob, place in values) >= 2
    for key in configuration_keys(app):
        assert not any(opens(key, blob, place) for blob, place in values)

    # After the seizure, the group and an officer read everything back.
    group_client = app.test_client()
    assert login(group_client, state["number"]).status_code == 302
    space = group_client.get("/ko/group/space").get_data(as_text=True)
    assert MARKERS["broadcast"] in space
    thread = group_client.get(f"/ko/group/space/items/{state['public_id']}").get_data(as_text=True)
    for name in ("testimony", "place", "reply", "addition"):
        assert MARKERS[name] in thread, name
    officer = app.test_client()
    auth.login("admin", client=officer, contact_access=True, totp_secret=None, email="admin2@example.org")
    page = officer.get(f"/staff/groups/{state['number']}").get_data(as_text=True)
    for name in ("name", "contacts", "source", "broadcast"):
        assert MARKERS[name] in page, name
