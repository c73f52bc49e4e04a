"""Real servers for the tests of deploy/: gunicorn started as in production (gunicorn.conf.py,
APP_ENV=production), nginx and tor from Debian, all bound to 127.0.0.1, each in a process group
of its own that stop() ends; and a visitor that talks HTTP(S) to them from 127.0.0.2, so that
a log line holding the client's address cannot be mistaken for one naming a server."""
from __future__ import annotations

import base64
import hashlib
import http.client
import os
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import time
import urllib.parse
import uuid
from http.cookies import SimpleCookie
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from config import new_data_key
from tests.helpers import hidden_fields

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
CLIENT_ADDRESS = "127.0.0.2"  # the visitor's address; no log may hold it


def required(path: str, package: str) -> str:
    """A Debian program the test needs: skip without it, but fail under CI (as the browser tests)."""
    if os.path.exists(path):
        return path
    message = f"Debian's {package} is not installed at {path}; run `make test` as root to install it"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def onion_address() -> str:
    """A real version 3 onion address (random key, correct checksum), as tor writes to `hostname`."""
    key = Ed25519PrivateKey.generate().public_key().public_bytes_raw()
    checksum = hashlib.sha3_256(b".onion checksum" + key + b"\x03").digest()[:2]
    return base64.b32encode(key + checksum + b"\x03").decode().lower() + ".onion"


def production_env(tmp: Path, **settings: str) -> dict[str, str]:
    """A production configuration of its own, in `tmp`; nothing from the caller's environment
    but PATH, so no setting of the developer's leaks in."""
    (tmp / "uploads").mkdir(parents=True, exist_ok=True)
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8", "PYTHONDONTWRITEBYTECODE": "1",
        "APP_ENV": "production", "SECRET_KEY": secrets.token_urlsafe(32), "DATA_ENCRYPTION_KEY": new_data_key(),
        "SUBMITTER_NOTICE_FROM": "알림 <notice@mail.example>", "INSTANCE_DIR": str(tmp / "instance"),
        "UPLOAD_DIR": str(tmp / "uploads"), "DATABASE_URL": f"sqlite:///{tmp / 'moksori.sqlite3'}",
        "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(free_port()), "PUBLIC_BASE_URL": "https://moksori.test",
        "MAIL_FROM": "Moksori <news@moksori.test>",
        "GUNICORN_WORKERS": "1", "GUNICORN_THREADS": "4",
    }
    env.update(settings)
    return env


def flask(env: dict, *args: str, stdin: str | None = None, timeout: float = 120) -> str:
    result = subprocess.run([str(BIN / "flask"), "--app", "wsgi", *args], cwd=ROOT, env=env, input=stdin,
                            text=True, capture_output=True, timeout=timeout)
    assert result.returncode == 0, f"flask {' '.join(args)}: {result.stderr[-2000:]}"
    return result.stdout


