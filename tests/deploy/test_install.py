"""deploy/install.sh run for real on this machine (as root, into a temporary prefix instead of /,
with a throwaway service user and database): twice, the second run changing nothing; then
gunicorn started as the rendered unit starts it, as the service user, behind Debian's nginx
started from the rendered configuration with the script's self-signed certificate, and a
report sent through nginx. Needs root, nginx and PostgreSQL on 127.0.0.1:5432."""
from __future__ import annotations

import os
import re
import shlex
import shutil
import socket
import ssl
import subprocess
import tempfile
from pathlib import Path

import pytest

import moksori
from tests.deploy.servers import (
    ROOT,
    Server,
    ServiceUser,
    Visitor,
    free_port,
    required,
)
from tests.deploy.test_nginx import NGINX, main_config

pytestmark = pytest.mark.skipif(bool(os.environ.get("TEST_DATABASE_URL")),
                                reason="runs once, in the SQLite suite (it makes a PostgreSQL database of its own)")

SCRIPT = ROOT / "deploy" / "install.sh"
NAME = "moksori.test"
PYTHON = "/usr/bin/python3"


def unavailable(message: str):
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


def psql(sql: str) -> str:
    return subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-X", "-tAc", sql], capture_output=True,
                          text=True, timeout=60).stdout.strip()


def snapshot(prefix: Path) -> dict[str, tuple]:
    """Every path under the prefix with its type, owner, mode, size and modification time: a
    file rewritten with the same text still shows."""
    found = {}
    for path in [prefix, *prefix.rglob("*")]:
        if "__pycache__" in path.parts:
            continue
        info = path.lstat()
        target = os.readlink(path) if path.is_symlink() else ""
        found[str(path.relative_to(prefix))] = (info.st_mode, info.st_uid, info.st_gid, info.st_size,
                                                info.st_mtime_ns, target)
    return found


class Installation:
    def __init__(self, prefix: Path, user: str):
        self.prefix, self.user = prefix, user
        self.app_port, self.https, self.http, self.onion = free_port(), free_port(), free_port(), free_port()
        self.mail_port = free_port()
        self.args = [
            "bash", str(SCRIPT), "--root", str(prefix), "--user", user, "--python", PYTHON, "--no-services",
            "--no-packages", "--pg-host", "127.0.0.1", "--pg-port", "5432", "--domain", NAME,
            "--notice-from", "알림 <a7k2@mail.example>",
            "--setting", f"GUNICORN_BIND=127.0.0.1:{self.app_port}", "--setting", "GUNICORN_WORKERS=1",
            "--setting", "RATELIMIT_STORAGE_URI=memory://", "--setting", f"MAIL_PORT={self.mail_port}",
            "--render", f"HTTP_LISTEN=127.0.0.1:{self.http}", "--render", f"HTTPS_LISTEN=127.0.0.1:{self.https}",
            "--render", f"ONION_LISTEN=127.0.0.1:{self.onion}", "--render", f"UPSTREAMS=127.0.0.1:{self.app_port}"]

    def run(self) -> subprocess.CompletedProcess:
        result = subprocess.run(self.args, capture_output=True, text=True, timeout=900, cwd="/")
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
        return result

    @property
    def etc(self) -> Path:
        return self.prefix / "etc" / "moksori"

    @property
    def moksori(self) -> Path:
        return self.prefix / "srv" / "moksori" / "venv" / "bin" / "moksori"

    def as_user(self, *args: str, stdin: str | None = None, user: bool = True) -> subprocess.CompletedProcess:
        prefix = ServiceUser(self.user).command([], python=PYTHON) if user else []
        env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "MOKSORI_SETTINGS": str(self.etc / "moksori.env")}
        return subprocess.run([*prefix, str(self.moksori), *args], env=env, input=stdin, capture_output=True,
                              text=True, timeout=300, cwd="/")


@pytest.fixture(scope="module")
def installation():
    if os.geteuid() != 0:
        pytest.skip("install.sh runs as root (the suite runs as root in CI)")
    required(NGINX, "nginx")
    for program in ("psql", "useradd", "userdel", "setpriv", "runuser", "openssl"):
        if not shutil.which(program):
            unavailable(f"{program} is not installed")
    if not Path(PYTHON).exists():
        unavailable(f"{PYTHON} is missing (Debian: python3, python3-venv)")
    try:
        socket.create_connection(("127.0.0.1", 5432), timeout=2).close()
    except OSError:
        unavailable("no PostgreSQL on 127.0.0.1:5432")
    # Not under /tmp: the units' sandbox hides it, and render.py refuses such paths.
    prefix = Path(tempfile.mkdtemp(dir="/var/lib", prefix="moksori-install-test."))
    prefix.chmod(0o755)
    user = f"mks{os.urandom(4).hex()}"
    try:
        yield Installation(prefix, user)
    finally:
        psql(f"DROP DATABASE IF EXISTS {user} WITH (FORCE)")
        psql(f"DROP ROLE IF EXISTS {user}")
        subprocess.run(["userdel", user], capture_output=True, timeout=60)
        shutil.rmtree(prefix, ignore_errors=True)


