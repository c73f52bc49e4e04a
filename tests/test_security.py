"""Headers, CSP, no third-party references, no client address in logs, production config."""
from __future__ import annotations

import logging
import re

import pytest

import config as config_module
from config import ConfigurationError, ProductionConfig


@pytest.mark.parametrize("path", ["/ko/", "/en/report", "/ko/receipt", "/ko/missing"])
def test_security_headers(client, path):
    headers = client.get(path).headers
    csp = headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "style-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert headers["Referrer-Policy"] == "no-referrer"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("path", ["/ko/", "/ko/report", "/en/receipt"])
def test_pages_reference_nothing_off_site_and_no_inline_code(client, path):
    html = client.get(path).get_data(as_text=True)
    assert not re.search(r"""(src|href|action)\s*=\s*["'](https?:)?//""", html)
    assert "<script" not in html and " style=" not in html


def test_dev_server_log_drops_client_address():
    from app.security import _DropClientAddress

    record = logging.LogRecord("werkzeug", logging.INFO, "", 0, '203.0.113.9 - - [22/Nov/2026] "POST /ko/report HTTP/1.1" 200 -', (), None)
    _DropClientAddress().filter(record)
    assert "203.0.113.9" not in record.getMessage()


def test_gunicorn_access_log_has_no_client_fields():
    import runpy

    settings = runpy.run_path(str(config_module.BASE_DIR / "gunicorn.conf.py"))
    for field in ("%(h)s", "%(a)s", "%(f)s", "%({x-forwarded-for}i)s"):
        assert field not in settings["access_log_format"]


def test_production_refuses_to_start_without_keys(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("DATA_ENCRYPTION_KEY", raising=False)
    with pytest.raises(ConfigurationError, match="SECRET_KEY and DATA_ENCRYPTION_KEY"):
        ProductionConfig.finalize()


def test_wsgi_exits_with_a_clear_message_in_production(tmp_path):
    import subprocess
    import sys

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


def test_healthz(client):
    assert client.get("/healthz").get_json() == {"status": "ok"}