def eventually(check, seconds: float = 10) -> bool:
    """True once check() is (a log line is written just after its response is sent)."""
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def wait_for_port(port: int, process: subprocess.Popen, log: Path, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"exited with {process.returncode}: {log.read_text()[-3000:]}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"nothing listens on {port} after {seconds}s: {log.read_text()[-3000:]}")


class Server:
    """A command run in its own process group, its output in `log`; stop() ends the group."""

    def __init__(self, command: list[str], env: dict, log: Path, port: int):
        self.command, self.env, self.log, self.port = command, env, log, port
        self.process: subprocess.Popen | None = None

    def start(self) -> Server:
        with open(self.log, "ab") as output:
            self.process = subprocess.Popen(self.command, cwd=ROOT, env=self.env, stdout=output,
                                            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                            start_new_session=True)
        wait_for_port(self.port, self.process, self.log)
        return self

    def stop(self, sig: signal.Signals = signal.SIGTERM) -> None:
        if self.process is None:
            return
        process, self.process = self.process, None
        try:
            os.killpg(process.pid, sig)
            process.wait(timeout=20)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def gunicorn(env: dict, port: int, log: Path) -> Server:
    command = [str(BIN / "gunicorn"), "-c", str(ROOT / "gunicorn.conf.py"), "wsgi:app"]
    return Server(command, {**env, "GUNICORN_BIND": f"127.0.0.1:{port}"}, log, port)


class _ProxyProtocolConnection(http.client.HTTPConnection):
    """Plain HTTP that first sends a PROXY protocol line, as tor does on an onion service with
    HiddenServiceExportCircuitID haproxy."""

    proxy_line = b""

    def connect(self):
        super().connect()
        self.sock.sendall(self.proxy_line)


def circuit_line(circuit: int) -> bytes:
    """tor's PROXY line for a circuit: the circuit's global id in a made-up IPv6 address."""
    return f"PROXY TCP6 fc00:dead:beef:4dad::{circuit >> 16:x}:{circuit & 0xFFFF:x} ::1 65535 80\r\n".encode()


class Visitor:
    """One browser: keeps its cookies, sends forms with their hidden fields (CSRF token), and
    connects from `address` (CLIENT_ADDRESS). `tls` is an SSL context for HTTPS; `host` the Host
    header; `circuit` makes it a Tor Browser reaching the onion server over that circuit."""

    def __init__(self, port: int, host: str = "", tls: ssl.SSLContext | None = None,
                 address: str = CLIENT_ADDRESS, circuit: int | None = None):
        self.port, self.host, self.tls, self.address, self.circuit = port, host, tls, address, circuit
        self.cookies: dict[str, str] = {}

    def connection(self) -> http.client.HTTPConnection:
        source = (self.address, 0)
        if self.tls:
            return http.client.HTTPSConnection("127.0.0.1", self.port, context=self.tls, timeout=60,
                                               source_address=source)
        if self.circuit is not None:
            connection = _ProxyProtocolConnection("127.0.0.1", self.port, timeout=60, source_address=source)
            connection.proxy_line = circuit_line(self.circuit)
            return connection
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=60, source_address=source)

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
        """Returns (status, headers, body as bytes); the body is not decompressed."""
        headers = dict(headers or {})
        if self.host:
            headers["Host"] = self.host
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        connection = self.connection()
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            data = response.read()
        finally:
            connection.close()
        for header in response.headers.get_all("Set-Cookie") or []:
            for key, morsel in SimpleCookie(header).items():
                if morsel["max-age"] == "0" or morsel["expires"].startswith("Thu, 01 Jan 1970"):
                    self.cookies.pop(key, None)
                else:
                    self.cookies[key] = morsel.value
        return response.status, response.headers, data

    def get(self, path: str, **headers: str):
        return self.request("GET", path, headers=headers)

    def text(self, path: str) -> str:
        status, _, data = self.get(path)
        assert status == 200, (status, path, data[:300])
        return data.decode()

    def post_form(self, path: str, data: dict, files: list[tuple[str, bytes]] | None = None, page: str | None = None,
                  headers: dict | None = None):
        """GET the page, copy its hidden fields, POST like a browser (multipart with files)."""
        fields = {**hidden_fields(self.text(page or path)), **data}
        if files is None:
            body = urllib.parse.urlencode(fields, doseq=True).encode()
            return self.request("POST", path, body,
                                {"Content-Type": "application/x-www-form-urlencoded", **(headers or {})})
        boundary = uuid.uuid4().hex
        parts = []
        for name, value in fields.items():
            for item in value if isinstance(value, list) else [value]:
                head = f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
                parts.append(f"{head}{item}\r\n".encode())
        for filename, content in files:
            parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="attachments"; '
                         f'filename="{filename}"\r\nContent-Type: application/octet-stream\r\n\r\n'.encode()
                         + content + b"\r\n")
        body = b"".join(parts) + f"--{boundary}--\r\n".encode()
        return self.request("POST", path, body, {"Content-Type": f"multipart/form-data; boundary={boundary}"})


