"""deploy/tor and deploy/systemd as rendered: tor accepts the onion service configuration
(`tor --verify-config`, which connects nowhere), its port leads to nginx's onion server, and
every command the systemd units start exists and loads the production configuration."""
from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.deploy.servers import (
    BIN,
    ROOT,
    open_folder,
    production_env,
    render_args,
    required,
    throwaway_user,
    write_settings,
)

# Its servers keep an SQLite file of their own, so the PostgreSQL suite would only repeat it.
pytestmark = pytest.mark.skipif(bool(os.environ.get("TEST_DATABASE_URL")),
                                reason="runs once, in the SQLite suite (its servers use their own SQLite file)")

TOR = "/usr/sbin/tor"


@pytest.fixture(scope="module")
def rendered() -> Path:
    with open_folder("moksori-units-") as tmp:
        settings = {"HIDDEN_SERVICE_DIR": str(tmp / "onion-service"), "ONION_LISTEN": "127.0.0.1:18080",
                    "VENV": str(BIN.parent), "APP_DIR": str(ROOT), "UPLOAD_DIR": str(tmp / "uploads"),
                    "ENV_FILE": str(tmp / "moksori.env"), "BACKUP_DIR": str(tmp / "backups")}
        # Under /tmp, which the units' sandbox hides: rendered to be read, never installed.
        subprocess.run([*render_args(tmp / "out", settings), "--allow-hidden-paths"], check=True, capture_output=True,
                       timeout=60)
        yield tmp


def verify_tor(tmp: Path, *extra: str) -> subprocess.CompletedProcess:
    torrc = tmp / "torrc"
    torrc.write_text("\n".join([f"DataDirectory {tmp / 'tor-data'}", "SocksPort 0", "Log notice stdout",
                                f"%include {tmp / 'out' / 'tor' / 'moksori.torrc'}", *extra, ""]))
    return subprocess.run([TOR, "-f", str(torrc), "--defaults-torrc", "/dev/null", "--verify-config"],
                          capture_output=True, text=True, timeout=60)


def test_tor_accepts_the_onion_service_and_it_leads_to_nginx(rendered):
    required(TOR, "tor")
    result = verify_tor(rendered)
    assert result.returncode == 0 and "Configuration was valid" in result.stdout, result.stdout
    torrc = (rendered / "out" / "tor" / "moksori.torrc").read_text()
    assert f"HiddenServiceDir {rendered / 'onion-service'}" in torrc
    target = re.search(r"^HiddenServicePort 80 (\S+)$", torrc, re.M).group(1)
    nginx = (rendered / "out" / "nginx" / "moksori.conf").read_text()
    onion_server = nginx[nginx.index("# The onion service"):]
    assert re.search(r"^\s*listen (\S+) proxy_protocol;", onion_server, re.M).group(1) == target == "127.0.0.1:18080"
    # tor names the circuit in a PROXY line, which that listen directive expects.
    assert re.search(r"^HiddenServiceExportCircuitID haproxy$", torrc, re.M)
    # The check is real: tor refuses a broken line.
    assert verify_tor(rendered, "HiddenServicePort 80 nowhere:port").returncode != 0


def exec_commands(unit: Path) -> list[list[str]]:
    return [shlex.split(line.split("=", 1)[1]) for line in unit.read_text().splitlines() if line.startswith("Exec")]


def unit_environment(unit: Path) -> dict[str, str]:
    return dict(line.split("=", 2)[1:] for line in unit.read_text().splitlines() if line.startswith("Environment="))


