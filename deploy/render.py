"""Fill in deploy/'s templates: `python3 deploy/render.py OUT_DIR [--set NAME=VALUE ...]`.

Every template line's @NAME@ is replaced by a value below (or one given with --set); a name
without a value, or a value for no name, stops the run. The result keeps deploy/'s layout
under OUT_DIR (nginx/, tor/, systemd/), and the rendered nginx files refer to each other
there, so render straight into the place they will stay, e.g. /etc/moksori. The request
size limit comes from MAX_TOTAL_UPLOAD_MB as config.py reads it. Standard library only.

Two things are checked against the machine: the code, virtual environment, upload folder and
settings file must not lie where the units' sandbox hides them (/tmp and /var/tmp: PrivateTmp;
/home, /root and /run/user: ProtectHome), and HTTP/2 is switched on the way the installed
nginx understands (`http2 on;` from 1.25.1, `listen … http2` before; NGINX_VERSION overrides
what `nginx -v` says). A file whose text is unchanged is not written again.
"""
from __future__ import annotations

import argparse
import re
import shutil
import subprocess  # nosec B404 # `nginx -v` only, without a shell
import sys
from pathlib import Path, PurePosixPath

DEPLOY_DIR = Path(__file__).resolve().parent
ROOT = DEPLOY_DIR.parent
TEMPLATES = [
    "nginx/moksori.conf", "nginx/moksori-common.conf", "nginx/errors/413.html", "nginx/errors/50x.html",
    "tor/moksori.torrc",
    "systemd/moksori.service", "systemd/moksori-outbox.service", "systemd/moksori-retention.service",
    "systemd/moksori-retention.timer", "systemd/moksori-timestamp.service", "systemd/moksori-timestamp.timer",
    "systemd/moksori-checkpoint.service", "systemd/moksori-checkpoint.timer",
    "systemd/moksori-backup.service", "systemd/moksori-backup.timer", "systemd/moksori-drill.service",
    "systemd/moksori-drill.timer",
]
PLACEHOLDER = re.compile(r"@([A-Z][A-Z0-9_]*)@")

# Sandboxing shared by the three services: they may write only UPLOAD_DIR.
HARDENING = """\
NoNewPrivileges=yes
PrivateTmp=yes
PrivateDevices=yes
ProtectSystem=strict
ProtectHome=yes
ReadWritePaths=@UPLOAD_DIR@
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectControlGroups=yes
RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6
RestrictNamespaces=yes
RestrictSUIDSGID=yes
LockPersonality=yes
SystemCallArchitectures=native
UMask=0077"""


def defaults() -> dict[str, str]:
    sys.path.insert(0, str(ROOT))
    from config import Config  # reads MAX_TOTAL_UPLOAD_MB from the environment, as the app does

    return {
        "SERVER_NAME": "moksori.example.org",
        "HTTP_LISTEN": "80",
        "HTTPS_LISTEN": "443",
        "ONION_LISTEN": "127.0.0.1:8080",
        # Comma-separated gunicorn addresses; each becomes a `server` line of the upstream.
        "UPSTREAMS": "127.0.0.1:8000",
        "TLS_CERT": "/etc/letsencrypt/live/moksori.example.org/fullchain.pem",
        "TLS_KEY": "/etc/letsencrypt/live/moksori.example.org/privkey.pem",
        "ACME_ROOT": "/var/www/letsencrypt",
        "LOG_DIR": "/var/log/nginx",
        "ERROR_LOG_LEVEL": "alert",
        # Uploads wait here, in the clear, until complete: a tmpfs of their own (install.sh mounts
        # it from /etc/fstab, capped in size), never a disk; `moksori doctor` checks it.
        "BODY_TEMP_DIR": "/var/spool/moksori-body",
        "MAX_TOTAL_UPLOAD_MB": str(Config.MAX_TOTAL_UPLOAD_MB),
        "APP_DIR": str(ROOT),
        "VENV": str(ROOT / ".venv"),
        "APP_USER": "moksori",
        "ENV_FILE": "/etc/moksori/moksori.env",
        "UPLOAD_DIR": "/var/lib/moksori/uploads",
        # Encrypted backups (moksori-backup.timer); the backup unit may write here.
        "BACKUP_DIR": "/var/backups/moksori",
        "HIDDEN_SERVICE_DIR": "/var/lib/tor/moksori/",
        # The installed nginx's version ("1.22.1"), which decides how HTTP/2 is switched on.
        "NGINX_VERSION": nginx_version(),
    }


# What the services' sandbox (HARDENING) hides from them: a path there exists for the admin
# but not for the service, which then fails (code, venv) or writes into a private, temporary
# copy that is thrown away when it stops (uploads).
HIDDEN = {"/tmp": "PrivateTmp=yes gives each service an empty /tmp of its own",
          "/var/tmp": "PrivateTmp=yes gives each service an empty /var/tmp of its own",
          "/home": "ProtectHome=yes hides /home from the services",
          "/root": "ProtectHome=yes hides /root from the services",
          "/run/user": "ProtectHome=yes hides /run/user from the services"}
