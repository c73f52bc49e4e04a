"""The installed `moksori` command (moksori.py, a console script of pyproject.toml): it runs the
real entry point in a subprocess, as an administrator would. Without its settings file it
refuses and names the file (instead of becoming a development installation with new keys);
as root it refuses and says the command to type; as the service user it runs `doctor`."""
from __future__ import annotations

import os
import secrets
import subprocess
from pathlib import Path

import pytest

import moksori
from config import new_data_key
from tests.deploy.servers import MOKSORI, ROOT, open_folder, throwaway_user, write_settings


def run(*args: str, settings: Path | None, prefix: list[str] | None = None, cwd: Path = Path("/")):
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8", "PYTHONDONTWRITEBYTECODE": "1"}
    if settings is not None:
        env["MOKSORI_SETTINGS"] = str(settings)
    return subprocess.run([*(prefix or []), str(MOKSORI), *args], env=env, cwd=cwd, capture_output=True, text=True,
                          timeout=120)


def settings_for(folder: Path, **extra: str) -> dict[str, str]:
    return {"APP_ENV": "production", "SECRET_KEY": secrets.token_urlsafe(40), "DATA_ENCRYPTION_KEY": new_data_key(),
            "DATABASE_URL": f"sqlite:///{folder / 'data' / 'moksori.sqlite3'}", "UPLOAD_DIR": str(folder / "uploads"),
            "INSTANCE_DIR": str(folder / "instance"), "SUBMITTER_NOTICE_FROM": "알림 <notice@mail.example>",
            "PUBLIC_BASE_URL": "https://moksori.example.org", "MAIL_FROM": "Moksori <news@moksori.example.org>",
            **extra}


@pytest.fixture(autouse=True)
def _installed():
    if not MOKSORI.exists():
        pytest.fail(f"{MOKSORI} is missing: `make .venv/.dev-deps` installs the project (pip install -e .)")


def code_folder_files() -> set[str]:
    return {str(path.relative_to(ROOT)) for folder in ("instance",) for path in (ROOT / folder).rglob("*")}


def test_without_settings_it_refuses_and_names_the_file(tmp_path):
    before = code_folder_files()
    missing = tmp_path / "nowhere.env"
    result = run("doctor", settings=missing)
    assert result.returncode == 2, result.stderr
    assert f"no settings file at {missing}" in result.stderr and "MOKSORI_SETTINGS" in result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""
    default = run("db", "upgrade", settings=None)
    if not Path(moksori.SETTINGS_FILE).exists():
        assert default.returncode == 2 and "no settings file at /etc/moksori/moksori.env" in default.stderr
    # Nothing of a development installation was made: no keys, no SQLite file in the code folder.
    assert code_folder_files() == before


def test_as_root_it_refuses_and_says_what_to_type(tmp_path):
    if os.geteuid() != 0:
        pytest.skip("the suite does not run as root here")
    settings = write_settings(tmp_path / "moksori.env", settings_for(tmp_path))
    result = run("users", "create", "a@example.org", "--role", "admin", settings=settings)
    assert result.returncode == 2 and "refusing to run as root" in result.stderr
    assert "sudo -u moksori moksori users create a@example.org --role admin" in result.stderr
    assert not (tmp_path / "data").exists() and not (tmp_path / "uploads").exists()


def test_as_the_service_user_it_runs_doctor():
    with open_folder("moksori-command-") as folder, throwaway_user() as user:
        for name in ("data", "uploads", "instance"):
            (folder / name).mkdir(mode=0o700)
            user.own(folder / name)
        settings = write_settings(folder / "moksori.env", settings_for(folder), group=user.gid)
        # As root: refused, and the command names this installation's service user (the file's group).
        if os.geteuid() == 0:
            assert f"sudo -u {user.name} moksori doctor" in run("doctor", settings=settings).stderr
        upgraded = run("db", "upgrade", settings=settings, prefix=user.command([]))
        assert upgraded.returncode == 0, upgraded.stderr
        database = folder / "data" / "moksori.sqlite3"
        assert database.stat().st_uid == user.uid  # made by the service user, not by root
        doctor = run("doctor", "--nginx-conf", str(folder / "none.conf"), settings=settings, prefix=user.command([]))
        said = " ".join(doctor.stdout.split())  # lines are wrapped at 100 columns
        assert "problem(s)" in said, doctor.stderr
        assert "production settings, with SECRET_KEY and DATA_ENCRYPTION_KEY set" in said
        assert "answers and is up to date" in said
        # A settings file that is not production is refused, not run as development.
        write_settings(settings, settings_for(folder, APP_ENV="development"), group=user.gid)
        development = run("doctor", settings=settings, prefix=user.command([]))
        assert development.returncode == 2 and "APP_ENV=production" in development.stderr


def test_the_settings_file_is_read_as_systemd_reads_it():
    text = ('# comment\n; also a comment\n\nAPP_ENV=production\nSUBMITTER_NOTICE_FROM="알림 <a@b.example>"\n'
            "QUOTED='single # not a comment'\n  SPACED = value with spaces  \nESCAPED=\"a \\\"b\\\" \\\\c\"\n")
    assert moksori.parse_settings(text) == {
        "APP_ENV": "production", "SUBMITTER_NOTICE_FROM": "알림 <a@b.example>", "QUOTED": "single # not a comment",
        "SPACED": "value with spaces", "ESCAPED": 'a "b" \\c'}
    with pytest.raises(moksori.Refusal, match="line 1: expected NAME=value"):
        moksori.parse_settings("export APP_ENV production\n")


def test_missing_keys_are_refused_before_anything_runs(tmp_path):
    path = write_settings(tmp_path / "moksori.env", {"APP_ENV": "production", "DATABASE_URL": "sqlite://"})
    with pytest.raises(moksori.Refusal, match="does not set SECRET_KEY, DATA_ENCRYPTION_KEY"):
        moksori.load(["doctor"], {"MOKSORI_SETTINGS": str(path)}, euid=1000)
