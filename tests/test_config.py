"""Configuration: production refuses to start without its keys, development makes them once."""
from __future__ import annotations

import subprocess
import sys

import pytest

import config as config_module
from config import ConfigurationError, ProductionConfig


def test_production_refuses_to_start_without_keys(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("DATA_ENCRYPTION_KEY", raising=False)
    with pytest.raises(ConfigurationError, match="SECRET_KEY and DATA_ENCRYPTION_KEY"):
        ProductionConfig.finalize()


def test_wsgi_exits_with_a_clear_message_in_production(tmp_path):
    env = {"APP_ENV": "production", "PATH": "/usr/bin:/bin", "INSTANCE_DIR": str(tmp_path)}
    result = subprocess.run([sys.executable, "-c", "import wsgi"], cwd=config_module.BASE_DIR, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "refuses to start in production without SECRET_KEY and DATA_ENCRYPTION_KEY" in result.stderr


def test_development_keys_are_generated_once(tmp_path, monkeypatch):
    monkeypatch.setattr(config_module, "INSTANCE_DIR", tmp_path)
    first = config_module.DevelopmentConfig.finalize()
    second = config_module.DevelopmentConfig.finalize()
    assert first["SECRET_KEY"] == second["SECRET_KEY"] and first["DATA_ENCRYPTION_KEY"] == second["DATA_ENCRYPTION_KEY"]
    assert (tmp_path / "data_encryption_key").stat().st_mode & 0o077 == 0


@pytest.mark.parametrize("sender", ["목소리 <notice@example.org>", "알림 <moksori.notice@example.org>",
                                    "Notice <alerts@MOKSORI.org>", "Moksori"])
def test_a_notice_sender_that_names_the_organization_is_refused(tmp_path, monkeypatch, sender):
    monkeypatch.setattr(config_module, "INSTANCE_DIR", tmp_path)
    monkeypatch.setattr(config_module.DevelopmentConfig, "SUBMITTER_NOTICE_FROM", sender)
    with pytest.raises(ConfigurationError, match="names the organization"):
        config_module.DevelopmentConfig.finalize()


def test_an_organization_of_another_name_is_refused_too(tmp_path, monkeypatch):
    monkeypatch.setattr(config_module, "INSTANCE_DIR", tmp_path)
    monkeypatch.setattr(config_module.DevelopmentConfig, "ORG_NAME_EN", "Hope Bridge")
    for named in ("Hope Bridge <a@example.org>", "News <news@hopebridge.org>", "hope-bridge@example.org"):
        monkeypatch.setattr(config_module.DevelopmentConfig, "SUBMITTER_NOTICE_FROM", named)
        with pytest.raises(ConfigurationError, match="Hope Bridge"):
            config_module.DevelopmentConfig.finalize()
    monkeypatch.setattr(config_module.DevelopmentConfig, "SUBMITTER_NOTICE_FROM", "알림 <a7@mail.example>")
    assert config_module.DevelopmentConfig.finalize()["SUBMITTER_NOTICE_FROM"] == "알림 <a7@mail.example>"


def test_production_needs_a_neutral_notice_sender(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    monkeypatch.setenv("DATA_ENCRYPTION_KEY", config_module.new_data_key())
    monkeypatch.setattr(ProductionConfig, "SECRET_KEY", "x" * 40)
    monkeypatch.setattr(ProductionConfig, "DATA_ENCRYPTION_KEY", config_module.new_data_key())
    monkeypatch.setattr(ProductionConfig, "SUBMITTER_NOTICE_FROM", "")
    with pytest.raises(ConfigurationError, match="SUBMITTER_NOTICE_FROM"):
        ProductionConfig.finalize()
    monkeypatch.setattr(ProductionConfig, "SUBMITTER_NOTICE_FROM", "알림 <a1b2@mail.example>")
    assert ProductionConfig.finalize()["SUBMITTER_NOTICE_FROM"] == "알림 <a1b2@mail.example>"
