"""`flask users create`: roles, languages, refusals, an Argon2id hash."""
from __future__ import annotations

import re

import sqlalchemy as sa

from app.extensions import db
from app.models import User
from app.sealed import keys


def test_cli_creates_users(runner, app, org_keys):
    result = runner.invoke(args=["users", "create", "new@example.org", "--role", "officer", "--languages", "ko,en",
                                 "--name", "김담당", "--password-stdin"],
                           input=f"a long enough password\n{org_keys.code}\n")
    assert result.exit_code == 0, result.output
    again = runner.invoke(args=["users", "create", "new@example.org", "--password-stdin"],
                          input="a long enough password\n")
    assert again.exit_code != 0 and "already exists" in again.output
    short = runner.invoke(args=["users", "create", "x@example.org", "--password-stdin"], input="short\n")
    assert short.exit_code != 0 and "12 characters" in short.output
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.email == "new@example.org"))
        assert user.language_list == ["ko", "en"] and user.password_hash.startswith("$argon2id$")


def test_the_first_admin_creates_the_keys_and_sees_the_recovery_code_once(runner, app, no_keys):
    officer = runner.invoke(args=["users", "create", "o@example.org", "--password-stdin"],
                            input="a long enough password\n")
    assert officer.exit_code != 0 and "must be an admin" in officer.output
    first = runner.invoke(args=["users", "create", "admin@example.org", "--role", "admin", "--password-stdin"],
                          input="a long enough password\n")
    assert first.exit_code == 0, first.output
    code = re.search(r"\b[0-9A-Z]{5}(?:-[0-9A-Z]{5}){5}\b", first.output).group(0)
    assert "복구 코드" in first.output and "RECOVERY CODE" in first.output
    with app.app_context():
        admin = db.session.scalar(sa.select(User).where(User.email == "admin@example.org"))
        assert keys.granted_kinds(db.session, admin.id) == ["identity", "org"]
        assert keys.unlock(db.session, admin, "a long enough password").keys == \
            keys.unlock_with_recovery(db.session, code).keys
    # Later accounts need the recovery code (here after the password on standard input).
    wrong = runner.invoke(args=["users", "create", "b@example.org", "--password-stdin"],
                          input=f"a long enough password\n{keys.new_recovery_code()}\n")
    assert wrong.exit_code != 0 and "does not open" in wrong.output
    later = runner.invoke(args=["users", "create", "b@example.org", "--password-stdin"],
                          input=f"a long enough password\n{code}\n")
    assert later.exit_code == 0 and "RECOVERY CODE" not in later.output
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.email == "b@example.org"))
        assert keys.granted_kinds(db.session, user.id) == ["org"]  # no contact right unless asked
