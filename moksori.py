"""The `moksori` command: every administration command of an installation, run one way.

    sudo -u moksori moksori doctor
    sudo -u moksori moksori db upgrade
    sudo -u moksori moksori users create you@example.org --role admin

It loads the settings file (/etc/moksori/moksori.env, or the file MOKSORI_SETTINGS names),
refuses to run as root, refuses when the settings are not a production configuration, and
passes everything else to the Flask CLI of this code folder (`flask --app wsgi …`). A `flask`
command without settings silently becomes a development installation: it generates keys and
an SQLite file inside the code folder and then fails with an SQL error. This never does.

Installed as a console script (pyproject.toml) by `pip install -e CODE_DIR` (deploy/install.sh,
and `make` for a checkout's .venv). Standard library only until the settings are loaded:
config.py reads the environment when it is imported.
"""
from __future__ import annotations

import grp
import os
import re
import stat
import sys
from pathlib import Path

SETTINGS_FILE = "/etc/moksori/moksori.env"
SERVICE_USER = "moksori"
CODE_DIR = Path(__file__).resolve().parent
NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
REQUIRED = ("SECRET_KEY", "DATA_ENCRYPTION_KEY", "DATABASE_URL")


class Refusal(Exception):
    """Why the command does not run, and what to type instead."""


def parse_settings(text: str, source: str = "settings") -> dict[str, str]:
    """`NAME=value` lines as systemd's EnvironmentFile= reads them: blank lines and lines
    starting with # or ; are comments; one pair of surrounding double or single quotes is
    removed (inside double quotes, \\" and \\\\ are escapes); otherwise the value is the rest
    of the line, trimmed. A line of any other shape is refused, not skipped."""
    settings = {}
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        name, sep, value = line.partition("=")
        name, value = name.strip(), value.strip()
        if not sep or not NAME.fullmatch(name):
            raise Refusal(f"{source}, line {number}: expected NAME=value, got {raw!r}")
        if len(value) >= 2 and value[0] == value[-1] == '"':
            value = re.sub(r'\\(["\\])', r"\1", value[1:-1])
        elif len(value) >= 2 and value[0] == value[-1] == "'":
            value = value[1:-1]
        settings[name] = value
    return settings


def service_user(path: Path) -> str:
    """The account the commands run as: the settings file's group (install.sh makes it
    root:moksori, mode 0640), else `moksori`."""
    try:
        group = grp.getgrgid(path.stat().st_gid).gr_name
    except (OSError, KeyError):
        return SERVICE_USER
    return group if group != "root" else SERVICE_USER


def load(argv: list[str], environ: dict[str, str], euid: int) -> tuple[Path, dict[str, str]]:
    """The settings to run with, or a Refusal saying why not."""
    path = Path(environ.get("MOKSORI_SETTINGS") or SETTINGS_FILE)
    command = " ".join(["moksori", *argv]) if argv else "moksori doctor"
    if not (CODE_DIR / "wsgi.py").is_file() or not (CODE_DIR / "migrations").is_dir():
        raise Refusal(f"moksori is installed from a copy of the code ({CODE_DIR}), not from the code folder: "
                      "install it with `pip install -e CODE_DIR` (deploy/install.sh does).")
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise Refusal(f"no settings file at {path}. moksori runs an installed Moksori with the settings in that "
                      "file (deploy/install.sh writes it; MOKSORI_SETTINGS=FILE names another). Without them it "
                      "would become a development installation with new keys. For development use "
                      "`make run` and `.venv/bin/flask --app wsgi …`.") from None
    except PermissionError:
        user = service_user(path)
        raise Refusal(f"cannot read the settings file {path} (permission denied). Run the command as the "
                      f"service user: sudo -u {user} {command}") from None
    except OSError as error:
        raise Refusal(f"cannot read the settings file {path}: {error.strerror}") from None
    settings = parse_settings(text, str(path))
    if euid == 0:
        user = service_user(path)
        raise Refusal(f"refusing to run as root. Files it writes (uploads, backups, the database's files) must "
                      f"belong to the service user, and a command run as root would run the code and its "
                      f"libraries with every right on this machine. Run instead:\n\n    sudo -u {user} {command}\n")
    if settings.get("APP_ENV", "").strip().lower() != "production":
        raise Refusal(f"{path} does not say APP_ENV=production (it says {settings.get('APP_ENV', 'nothing')!r}): "
                      "moksori runs only a production installation, so that nothing falls back to development "
                      "defaults (generated keys, an SQLite file in the code folder).")
    missing = [name for name in REQUIRED if not settings.get(name)]
    if missing:
        raise Refusal(f"{path} does not set {', '.join(missing)}: moksori refuses to fall back to development "
                      "defaults. deploy/install.sh writes a complete file; README lists every setting.")
    return path, settings


def version() -> str:
    """This code's release (app/version.py), read without importing the app or its settings."""
    text = (CODE_DIR / "app" / "version.py").read_text(encoding="utf-8")
    found = re.search(r'^__version__ = "([^"]+)"', text, re.M)
    return found.group(1) if found else "unknown"


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv == ["--version"]:  # needs no settings: say which release is installed before anything else
        print(f"moksori {version()}")
        return 0
    try:
        path, settings = load(argv, dict(os.environ), os.geteuid())
    except Refusal as refusal:
        sys.stderr.write(f"moksori: {refusal}\n")
        return 2
    if path.stat().st_mode & stat.S_IROTH:
        sys.stderr.write(f"moksori: warning: {path} is readable by every user of this machine; it holds the keys. "
                         f"Run `sudo chmod 0640 {path}`.\n")
    # The file decides: what runs is what the systemd units run (they read the same file).
    os.environ.update(settings)
    os.environ["MOKSORI_SETTINGS"] = str(path)
    os.environ["FLASK_APP"] = "wsgi"
    os.environ["FLASK_SKIP_DOTENV"] = "1"  # a .env in the current folder must not add settings
    os.environ.pop("FLASK_DEBUG", None)
    if str(CODE_DIR) not in sys.path:
        sys.path.insert(0, str(CODE_DIR))
    from flask.cli import FlaskGroup

    from wsgi import app  # config.py reads the environment now; a configuration error exits 2 here

    cli = FlaskGroup(create_app=lambda: app, add_default_commands=True, load_dotenv=False,
                     help="Moksori's administration commands (settings from MOKSORI_SETTINGS or "
                          f"{SETTINGS_FILE}; run as the service user).")
    return cli.main(args=argv, prog_name="moksori", standalone_mode=True) or 0


if __name__ == "__main__":
    sys.exit(main())
