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

from tests.deploy.servers import BIN, ROOT, production_env, required

# Its servers keep an SQLite file of their own, so the PostgreSQL suite would only repeat it.
pytestmark = pytest.mark.skipif(bool(os.environ.get("TEST_DATABASE_URL")),
                                reason="runs once, in the SQLite suite (its servers use their own SQLite file)")

TOR = "/usr/sbin/tor"


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("units")
    settings = {"HIDDEN_SERVICE_DIR": str(tmp / "onion-service"), "ONION_LISTEN": "127.0.0.1:18080",
                "VENV": str(BIN.parent), "APP_DIR": str(ROOT), "UPLOAD_DIR": str(tmp / "uploads")}
    subprocess.run([sys.executable, str(ROOT / "deploy" / "render.py"), str(tmp / "out"),
                    *(f"--set={k}={v}" for k, v in settings.items())], check=True, capture_output=True, timeout=60)
    return tmp


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


def test_the_units_start_commands_that_exist(rendered):
    units = rendered / "out" / "systemd"
    env = production_env(rendered)
    seen = set()
    for unit in sorted(units.glob("*.service")):
        for command in exec_commands(unit):
            if command[0] == "/bin/kill":
                continue
            if Path(command[0]).name == "gunicorn":  # loads gunicorn.conf.py and the app, then exits
                check = [*command[:-1], "--check-config", command[-1]]
            else:
                check = [*command, "--help"]
            result = subprocess.run(check, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
            assert result.returncode == 0, (unit.name, check, result.stderr[-1500:])
            seen.add(" ".join(command[1:]))
    assert seen == {"-c gunicorn.conf.py wsgi:app", "--app wsgi outbox send", "--app wsgi retention purge",
                    "--app wsgi evidence timestamp --when-due", "--app wsgi audit checkpoint --mail --when-due"}
    for name in ("moksori-retention.timer", "moksori-timestamp.timer", "moksori-checkpoint.timer"):
        timer = (units / name).read_text()
        assert "OnCalendar=" in timer and "Persistent=true" in timer


def test_systemd_accepts_the_units(rendered):
    analyze = shutil.which("systemd-analyze")
    if not analyze:
        pytest.skip("systemd-analyze is not installed: the units were checked by their commands only")
    units = sorted(str(path) for path in (rendered / "out" / "systemd").iterdir())
    result = subprocess.run([analyze, "verify", *units], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and not result.stderr.strip(), result.stderr
