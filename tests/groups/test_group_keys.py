"""Partner groups' keys and sealed values (app/sealed/groups.py, services/groups): each
protection is checked by trying to get past it."""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import PartnerGroup, Submission
from app.models.base import utcnow
from app.sealed import groups as sealed_groups
from app.sealed import vault
from app.sealed.keys import Keyring, KeysError
from app.services.groups import accounts, intake, space


def _created(name="탈북민 모임 하나", contacts="회장 010-1234-5678"):
    group, code = accounts.create(db.session, name, contacts, "test")
    db.session.commit()
    return group, code


def test_invitation_code_joins_once_and_is_not_stored(app_ctx):
    _group, code = _created()
    row = db.session.execute(sa.select(PartnerGroup.__table__)).one()
    assert code not in repr(row) and code.replace("-", "") not in repr(row)
    joined = accounts.join(db.session, code.lower(), "긴 비밀 문구 하나 둘 셋", False, None)
    db.session.commit()
    assert joined.group.status == "active" and joined.group.invite_lookup is None
    with pytest.raises(accounts.GroupRefused, match="bad_code"):
        accounts.join(db.session, code, "another long passphrase", False, None)


def test_expired_invitation_is_refused(app_ctx):
    group, code = _created()
    group.invite_expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    with pytest.raises(accounts.GroupRefused, match="bad_code"):
        accounts.join(db.session, code, "긴 비밀 문구 하나 둘 셋", False, None)


def test_private_key_opens_with_passphrase_or_recovery_code_only(app_ctx):
    group, code = _created()
    joined = accounts.join(db.session, code, "긴 비밀 문구 하나 둘 셋", False, None)
    assert sealed_groups.unlock(group, "긴 비밀 문구 하나 둘 셋") == joined.private_key
    assert sealed_groups.unlock_with_recovery(group, joined.recovery_code.lower()) == joined.private_key
    with pytest.raises(KeysError, match="wrong_password"):
        sealed_groups.unlock(group, "긴 비밀 문구 하나 둘 넷")
    with pytest.raises(KeysError, match="wrong_code"):
        sealed_groups.unlock_with_recovery(group, code)  # the invitation code opens nothing
    sealed_groups.rewrap_passphrase(group, joined.private_key, "a brand new passphrase")
    with pytest.raises(KeysError):
        sealed_groups.unlock(group, "긴 비밀 문구 하나 둘 셋")


def test_profile_opens_only_with_the_identity_key(app_ctx, org_keys):
    group, _code = _created()
    assert sealed_groups.open_profile(Keyring({"org": org_keys.keyring.org}), group) is None
    assert sealed_groups.open_profile(org_keys.keyring, group)["name"] == "탈북민 모임 하나"
    # Bound to its group: moved to another row it no longer opens.
    other, _ = _created("다른 모임")
    other.profile_sealed = group.profile_sealed
    with pytest.raises(Exception):  # noqa: B017  InvalidTag
        sealed_groups.open_profile(org_keys.keyring, other)


def test_group_report_opens_for_the_group_and_officers_and_no_other_group(app_ctx, org_keys, app):
    group, code = _created()
    joined = accounts.join(db.session, code, "긴 비밀 문구 하나 둘 셋", True, "모임 하나")
    _other, other_code = _created("다른 모임")
    other_joined = accounts.join(db.session, other_code, "다른 긴 비밀 문구 입니다", False, None)
    item = intake.create_group_report(db.session, group, group.public_key, {"narrative": "수용소에서 강제노동"},
                                      {"province": "hamgyong_north"}, ["detention"], [], app.config["UPLOAD_DIR"])
    db.session.commit()
    assert item.group_id == group.id and item.receipt_lookup is None and item.key_for_receipt is None
    db.session.expire_all()
    item = db.session.get(Submission, item.id)
    assert space.open_for_group(item, joined.private_key) and item.narrative == "수용소에서 강제노동"
    db.session.expire_all()
    item = db.session.get(Submission, item.id)
    vault.open_for_staff(org_keys.keyring, item)
    assert item.narrative == "수용소에서 강제노동"
    db.session.expire_all()
    item = db.session.get(Submission, item.id)
    with pytest.raises(Exception):  # noqa: B017  another group's key: InvalidTag
        space.open_for_group(item, other_joined.private_key)
    assert sealed_groups.open_source_name(org_keys.keyring, group) == "모임 하나"


def test_suspended_group_cannot_send(app_ctx, app):
    group, code = _created()
    accounts.join(db.session, code, "긴 비밀 문구 하나 둘 셋", False, None)
    accounts.set_suspended(db.session, group, True, "test")
    with pytest.raises(ValueError):
        intake.create_group_report(db.session, group, group.public_key, {"narrative": "x"}, {}, [], [],
                                   app.config["UPLOAD_DIR"])
