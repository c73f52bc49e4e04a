"""An installation of the previous release upgrades to this code with everything intact
(docs/UPGRADING.md). The previous release's tree is taken from git (its tag, or the commit
recorded in tests/previous_release.txt when tags were not cloned); ITS migrations make the
database and ITS code fills it (tests/upgrade_old_side.py, in a subprocess that sees only the
old tree); then this code's `flask db upgrade` runs on it and this app must log the staff in,
open the item with the keys, give back its files, open it with the receipt code, find it in
the rebuilt search index, deliver the queued mail and verify the audit chain.
On SQLite, and on PostgreSQL when TEST_DATABASE_URL is set."""
from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess  # nosec B404
import sys
import tarfile
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import OutboxEmail, Submission, Update
from config import BASE_DIR, TestingConfig
from tests.conftest import AuthActions, throwaway_database
from tests.helpers import act, post_form, running_app

RECORD = Path(__file__).with_name("previous_release.txt")
OLD_SIDE = Path(__file__).with_name("upgrade_old_side.py")
PATHS = ("app", "config.py", "migrations", "tests", "wsgi.py")  # what the old side needs of its tree


def _git(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(["git", "-C", str(BASE_DIR), *args], capture_output=True, timeout=120,  # nosec B603 B607
                          check=False, **kwargs)


def previous_release(target: Path) -> str:
    """Unpack the previous release's tree into `target`; returns the name used."""
    tag, commit = RECORD.read_text().split()
    if shutil.which("git") is None or _git("rev-parse", "--git-dir").returncode != 0:
        pytest.skip("no git history here (not a git checkout, or git is missing): the previous release's "
                    f"code ({tag}) cannot be taken out")
    for name in (f"{tag}^{{commit}}", commit):
        if _git("rev-parse", "--verify", "--quiet", name).returncode == 0:
            break
    else:
        pytest.skip(f"neither the tag {tag} nor its commit {commit} is in this clone (a shallow clone?): "
                    "fetch the history to run the upgrade test")
    archive = _git("archive", "--format=tar", name, *PATHS)
    assert archive.returncode == 0, archive.stderr.decode()
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        # Our own repository's archive; filter= exists from Python 3.11.4 (Debian 12 has 3.11.2).
        tar.extractall(target, **({"filter": "data"} if hasattr(tarfile, "data_filter") else {}))  # nosec B202
    return name


def test_an_installation_of_the_previous_release_upgrades_with_everything_intact(tmp_path):
    old_tree = tmp_path / "previous"
    release = previous_release(old_tree)
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    with throwaway_database(tmp_path / "upgraded.sqlite3") as url:
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8", "PYTHONPATH": str(old_tree),
               "UPGRADE_DATABASE_URL": url, "UPGRADE_UPLOAD_DIR": str(uploads), "APP_ENV": "testing",
               "INSTANCE_DIR": str(tmp_path / "instance")}
        made = subprocess.run([sys.executable, str(OLD_SIDE)], cwd=old_tree, env=env, capture_output=True,  # nosec
                              text=True, timeout=600, check=False)
        assert made.returncode == 0, f"{release}'s code failed to make its data:\n{made.stderr[-3000:]}"
        old = json.loads(made.stdout)
        assert old["revision"] == "0015" and old["audit_events"] > 5, old

        class Config(TestingConfig):
            SQLALCHEMY_DATABASE_URI = url
            UPLOAD_DIR = str(uploads)

        with running_app(Config) as app:
            _upgrade_and_check(app, old)


def _download(client, link: str) -> bytes:
    """A file's bytes; the streamed response is closed before the next request."""
    response = client.get(link)
    try:
        assert response.status_code == 200, link
        return response.data
    finally:
        response.close()


def _upgrade_and_check(app, old: dict) -> None:
    runner = app.test_cli_runner()
    upgraded = runner.invoke(args=["db", "upgrade"])
    assert upgraded.exit_code == 0, upgraded.output
    assert runner.invoke(args=["db", "check"]).exit_code == 0

    # The staff log in with the passwords and key grants the old release gave them.
    client = app.test_client()
    AuthActions(app, client).login(role="admin", email="admin@example.org")
    page = client.get(f"/staff/submissions/{old['public_id']}").get_data(as_text=True)
    for text in (old["narrative"], old["followup"], old["message"], old["note"], old["file_name"]):
        assert text in page, text
    revealed = act(client, old["public_id"], "reveal", {}).get_data(as_text=True)  # under the identity key
    assert "@upgrade-handle" in revealed
    links = re.findall(rf'href="(/staff/submissions/{old["public_id"]}/files/\d+)"', page)
    assert len(set(links)) == 2, links
    downloads = [_download(client, link) for link in sorted(set(links))]
    assert old["file_text"].encode() in downloads
    assert any(data.startswith(b"%PDF") for data in downloads)

    # The submitter's receipt code still opens the item, with the officer's message.
    submitter = app.test_client()
    assert post_form(submitter, "/ko/receipt", {"code": old["receipt_code"]}).status_code == 302
    assert old["message"] in submitter.get("/ko/receipt/status").get_data(as_text=True)

    # The upgrade's own steps (docs/UPGRADING.md): the search index rebuilt, old values padded.
    code = old["recovery_code"] + "\n"
    for command in (["search", "rebuild", "--recovery-code-stdin"], ["keys", "pad-existing"]):
        result = runner.invoke(args=command, input=code)
        assert result.exit_code == 0, (command, result.output)
    queue = client.get("/staff/", query_string={"q": "고문"}).get_data(as_text=True)
    assert old["public_id"] in queue
    again = client.get(f"/staff/submissions/{old['public_id']}").get_data(as_text=True)
    link = sorted(set(re.findall(rf'href="(/staff/submissions/{old["public_id"]}/files/\d+)"', again)))
    assert old["file_text"].encode() in [_download(client, each) for each in link]

    with app.app_context():
        assert db.session.scalar(sa.select(Update.slug)) == old["update_slug"]
        assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxEmail)) >= 1
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Submission)) == 1
    assert client.get(f"/ko/updates/{old['update_slug']}").status_code == 200
    verified = runner.invoke(args=["audit", "verify"])
    assert verified.exit_code == 0 and "audit chain intact" in verified.output, verified.output
    status = runner.invoke(args=["keys", "status"])
    assert "pad-existing" not in status.output, status.output


def test_without_the_tag_the_recorded_commit_is_used(tmp_path, monkeypatch):
    """CI's clone may lack tags that were never pushed: the commit in previous_release.txt serves."""
    _tag, commit = RECORD.read_text().split()
    if _git("rev-parse", "--verify", "--quiet", f"{commit}^{{commit}}").returncode != 0:
        pytest.skip(f"the commit {commit} is not in this clone")
    record = tmp_path / "previous_release.txt"
    record.write_text(f"v0.0.0-never-tagged {commit}\n")
    monkeypatch.setattr(sys.modules[__name__], "RECORD", record)
    assert previous_release(tmp_path / "tree") == commit
    assert (tmp_path / "tree" / "migrations" / "versions" / "0015_plain_category_labels.py").exists()
