"""deploy/nginx run for real: Debian's nginx, configured by deploy/render.py exactly as shipped
(TLS with a certificate made here, the onion server on loopback), in front of gunicorn in
production mode. Checks compression, caching of fingerprinted static files, that the app's
security headers survive, the request size limit at the proxy, and that no log names the
visitor (127.0.0.2)."""
from __future__ import annotations

import datetime
import gzip
import hashlib
import ipaddress
import os
import re
import ssl
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from app.security import CSP
from tests.deploy.servers import (
    CLIENT_ADDRESS,
    ROOT,
    Server,
    Visitor,
    eventually,
    flask,
    free_port,
    gunicorn,
    onion_address,
    production_env,
    required,
)

# Its servers keep an SQLite file of their own, so the PostgreSQL suite would only repeat it.
pytestmark = pytest.mark.skipif(bool(os.environ.get("TEST_DATABASE_URL")),
                                reason="runs once, in the SQLite suite (its servers use their own SQLite file)")

NGINX = "/usr/sbin/nginx"
NAME = "moksori.test"
ONION = onion_address()
TOTAL_MB = 2  # MAX_TOTAL_UPLOAD_MB for this test: the proxy must refuse past 3 MiB (2 + 1 for the text)
CSS = ROOT / "app" / "static" / "css" / "site.css"


def self_signed(directory: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, NAME)])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(NAME), x509.IPAddress(ipaddress.ip_address(
            "127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert, private = directory / "cert.pem", directory / "key.pem"
    cert.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    private.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))
    return cert, private


def main_config(tmp: Path, site: Path) -> Path:
    """What Debian's /etc/nginx/nginx.conf provides around a site, with every path in `tmp`."""
    user = "user root root;\n" if os.geteuid() == 0 else ""  # the workers must read the test's 0700 folders
    kinds = ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")  # else nginx makes Debian's under /var/lib/nginx
    temp = "".join(f"    {kind}_temp_path {tmp / kind};\n" for kind in kinds)
    path = tmp / "nginx.conf"
    path.write_text(
        f"{user}daemon off;\nworker_processes 1;\npid {tmp / 'nginx.pid'};\nerror_log {tmp / 'logs' / 'main.log'};\n"
        f"events {{ worker_connections 64; }}\n"
        f"http {{\n    include /etc/nginx/mime.types;\n    default_type application/octet-stream;\n"
        f"    sendfile on;\n    access_log off;\n{temp}    include {site};\n}}\n")
    return path


class Proxy:
    def __init__(self, tmp: Path):
        self.tmp = tmp
        self.http, self.https, self.onion, self.app_port = free_port(), free_port(), free_port(), free_port()
        self.logs = tmp / "logs"
        self.logs.mkdir()
        self.env = production_env(tmp, MAX_TOTAL_UPLOAD_MB=str(TOTAL_MB), ONION_ADDRESS=ONION,
                                  CLIENT_ADDRESS_HEADER="X-Moksori-Client")
        cert, key = self_signed(tmp)
        self.tls = ssl.create_default_context(cafile=str(cert))
        settings = {"SERVER_NAME": NAME, "HTTP_LISTEN": f"127.0.0.1:{self.http}",
                    "HTTPS_LISTEN": f"127.0.0.1:{self.https}", "ONION_LISTEN": f"127.0.0.1:{self.onion}",
                    "UPSTREAMS": f"127.0.0.1:{self.app_port}", "TLS_CERT": str(cert), "TLS_KEY": str(key),
                    "LOG_DIR": str(self.logs), "BODY_TEMP_DIR": str(tmp / "body"), "ACME_ROOT": str(tmp / "acme")}
        # The size limit is not given: render.py reads MAX_TOTAL_UPLOAD_MB as the app does.
        subprocess.run([sys.executable, str(ROOT / "deploy" / "render.py"), str(tmp / "deploy"),
                        *(f"--set={k}={v}" for k, v in settings.items())], env=self.env, check=True,
                       capture_output=True, timeout=60)
        self.site = tmp / "deploy" / "nginx" / "moksori.conf"
        conf = main_config(tmp, self.site)
        command = [NGINX, "-p", str(tmp), "-c", str(conf), "-e", str(self.logs / "startup.log")]
        checked = subprocess.run([*command, "-t"], capture_output=True, text=True, timeout=30)
        assert checked.returncode == 0, checked.stderr
        self.app = gunicorn(self.env, self.app_port, self.logs / "gunicorn.log")
        self.nginx = Server(command, self.env, self.logs / "nginx-output.log", self.https)

    def visitor(self, over: str = "https", address: str = CLIENT_ADDRESS, circuit: int = 7) -> Visitor:
        if over == "onion":
            return Visitor(self.onion, host=ONION, address=address, circuit=circuit)
        if over == "http":
            return Visitor(self.http, host=NAME, address=address)
        return Visitor(self.https, host=NAME, tls=self.tls, address=address)

    def log_text(self) -> str:
        return "\n".join(path.read_text(errors="replace") for path in sorted(self.logs.iterdir()) if path.is_file())