def test_install_twice_then_serve_a_report_through_nginx(installation):
    first = installation.run()
    assert re.search(r"^\d+ change\(s\)$", first.stdout, re.M), first.stdout
    etc, prefix, user = installation.etc, installation.prefix, installation.user

    # What the first run made: the user, owners and modes, the settings with fresh keys, the database.
    settings_file = etc / "moksori.env"
    info = settings_file.stat()
    assert oct(info.st_mode & 0o777) == "0o640" and info.st_uid == 0
    assert info.st_gid == ServiceUser(user).gid
    settings = moksori.parse_settings(settings_file.read_text())
    assert settings["APP_ENV"] == "production" and len(settings["SECRET_KEY"]) >= 48
    assert settings["DATABASE_URL"] == f"postgresql+psycopg://{user}@127.0.0.1:5432/{user}"
    for folder, mode in (("var/lib/moksori/uploads", 0o700), ("var/lib/moksori", 0o750),
                         ("var/backups/moksori", 0o700)):
        stat = (prefix / folder).stat()
        assert stat.st_uid == ServiceUser(user).uid and stat.st_mode & 0o777 == mode, folder
    assert (etc / "tls" / "fullchain.pem").resolve() == etc / "tls" / "selfsigned.crt"
    assert (prefix / "usr/local/bin/moksori").resolve() == installation.moksori.resolve()
    assert psql(f"SELECT pg_encoding_to_char(encoding) FROM pg_database WHERE datname = '{user}'") == "UTF8"
    fstab = (prefix / "etc" / "fstab").read_text()
    assert re.search(r"^tmpfs /var/spool/moksori-body tmpfs .*mode=0700.*size=\d+m 0 0$", fstab, re.M)
    common = (etc / "nginx" / "moksori-common.conf").read_text()
    assert f"client_body_temp_path {prefix}/var/spool/moksori-body;" in common
    for unit in ("moksori-outbox", "moksori-retention", "moksori-timestamp"):
        assert f"ExecStart={installation.moksori} " in (etc / "systemd" / f"{unit}.service").read_text()

    # The second run changes nothing: no file written, no owner or mode changed.
    before = snapshot(prefix)
    second = installation.run()
    assert re.search(r"^nothing changed$", second.stdout, re.M), second.stdout
    assert "changed:" not in second.stdout, second.stdout
    assert snapshot(prefix) == before
    assert moksori.parse_settings(settings_file.read_text()) == settings  # the keys are kept

    # moksori: refused as root (naming the user), run as the service user.
    refused = installation.as_user("doctor", user=False)
    assert refused.returncode == 2 and f"sudo -u {user} moksori doctor" in refused.stderr
    created = installation.as_user("users", "create", "admin@example.org", "--role", "admin", "--password-stdin",
                                   stdin="a long admin password\n")
    assert created.returncode == 0, created.stderr
    doctor = installation.as_user("doctor", "--nginx-conf", str(etc / "nginx" / "moksori-common.conf"))
    said = " ".join(doctor.stdout.split())
    assert "answers and is up to date" in said and "nginx uploads" in said, doctor.stderr

    # gunicorn as the rendered unit starts it (its command, folder, user and settings file).
    unit = (etc / "systemd" / "moksori.service").read_text()
    command = shlex.split(re.search(r"^ExecStart=(.*)$", unit, re.M).group(1))
    workdir = re.search(r"^WorkingDirectory=(.*)$", unit, re.M).group(1)
    assert workdir == str(ROOT) and re.search(rf"^User={user}$", unit, re.M)
    env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", **settings}
    logs = prefix / "test-logs"
    (logs / "logs").mkdir(parents=True)  # main_config's error log
    app = Server(ServiceUser(user).command(command, python=PYTHON), env, logs / "gunicorn.log",
                 installation.app_port)
    conf = main_config(logs, prefix / "etc" / "nginx" / "sites-enabled" / "moksori")
    nginx_command = [NGINX, "-p", str(logs), "-c", str(conf), "-e", str(logs / "startup.log")]
    checked = subprocess.run([*nginx_command, "-t"], capture_output=True, text=True, timeout=30)
    assert checked.returncode == 0, checked.stderr  # the self-signed certificate stands in for Let's Encrypt's
    proxy = Server(nginx_command, env, logs / "nginx-output.log", installation.https)
    try:
        app.start()
        proxy.start()
        assert f"Listening at: http://127.0.0.1:{installation.app_port}" in (logs / "gunicorn.log").read_text()
        tls = ssl.create_default_context(cafile=str(etc / "tls" / "fullchain.pem"))
        tls.check_hostname = False  # the certificate names moksori.test; the test connects to 127.0.0.1
        visitor = Visitor(installation.https, host=NAME, tls=tls)
        narrative = "설치 스크립트로 세운 서버에 보내는 제보입니다."
        status, headers, body = visitor.post_form("/ko/report", {"narrative": narrative})
        assert status == 200, body[:800]
        assert re.search(r'id="receipt-code">\s*[0-9 ]{19}\s*<', body.decode())
        assert headers["Strict-Transport-Security"].startswith("max-age=")
    finally:
        proxy.stop()
        app.stop()
    rows = subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", user, "-X", "-tAc",
                           "SELECT count(*) FROM submission"], capture_output=True, text=True, timeout=60)
    assert rows.stdout.strip() == "1", rows.stderr
