"""A group that lost its passphrase sets a new one with the recovery code shown at joining
(issue 23: the private key is wrapped under the passphrase and under that code)."""
from __future__ import annotations

import re

from tests.groups.pages import PASSPHRASE, create_group, join, login, logout, send_testimony
from tests.helpers import audit_actions, post_form

NEW = "새로 정한 모임 비밀 문구 2027"


def _recover(client, number, code, passphrase=NEW, lang="ko", totp=""):
    return post_form(client, f"/{lang}/group/recover", {"group_number": number, "recovery_code": code, "totp": totp,
                                                         "passphrase": passphrase, "passphrase_again": passphrase})


def _joined(app, auth, client):
    admin = app.test_client()
    auth.login("admin", client=admin, contact_access=True)
    number, recovery = join(client, create_group(admin))
    return admin, number, recovery


def test_the_recovery_code_sets_a_new_passphrase_and_the_old_one_stops_working(app, auth, client):
    _admin, number, recovery = _joined(app, auth, client)
    assert send_testimony(client, "복구 전에 보낸 증언입니다").status_code == 302
    logout(client)
    assert "/ko/group/recover" in client.get("/ko/group").get_data(as_text=True)

    recovered = _recover(client, number, recovery.lower().replace("-", " "))  # as typed from paper
    assert recovered.status_code == 200 and "새 비밀 문구를 정했습니다" in recovered.get_data(as_text=True)
    space = client.get("/ko/group/space").get_data(as_text=True)  # logged in: the old testimony opens
    item = re.search(r"/ko/group/space/items/([0-9A-Z]+)", space).group(1)
    assert "복구 전에 보낸 증언" in client.get(f"/ko/group/space/items/{item}").get_data(as_text=True)
    logout(client)
    assert login(client, number, passphrase=PASSPHRASE).status_code == 422  # the old passphrase opens nothing
    assert login(client, number, passphrase=NEW).status_code == 302
    logout(client)
    assert _recover(client, number, recovery, passphrase=NEW + " 다시").status_code == 200  # the code still works
    assert "group.recovered" in audit_actions(app)


def test_a_wrong_code_an_unknown_group_and_a_short_passphrase_are_refused_without_telling_which(app, auth, client):
    _admin, number, recovery = _joined(app, auth, client)
    logout(client)
    wrong = _recover(client, number, "A" * len(recovery))
    unknown = _recover(client, "0000-0000", recovery)
    for response in (wrong, unknown):
        assert response.status_code == 422
        assert "모임 번호나 복구 코드가 맞지 않습니다." in response.get_data(as_text=True)
        assert "Set-Cookie" not in response.headers or "session=;" in response.headers["Set-Cookie"]
    short = _recover(client, number, recovery, passphrase="짧음")
    assert short.status_code == 422 and number in short.get_data(as_text=True)  # what was typed is kept
    english = _recover(client, number, "B" * len(recovery), lang="en")
    assert "The group number or the recovery code is not correct." in english.get_data(as_text=True)
    assert login(client, number, passphrase=PASSPHRASE).status_code == 302  # nothing changed


def test_a_suspended_group_cannot_recover_its_way_in(app, auth, client):
    admin, number, recovery = _joined(app, auth, client)
    logout(client)
    assert post_form(admin, f"/admin/groups/{number}/suspend", {}, page_url="/admin/groups").status_code == 302
    refused = _recover(client, number, recovery)
    assert refused.status_code == 422 and client.get("/ko/group/space").status_code in (302, 303)