@pytest.fixture(scope="module")
def proxy(tmp_path_factory):
    required(NGINX, "nginx")
    proxy = Proxy(tmp_path_factory.mktemp("nginx"))
    flask(proxy.env, "db", "upgrade")
    # The first admin creates the organization's keys: until then the report form is closed (503).
    flask(proxy.env, "users", "create", "admin@example.org", "--role", "admin", "--password-stdin",
          stdin="a long admin password\n")
    try:
        proxy.app.start()
        proxy.nginx.start()
        yield proxy
    finally:
        proxy.nginx.stop()
        proxy.app.stop()


def test_pages_are_compressed_and_keep_the_apps_security_headers(proxy):
    status, headers, body = proxy.visitor().get("/ko/", **{"Accept-Encoding": "gzip"})
    assert status == 200 and headers["Content-Encoding"] == "gzip" and "Accept-Encoding" in headers["Vary"]
    html = gzip.decompress(body).decode()
    assert '<html lang="ko">' in html and len(body) < len(html.encode()) / 2
    assert headers.get_all("Content-Security-Policy") == [CSP]  # the app's, once: nginx adds nothing
    assert headers["Referrer-Policy"] == "no-referrer" and headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY" and headers["Cache-Control"] == "no-store"
    assert headers["Strict-Transport-Security"].startswith("max-age=")
    assert headers["Server"] == "nginx"  # no version number
    # gunicorn saw HTTPS through X-Forwarded-Proto, so the page offers the onion address.
    assert headers["Onion-Location"] == f"http://{ONION}/ko/"


def test_fingerprinted_static_files_are_cached_for_a_year(proxy):
    visitor = proxy.visitor()
    html = gzip.decompress(visitor.get("/ko/report", **{"Accept-Encoding": "gzip"})[2]).decode()
    href = re.search(r'href="(/static/css/site\.css\?v=([0-9a-f]{12}))"', html)
    assert href.group(2) == hashlib.sha256(CSS.read_bytes()).hexdigest()[:12]
    status, headers, body = visitor.get(href.group(1), **{"Accept-Encoding": "gzip"})
    assert status == 200 and headers["Content-Type"].startswith("text/css")
    assert headers["Content-Encoding"] == "gzip" and gzip.decompress(body) == CSS.read_bytes()
    assert headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert headers["X-Content-Type-Options"] == "nosniff" and headers["Referrer-Policy"] == "no-referrer"
    assert headers["Cross-Origin-Resource-Policy"] == "same-origin" and "Strict-Transport-Security" in headers
    assert visitor.get("/static/css/site.css")[1]["Cache-Control"] == "no-cache"  # not fingerprinted
    # nginx served it from disk: gunicorn never saw a static request.
    assert "/static/" not in (proxy.logs / "gunicorn.log").read_text()


def test_a_request_over_the_upload_limit_is_refused_at_the_proxy(proxy):
    limit = (TOTAL_MB + 1) * 1024 * 1024
    common = (proxy.tmp / "deploy" / "nginx" / "moksori-common.conf").read_text()
    assert f"client_max_body_size {TOTAL_MB + 1}m;" in common
    connection = proxy.visitor().connection()
    connection.putrequest("POST", "/ko/report", skip_host=True)
    connection.putheader("Host", NAME)
    connection.putheader("Content-Type", "multipart/form-data; boundary=x")
    connection.putheader("Content-Length", str(limit + 1))
    connection.endheaders()  # the body is never sent: nginx answers from the header
    response = connection.getresponse()
    page = response.read().decode()
    connection.close()
    assert response.status == 413
    assert "파일이 너무 큽니다" in page and "The files are too large" in page and f"{TOTAL_MB}MB" in page
    assert response.headers["Content-Security-Policy"].startswith("default-src 'none'")
    assert response.headers["Cache-Control"] == "no-store"
    assert '"POST /ko/report"' not in (proxy.logs / "gunicorn.log").read_text()
    assert eventually(lambda: '"POST /ko/report" 413' in (proxy.logs / "moksori.access.log").read_text())
    # Just under the limit the request goes through to the app, which answers it itself.
    visitor = proxy.visitor()
    status, _, body = visitor.post_form("/ko/report", {"narrative": "x"}, files=[("big.txt", b"a" * (limit - 8192))])
    assert status != 413 or "파일을 모두 합한 크기" in body.decode()
    assert eventually(lambda: '"POST /ko/report"' in (proxy.logs / "gunicorn.log").read_text())