SANDBOXED = ("APP_DIR", "VENV", "UPLOAD_DIR", "ENV_FILE", "BACKUP_DIR")


def hidden_from_services(settings: dict[str, str]) -> list[str]:
    problems = []
    for name in SANDBOXED:
        path = PurePosixPath(settings[name])
        for prefix, why in HIDDEN.items():
            if path == PurePosixPath(prefix) or PurePosixPath(prefix) in path.parents:
                problems.append(f"{name}={path} is under {prefix}, and {why}")
    return problems


def nginx_version() -> str:
    """The version `nginx -v` reports ("" when nginx is not installed here)."""
    program = shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if Path(p).exists()), None)
    if not program:
        return ""
    try:
        result = subprocess.run([program, "-v"], capture_output=True, text=True, timeout=10)  # nosec B603
    except (OSError, subprocess.SubprocessError):
        return ""
    found = re.search(r"nginx/(\d+(?:\.\d+)*)", result.stderr + result.stdout)
    return found.group(1) if found else ""


def http2(version: str) -> tuple[str, str]:
    """(what follows `listen … ssl`, a line for the server block): `http2 on;` from nginx
    1.25.1 (the `listen … http2` parameter is deprecated there, Debian 13 ships 1.26), the
    listen parameter before it (Debian 12's 1.22 does not know the directive). Unknown: the old
    form, which every version accepts (the newer ones with a warning)."""
    try:
        parts = tuple(int(part) for part in version.split("."))
    except ValueError:
        raise SystemExit(f"render.py: NGINX_VERSION must look like 1.22.1, got {version!r}") from None
    if version and parts >= (1, 25, 1):
        return "", "    http2 on;"
    return " http2", "    # HTTP/2 is switched on in the listen line above (nginx before 1.25.1)."


def values(out_dir: Path, overrides: dict[str, str]) -> dict[str, str]:
    base = defaults()
    unknown = sorted(set(overrides) - set(base))
    if unknown:
        raise SystemExit(f"render.py: no template uses {', '.join(unknown)} (known: {', '.join(sorted(base))})")
    result = {**base, **overrides, "OUT_DIR": str(out_dir.resolve()), "HARDENING": HARDENING}
    # The app refuses a request past MAX_TOTAL_UPLOAD_MB + 1 MB (config.py); nginx the same.
    result["MAX_BODY_MB"] = str(int(result["MAX_TOTAL_UPLOAD_MB"]) + 1)
    result["UPSTREAM_SERVERS"] = "\n".join(
        f"    server {address.strip()};" for address in result["UPSTREAMS"].split(",") if address.strip())
    result["HTTP2_LISTEN"], result["HTTP2_DIRECTIVE"] = http2(result["NGINX_VERSION"])
    return result


def fill(text: str, settings: dict[str, str], name: str) -> str:
    for _ in range(3):  # a value may hold placeholders itself (HARDENING holds UPLOAD_DIR)
        missing = sorted({m for m in PLACEHOLDER.findall(text) if m not in settings})
        if missing:
            raise SystemExit(f"render.py: {name} needs {', '.join(missing)}")
        text = PLACEHOLDER.sub(lambda m: settings[m.group(1)], text)
    return text


def render(out_dir: Path, overrides: dict[str, str] | None = None, allow_hidden_paths: bool = False) -> list[Path]:
    """Write every template under out_dir; returns the files whose text changed."""
    settings = values(out_dir, overrides or {})
    problems = hidden_from_services(settings)
    if problems and not allow_hidden_paths:
        raise SystemExit("render.py: the systemd units could not use these paths:\n  " + "\n  ".join(problems)
                         + "\nPut the code and its virtual environment under /srv or /opt (e.g. /srv/moksori), the "
                         "uploads under /var/lib/moksori and the settings under /etc/moksori.")
    written = []
    for name in TEMPLATES:
        target = out_dir / name
        text = fill((DEPLOY_DIR / name).read_text(), settings, name)
        if target.is_file() and target.read_text() == text:
            continue  # unchanged: not rewritten, so a re-run changes nothing
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
        written.append(target)
    return written


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE", help="one of: " + ", ".join(
        f"{name} (default {value})" for name, value in defaults().items()))
    parser.add_argument("--allow-hidden-paths", action="store_true", help="render even when a path lies where "
                        "the units' sandbox hides it (only for tests that never install the units)")
    args = parser.parse_args(argv)
    overrides = {}
    for item in args.set:
        name, sep, value = item.partition("=")
        if not sep:
            parser.error(f"--set takes NAME=VALUE, got {item!r}")
        overrides[name.strip()] = value
    for path in render(args.out_dir, overrides, args.allow_hidden_paths):
        print(path)


if __name__ == "__main__":
    main()
