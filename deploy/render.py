"""Fill in deploy/'s templates: `python3 deploy/render.py OUT_DIR [--set NAME=VALUE ...]`.

Every template line's @NAME@ is replaced by a value below (or one given with --set); a name
without a value, or a value for no name, stops the run. The result keeps deploy/'s layout
under OUT_DIR (nginx/, tor/, systemd/), and the rendered nginx files refer to each other
there, so render straight into the place they will stay, e.g. /etc/moksori. The request
size limit comes from MAX_TOTAL_UPLOAD_MB as config.py reads it. Standard library only.
"""
from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

DEPLOY_DIR = Path(__file__).resolve().parent
ROOT = DEPLOY_DIR.parent
TEMPLATES = [
    "nginx/moksori.conf", "nginx/moksori-common.conf", "nginx/errors/413.html", "nginx/errors/50x.html",
    "tor/moksori.torrc",
    "systemd/moksori.service", "systemd/moksori-outbox.service", "systemd/moksori-retention.service",
    "systemd/moksori-retention.timer", "systemd/moksori-timestamp.service", "systemd/moksori-timestamp.timer",
    "systemd/moksori-checkpoint.service", "systemd/moksori-checkpoint.timer",
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
        "BODY_TEMP_DIR": "/run/nginx-moksori-body",
        "MAX_TOTAL_UPLOAD_MB": str(Config.MAX_TOTAL_UPLOAD_MB),
        "APP_DIR": str(ROOT),
        "VENV": str(ROOT / ".venv"),
        "APP_USER": "moksori",
        "ENV_FILE": "/etc/moksori/moksori.env",
        "UPLOAD_DIR": "/var/lib/moksori/uploads",
        "HIDDEN_SERVICE_DIR": "/var/lib/tor/moksori/",
    }


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
    return result


def fill(text: str, settings: dict[str, str], name: str) -> str:
    for _ in range(3):  # a value may hold placeholders itself (HARDENING holds UPLOAD_DIR)
        missing = sorted({m for m in PLACEHOLDER.findall(text) if m not in settings})
        if missing:
            raise SystemExit(f"render.py: {name} needs {', '.join(missing)}")
        text = PLACEHOLDER.sub(lambda m: settings[m.group(1)], text)
    return text


def render(out_dir: Path, overrides: dict[str, str] | None = None) -> list[Path]:
    settings = values(out_dir, overrides or {})
    written = []
    for name in TEMPLATES:
        target = out_dir / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(fill((DEPLOY_DIR / name).read_text(), settings, name))
        written.append(target)
    return written


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE", help="one of: " + ", ".join(
        f"{name} (default {value})" for name, value in defaults().items()))
    args = parser.parse_args(argv)
    overrides = {}
    for item in args.set:
        name, sep, value = item.partition("=")
        if not sep:
            parser.error(f"--set takes NAME=VALUE, got {item!r}")
        overrides[name.strip()] = value
    for path in render(args.out_dir, overrides):
        print(path)


if __name__ == "__main__":
    main()
