"""`flask doctor`: one line per finding, PROBLEM lines make the exit status 1."""
from __future__ import annotations

from tests.smtp import free_port


def test_doctor_prints_problems_and_exits_1(runner, app, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_PORT", free_port())
    result = runner.invoke(args=["doctor"])
    assert result.exit_code == 1
    assert "PROBLEM  mail" in result.output and "cannot use the mail server" in result.output
    assert "WARNING  environment" in result.output  # the tests run as APP_ENV=testing
    assert "1 problem(s)" in result.output


def test_doctor_exits_0_when_only_warnings_remain(runner, app, smtp_server):
    result = runner.invoke(args=["doctor"])
    assert result.exit_code == 0, result.output
    assert "0 problem(s)" in result.output and "Nothing stops this installation from running." in result.output
