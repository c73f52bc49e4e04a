"""The health check beside the home pages (the pages themselves are tested with the locales, in i18n/)."""
from __future__ import annotations


def test_healthz(client):
    assert client.get("/healthz").get_json() == {"status": "ok"}
