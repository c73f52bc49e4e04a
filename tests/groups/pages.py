"""Driving the partner-group pages through the real forms (CSRF on), for the tests."""
from __future__ import annotations

import re

from tests.helpers import post_form

INVITE_RE = re.compile(r'id="invitation-code">([0-9A-Z-]+)<')
NUMBER_RE = re.compile(r'id="group-number">([0-9A-Z]+)<')
RECOVERY_RE = re.compile(r'id="group-recovery-code">([0-9A-Z-]+)<')
PASSPHRASE = "우리 모임 비밀 문구 2026"


def create_group(admin_client, name="함경북도 고향 모임", contacts="대표 김 010-1111-2222") -> str:
    """An admin creates a group; returns the invitation code shown once."""
    response = post_form(admin_client, "/admin/groups/new", {"name": name, "contacts": contacts},
                         page_url="/admin/groups")
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return INVITE_RE.search(response.get_data(as_text=True)).group(1)


def join(client, code, lang="ko", passphrase=PASSPHRASE, named=False, source_name=""):
    """The group joins; returns (group number, recovery code)."""
    data = {"code": code, "passphrase": passphrase, "passphrase_again": passphrase, "source_name": source_name}
    if named:
        data["named"] = "y"
    response = post_form(client, f"/{lang}/group/join", data)
    html = response.get_data(as_text=True)
    assert response.status_code == 200, html[:800]
    return NUMBER_RE.search(html).group(1), RECOVERY_RE.search(html).group(1)


def login(client, number, passphrase=PASSPHRASE, totp="", lang="ko"):
    return post_form(client, f"/{lang}/group", {"group_number": number, "passphrase": passphrase, "totp": totp})


def logout(client, lang="ko"):
    return post_form(client, f"/{lang}/group/logout", {}, page_url=f"/{lang}/group/space")


def send_testimony(client, narrative, lang="ko", files=None, **fields):
    return post_form(client, f"/{lang}/group/space/new", {"narrative": narrative, **fields}, files=files or [])
