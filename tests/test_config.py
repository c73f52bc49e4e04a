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