def test_the_units_start_commands_that_exist(rendered):
    """Each unit's command starts and loads the production configuration. The `moksori` ones
    run as a service user (as root they refuse), with the settings file the unit names."""
    units = rendered / "out" / "systemd"
    env = production_env(rendered)
    seen = set()
    with throwaway_user() as user:
        user.own(rendered / "uploads")
        write_settings(rendered / "moksori.env", env, group=user.gid)
        for unit in sorted(units.glob("*.service")):
            for command in exec_commands(unit):
                if command[0] == "/bin/kill":
                    continue
                if Path(command[0]).name == "gunicorn":  # loads gunicorn.conf.py and the app, then exits
                    check, run_env, cwd = [*command[:-1], "--check-config", command[-1]], env, ROOT
                else:
                    assert Path(command[0]) == BIN / "moksori", (unit.name, command)
                    assert "EnvironmentFile=" not in unit.read_text()  # moksori reads the file itself
                    check = user.command([*command, "--help"])
                    run_env = {"PATH": env["PATH"], "LANG": "C.UTF-8", **unit_environment(unit)}
                    assert run_env["MOKSORI_SETTINGS"] == str(rendered / "moksori.env")
                    cwd = Path("/")  # moksori needs no working directory
                result = subprocess.run(check, cwd=cwd, env=run_env, capture_output=True, text=True, timeout=60)
                assert result.returncode == 0, (unit.name, check, result.stderr[-1500:])
                seen.add(" ".join(command[1:]))
    backups = rendered / "backups"
    assert seen == {"-c gunicorn.conf.py wsgi:app", "outbox send", "retention purge", "evidence timestamp --when-due",
                    "audit checkpoint --mail --when-due", f"backup create {backups}",
                    f"backup drill --without-code --folder {backups}"}
    for name in ("moksori-retention.timer", "moksori-timestamp.timer", "moksori-checkpoint.timer",
                 "moksori-backup.timer", "moksori-drill.timer"):
        timer = (units / name).read_text()
        assert "OnCalendar=" in timer and "Persistent=true" in timer
    # The backup may write its folder (the sandbox makes the rest read-only); the drill runs monthly.
    assert f"ReadWritePaths={backups}" in (units / "moksori-backup.service").read_text().splitlines()
    assert "OnCalendar=*-*-01 " in (units / "moksori-drill.timer").read_text()
    enabled = (ROOT / "deploy" / "install.sh").read_text()
    assert "moksori-backup.timer moksori-drill.timer" in enabled


def test_systemd_accepts_the_units(rendered):
    analyze = shutil.which("systemd-analyze")
    if not analyze:
        pytest.skip("systemd-analyze is not installed: the units were checked by their commands only")
    units = sorted(str(path) for path in (rendered / "out" / "systemd").iterdir())
    result = subprocess.run([analyze, "verify", *units], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and not result.stderr.strip(), result.stderr


def render(out: Path, *settings: str, allow_hidden: bool = False) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "deploy" / "render.py"), str(out), *settings,
                           *(["--allow-hidden-paths"] if allow_hidden else [])],
                          capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("name,path", [("APP_DIR", "/tmp/moksori"), ("VENV", "/home/admin/moksori/.venv"),
                                       ("UPLOAD_DIR", "/var/tmp/uploads"), ("ENV_FILE", "/root/moksori.env")])
def test_render_refuses_paths_the_units_sandbox_hides(tmp_path, name, path):
    """PrivateTmp and ProtectHome hide /tmp, /var/tmp, /home and /root from the services: code
    there does not start, uploads there go to a private copy thrown away at each stop."""
    refused = render(tmp_path / "out", f"--set={name}={path}")
    assert refused.returncode != 0 and f"{name}={path} is under" in refused.stderr
    assert ("PrivateTmp" if "tmp" in path else "ProtectHome") in refused.stderr
    assert not (tmp_path / "out").exists()


def test_http2_is_switched_on_as_the_installed_nginx_understands(tmp_path):
    def https_server(version: str) -> str:
        result = render(tmp_path / version, f"--set=NGINX_VERSION={version}")
        assert result.returncode == 0, result.stderr
        conf = (tmp_path / version / "nginx" / "moksori.conf").read_text()
        return conf[conf.index("listen 443"):conf.index("server_name", conf.index("listen 443"))]

    old, new = https_server("1.22.1"), https_server("1.26.0")  # Debian 12 and Debian 13
    assert "listen 443 ssl http2;" in old and "http2 on;" not in old
    assert "listen 443 ssl;" in new and "\n    http2 on;" in new
    assert "http2 on;" in https_server("1.25.1") and "ssl http2" in https_server("1.25.0")
    # Without the override, `nginx -v` decides.
    if os.path.exists("/usr/sbin/nginx"):
        said = subprocess.run(["/usr/sbin/nginx", "-v"], capture_output=True, text=True).stderr
        version = re.search(r"nginx/([\d.]+)", said).group(1)
        assert render(tmp_path / "detected").returncode == 0
        detected = (tmp_path / "detected" / "nginx" / "moksori.conf").read_text()
        newer = tuple(map(int, version.split("."))) >= (1, 25, 1)
        assert ("http2 on;" in detected) == newer and ("ssl http2;" in detected) == (not newer)


def test_render_writes_only_what_changed(tmp_path):
    assert render(tmp_path / "out").returncode == 0
    conf = tmp_path / "out" / "nginx" / "moksori.conf"
    before = conf.stat().st_mtime_ns
    again = render(tmp_path / "out")
    assert again.returncode == 0 and again.stdout == "" and conf.stat().st_mtime_ns == before