def test_the_onion_server_serves_the_site_without_onion_location(proxy):
    status, headers, body = proxy.visitor("onion").get("/ko/report", **{"Accept-Encoding": "gzip"})
    assert status == 200 and headers["Content-Encoding"] == "gzip"
    assert headers.get_all("Content-Security-Policy") == [CSP] and "Onion-Location" not in headers
    assert 'class="report-form"' in gzip.decompress(body).decode()


def test_plain_http_sends_visitors_to_https_but_answers_lets_encrypt(proxy):
    status, headers, _ = proxy.visitor("http").get("/ko/report?x=1")
    assert status == 301 and headers["Location"] == f"https://{NAME}/ko/report?x=1"
    challenge = proxy.tmp / "acme" / ".well-known" / "acme-challenge"
    challenge.mkdir(parents=True)
    (challenge / "token123").write_text("token123.thumbprint")
    assert proxy.visitor("http").get("/.well-known/acme-challenge/token123")[2] == b"token123.thumbprint"


def test_no_log_holds_the_visitors_address_or_query(proxy):
    visitor = proxy.visitor()
    assert visitor.get("/ko/?q=secret-search-words")[0] == 200
    assert visitor.get("/no/such/page")[0] == 404
    assert proxy.visitor("onion").get("/staff/login")[0] == 200
    access = proxy.logs / "moksori.access.log"
    assert eventually(lambda: '"GET /staff/login" 200' in access.read_text())
    assert re.search(r'"GET /ko/" 200 \d+', access.read_text()) and '"GET /no/such/page" 404' in access.read_text()
    assert eventually(lambda: '"GET /staff/login" 200' in (proxy.logs / "gunicorn.log").read_text())
    everything = proxy.log_text()  # nginx's access, error and startup logs; gunicorn's output
    assert CLIENT_ADDRESS not in everything
    assert "secret-search-words" not in everything


def try_subscribing(visitor: Visitor, **headers: str) -> int:
    """A subscription with an address the form refuses (422): the limit counts it all the same.
    The Referer is what a browser sends: HTTPS pages check it."""
    scheme = "https" if visitor.tls else "http"
    referer = f"{scheme}://{visitor.host}/ko/subscribe"
    return visitor.post_form("/ko/subscribe", {"email": "not an address"}, headers={"Referer": referer, **headers})[0]


def use_up_the_subscribe_limit(visitor: Visitor) -> None:
    """Five tries an hour (public/subscribe_views.py), counted whatever the answer."""
    for _ in range(5):
        assert try_subscribing(visitor) == 422
    assert try_subscribing(visitor) == 429


@pytest.mark.parametrize("over", ["https", "onion"])
def test_rate_limits_count_each_visitor_not_everyone_behind_the_proxy(proxy, over):
    """Behind nginx the app sees nginx's address for everyone: without the visitor (address or
    Tor circuit) passed on, one person using up a limit would shut it for all."""
    if over == "https":
        first, second = proxy.visitor(address="127.0.0.3"), proxy.visitor(address="127.0.0.4")
    else:
        first, second = proxy.visitor("onion", circuit=0x7E570001), proxy.visitor("onion", circuit=0x7E570002)
    use_up_the_subscribe_limit(first)
    assert try_subscribing(second) == 422
    # Naming someone else in the header does not give a visitor a fresh counter: nginx sets it.
    assert try_subscribing(first, **{"X-Moksori-Client": "10.9.8.7"}) == 429
    everything = proxy.log_text()
    assert "127.0.0.3" not in everything and "127.0.0.4" not in everything
    assert "7e57" not in everything and "dead:beef" not in everything


def test_with_the_app_down_nginx_answers_in_both_languages(proxy):
    proxy.app.stop()
    status, headers, body = proxy.visitor().get("/ko/")
    assert status == 502 and "문제가 발생했습니다" in body.decode() and "Something went wrong" in body.decode()
    assert headers["X-Frame-Options"] == "DENY"
    assert CLIENT_ADDRESS not in proxy.log_text()