# --- the `moksori` command and a service user ------------------------------------------------

MOKSORI = BIN / "moksori"
NOT_SETTINGS = {"PATH", "LANG", "PYTHONDONTWRITEBYTECODE"}


def quote_setting(value: str) -> str:
    """A value for a settings file line, read alike by systemd's EnvironmentFile= and moksori."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def write_settings(path: Path, env: dict[str, str], group: int | None = None) -> Path:
    """The settings file an installation has (mode 0640, group = the service user's)."""
    path.write_text("".join(f"{name}={quote_setting(value)}\n" for name, value in env.items()
                            if name not in NOT_SETTINGS))
    path.chmod(0o640)
    if group is not None:
        os.chown(path, 0, group)
    return path


class ServiceUser:
    """A throwaway system account (deleted afterwards), as install.sh makes `moksori`."""

    def __init__(self, name: str):
        import pwd

        self.name = name
        entry = pwd.getpwnam(name)
        self.uid, self.gid = entry.pw_uid, entry.pw_gid

    def own(self, *paths: Path) -> None:
        for path in paths:
            os.chown(path, self.uid, self.gid)

    def command(self, args: list[str], python: str = sys.executable) -> list[str]:
        """`args` run as this user (setpriv: no root left). Where the Python running the tests
        lies in a folder only root may enter (pyenv under /root), the child keeps one right of
        root's, CAP_DAC_READ_SEARCH (read and search any folder), so that it can start; it is
        still this user, not root, which is what `moksori` looks at."""
        prefix = ["setpriv", f"--reuid={self.uid}", f"--regid={self.gid}", "--init-groups"]
        if not reachable_by_others(Path(python)):
            prefix += ["--inh-caps=+dac_read_search", "--ambient-caps=+dac_read_search"]
        return [*prefix, *args]


def reachable_by_others(path: Path) -> bool:
    """Whether a user who is not root can run `path` (every folder above it searchable by others)."""
    path = path.resolve()
    return all(parent.stat().st_mode & 0o001 for parent in path.parents) and bool(path.stat().st_mode & 0o001)


def throwaway_user():
    """A fixture body: yields a ServiceUser, or skips (outside CI) where none can be made."""
    import contextlib

    @contextlib.contextmanager
    def made():
        if os.geteuid() != 0:
            pytest.skip("making a throwaway service user needs root (the suite runs as root in CI)")
        for program in ("useradd", "userdel", "setpriv"):
            if not shutil.which(program):
                message = f"{program} is not installed (Debian: passwd, util-linux)"
                if os.environ.get("CI") == "true":
                    pytest.fail(message)
                pytest.skip(message)
        name = f"mks{secrets.token_hex(4)}"
        subprocess.run(["useradd", "--system", "--user-group", "--no-create-home", "--home-dir", "/nonexistent",
                        "--shell", "/usr/sbin/nologin", name], check=True, capture_output=True, timeout=60)
        try:
            yield ServiceUser(name)
        finally:
            subprocess.run(["userdel", name], capture_output=True, timeout=60)
    return made()


def render_args(out: Path, settings: dict[str, str]) -> list[str]:
    """deploy/render.py's command line. A checkout under /home or /tmp is one the units could not
    use (render.py refuses it): tests that never install the units render it anyway."""
    hidden = any(str(ROOT).startswith(prefix) for prefix in ("/tmp/", "/var/tmp/", "/home/", "/root/", "/run/user/"))
    return [sys.executable, str(ROOT / "deploy" / "render.py"), str(out),
            *(f"--set={k}={v}" for k, v in settings.items()), *(["--allow-hidden-paths"] if hidden else [])]


def open_folder(prefix: str):
    """A fixture body: a new folder under /tmp that other users may enter (pytest's own are
    0700), removed afterwards."""
    import contextlib
    import tempfile

    @contextlib.contextmanager
    def made():
        folder = Path(tempfile.mkdtemp(prefix=prefix))
        folder.chmod(0o755)
        try:
            yield folder
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    return made()
