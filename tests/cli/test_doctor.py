"""`flask doctor`: one line per finding; the exit status is a monitoring plugin's (0 ok,
1 warnings, 2 a problem), and --json says the same for machines."""
from __future__ import annotations

import json

from app.version import __version__
from tests.smtp import free_port


def test_doctor_prints_problems_and_exits_2(runner, app, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_PORT", free_port())
    result = runner.invoke(args=["doctor"])
    assert result.exit_code == 2
    assert result.output.startswith(f"Moksori {__version__}\n")
    assert "PROBLEM  mail" in result.output and "cannot use the mail server" in result.output
    assert "WARNING  environment" in result.output  # the tests run as APP_ENV=testing
    assert "1 problem(s)" in result.output
    assert runner.invoke(args=["doctor", "--warnings-ok"]).exit_code == 2  # a problem stays a problem


def test_doctor_exits_1_with_warnings_and_0_with_warnings_ok(runner, app, smtp_server):
    result = runner.invoke(args=["doctor"])
    assert result.exit_code == 1, result.output
    assert "0 problem(s)" in result.output and "Nothing stops this installation from running." in result.output
    assert runner.invoke(args=["doctor", "--warnings-ok"]).exit_code == 0


def test_doctor_exits_0_when_every_check_is_ok(runner, app, smtp_server, monkeypatch):
    from app.services.ops import doctor, findings

    monkeypatch.setattr(doctor, "run", lambda it: [findings.Finding("database", findings.OK, "fine")])
    result = runner.invoke(args=["doctor"])
    assert result.exit_code == 0 and "ok       database  fine" in result.output, result.output


def test_doctor_json_is_for_machines(runner, app, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_PORT", free_port())
    result = runner.invoke(args=["doctor", "--json"])
    report = json.loads(result.output)
    assert result.exit_code == 2 and report["exit_code"] == 2 and report["status"] == "problem"
    assert report["version"] == __version__
    mail = [f for f in report["findings"] if f["check"] == "mail" and f["level"] == "problem"]
    assert mail and "cannot use the mail server" in mail[0]["message"]
    checks = {f["check"] for f in report["findings"]}
    assert {"retention", "backups", "disk space"} <= checks


def test_help_documents_the_exit_codes(runner):
    text = " ".join(runner.invoke(args=["doctor", "--help"]).output.split())
    assert "0 when every check is ok, 1 when there are warnings" in text and "2 when anything is a problem" in text
