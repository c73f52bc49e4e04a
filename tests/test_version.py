"""The release number: one place (app/version.py), shown by `moksori --version`, the admin
pages' footer and the packaging, and described in CHANGELOG.md and docs/UPGRADING.md."""
from __future__ import annotations

import re
import tomllib

import moksori
from app.version import __version__
from config import BASE_DIR


def test_the_version_is_semantic_and_moksori_prints_it_without_settings(capsys, monkeypatch):
    assert re.fullmatch(r"\d+\.\d+\.\d+", __version__)
    monkeypatch.setenv("MOKSORI_SETTINGS", "/nonexistent/moksori.env")  # needs none
    assert moksori.main(["--version"]) == 0
    assert capsys.readouterr().out == f"moksori {__version__}\n"


def test_the_package_takes_its_version_from_the_app():
    project = tomllib.loads((BASE_DIR / "pyproject.toml").read_text())
    assert "version" in project["project"]["dynamic"]
    assert project["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "app.version.__version__"}


def test_changelog_and_upgrading_describe_this_version():
    changelog = (BASE_DIR / "CHANGELOG.md").read_text()
    assert f"## [{__version__}] - " in changelog and "## [Unreleased]" in changelog
    assert f"### To {__version__}" in (BASE_DIR / "docs" / "UPGRADING.md").read_text()


def test_admin_pages_name_the_release_in_their_footer(client, auth):
    auth.login(role="admin")
    html = client.get("/admin/settings").get_data(as_text=True)
    assert f"목소리 버전 {__version__}" in html
    officer_page = client.get("/staff/").get_data(as_text=True)
    assert __version__ not in officer_page  # the queue is not an admin page
