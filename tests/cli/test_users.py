"""`flask users create`: roles, languages, refusals, an Argon2id hash."""
from __future__ import annotations

import sqlalchemy as sa

from app.extensions import db
from app.models import User


def test_cli_creates_users(runner, app):
    result = runner.invoke(args=["users", "create", "new@example.org", "--role", "officer", "--languages", "ko,en",
                                 "--name", "김담당", "--password-stdin"], input="a long enough password\n")
    assert result.exit_code == 0, result.output
    again = runner.invoke(args=["users", "create", "new@example.org", "--password-stdin"],
                          input="a long enough password\n")
    assert again.exit_code != 0 and "already exists" in again.output
    short = runner.invoke(args=["users", "create", "x@example.org", "--password-stdin"], input="short\n")
    assert short.exit_code != 0 and "12 characters" in short.output
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.email == "new@example.org"))
        assert user.language_list == ["ko", "en"] and user.password_hash.startswith("$argon2id$")
