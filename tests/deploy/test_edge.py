"""The edge, for real: Debian's nginx running deploy/nginx/gfms.conf.template (rendered by
envsubst as the official nginx image renders /etc/nginx/templates) in front of gunicorn with
gunicorn.conf.py, on loopback ports, TLS with a throwaway certificate.

- 50 slow clients (one byte every 2 s) do not delay /api/v1/health: answered in under 1 s;
  nginx then drops them (client_header_timeout);
- bodies over the limits get 413 from nginx, before gunicorn sees them;
- a client's own X-Forwarded-For never becomes the address Django sees;
- /metrics answers the monitoring network only: nginx refuses everyone else (403), and
  Django again (404) anyone who reaches gunicorn some other way.
"""

import contextlib
import datetime as dt
import http.client
import json
import os
import shutil
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.deploy.conftest import (
    HOST,
    ROOT,
    Postgres,
    app_env,
    free_port,
    gunicorn,
    need_root_and,
    stop,
    wait_for_port,
)

TEMPLATE = ROOT / "deploy" / "nginx" / "gfms.conf.template"
# The monitoring network of these tests: Prometheus scrapes from 127.0.0.65 (nginx and
# Django both allow METRICS_ALLOW); everyone else is outside.
MONITORING_NETWORK = "127.0.0.64/29"

# The official image's /etc/nginx/nginx.conf (the parts that matter: the template is
# included in its http block, after its own access_log and keepalive_timeout), with paths
# moved into the test's directory.
MAIN_CONF = """
worker_processes 2;
error_log {dir}/error.log notice;
pid {dir}/nginx.pid;
events {{ worker_connections 1024; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    log_format main '$remote_addr - $remote_user [$time_local] "$request" '
                    '$status $body_bytes_sent "$http_referer" '
                    '"$http_user_agent" "$http_x_forwarded_for"';
    access_log {dir}/access.log main;
    sendfile on;
    keepalive_timeout 65;
    client_body_temp_path {dir}/tmp/body;
    proxy_temp_path {dir}/tmp/proxy;
    fastcgi_temp_path {dir}/tmp/fastcgi;
    uwsgi_temp_path {dir}/tmp/uwsgi;
    scgi_temp_path {dir}/tmp/scgi;
    include {dir}/conf.d/*.conf;
}}
"""


@dataclass
class Edge:
    https_port: int
    http_port: int
    health_port: int
    tls: ssl.SSLContext
    gunicorn_port: int
    log: Path


def render(template: Path, variables: dict[str, str]) -> str:
    """What the image's 20-envsubst-on-templates.sh does: substitute every variable defined
    in the environment, and nothing else."""
    defined = " ".join(f"${{{name}}}" for name in variables)
    return subprocess.run(  # noqa: S603
        [shutil.which("envsubst") or "envsubst", defined],
        input=template.read_text(), env={"PATH": "/usr/bin:/bin", **variables},
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip


def self_signed(directory: Path) -> Path:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, HOST)])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(HOST)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    (directory / "fullchain.pem").write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    (directory / "privkey.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return directory / "fullchain.pem"


@pytest.fixture(scope="module")
def edge(private_postgres: Postgres, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Edge]:
    need_root_and("nginx", "envsubst")
    base = tmp_path_factory.mktemp("edge")
    # nginx's workers run as nobody and write request bodies under tmp/.
    os.chmod(base, 0o755)  # noqa: S103
    for sub in ("conf.d", "tls", "tmp"):
        (base / sub).mkdir()
    os.chmod(base / "tmp", 0o777)  # noqa: S103
    chain = self_signed(base / "tls")
    env = app_env(
        private_postgres,
        base,
        DJANGO_SETTINGS_MODULE="tests.deploy.echo_settings",
        GFMS_TRUSTED_PROXIES="127.0.0.1",  # nginx connects from here; the clients do not
        WEB_CONCURRENCY="2",
        METRICS_ALLOW=MONITORING_NETWORK,
    )
    log = base / "gunicorn.log"
    with gunicorn(env, log) as gunicorn_port:
        ports = {name: free_port() for name in ("https", "http", "health")}
        # The edge container's environment from docker-compose.yml, with this machine's
        # addresses: loopback ports, gunicorn by IP (so the resolver is never asked).
        compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
        variables = {
            **compose["services"]["edge"]["environment"],
            "GFMS_SERVER_NAME": HOST,
            "GFMS_UPSTREAM": f"127.0.0.1:{gunicorn_port}",
            "NGINX_HTTP_PORT": f"127.0.0.1:{ports['http']}",
            "NGINX_HTTPS_PORT": f"127.0.0.1:{ports['https']}",
            "NGINX_HEALTH_PORT": str(ports["health"]),
            "NGINX_TLS_DIR": str(base / "tls"),
            "METRICS_ALLOW": MONITORING_NETWORK,
        }
        rendered = render(TEMPLATE, variables)
        assert "$remote_addr" in rendered and "${" not in rendered
        (base / "conf.d" / "gfms.conf").write_text(rendered)
        (base / "nginx.conf").write_text(MAIN_CONF.format(dir=base))
        nginx = [shutil.which("nginx") or "nginx", "-c", str(base / "nginx.conf")]
        tested = subprocess.run([*nginx, "-t"], capture_output=True, text=True, check=False)  # noqa: S603
        assert tested.returncode == 0, tested.stderr
        process = None
        try:
            with open(base / "nginx.out", "wb") as output:
                process = subprocess.Popen(  # noqa: S603
                    [*nginx, "-g", "daemon off;"],
                    stdout=output, stderr=output, start_new_session=True,
                )  # fmt: skip
            for port in ports.values():
                wait_for_port(port, process)
            tls = ssl.create_default_context(cafile=str(chain))
            yield Edge(ports["https"], ports["http"], ports["health"], tls, gunicorn_port, log)
        finally:
            stop(process, 3)  # SIGQUIT: nginx's graceful stop, as in the image


class TLSConnection(http.client.HTTPSConnection):
    """HTTPS to 127.0.0.1 with our host name in SNI and in the certificate check."""

    def __init__(self, edge: Edge, source: str = "127.0.0.1", timeout: float = 10) -> None:
        super().__init__(
            "127.0.0.1",
            edge.https_port,
            timeout=timeout,
            context=edge.tls,
            source_address=(source, 0),
        )
        self.tls = edge.tls

    def connect(self) -> None:
        http.client.HTTPConnection.connect(self)
        self.sock = self.tls.wrap_socket(self.sock, server_hostname=HOST)


def via_edge(
    edge: Edge,
    method: str,
    path: str,
    *,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    source: str = "127.0.0.1",
) -> tuple[int, float, bytes, http.client.HTTPResponse]:
    connection = TLSConnection(edge, source)
    started = time.monotonic()
    try:
        connection.request(method, path, body=body, headers={"Host": HOST, **(headers or {})})
        response = connection.getresponse()
        data = response.read()
        return response.status, time.monotonic() - started, data, response
    finally:
        connection.close()


def logged(edge: Edge, text: str) -> int:
    """How often gunicorn's log shows `text`, once lines written just after the answer (the
    access log comes after the response) have landed: waits up to 5 s for the log to settle."""
    deadline = time.monotonic() + 5
    count = edge.log.read_text().count(text)
    while time.monotonic() < deadline:
        time.sleep(0.3)
        again = edge.log.read_text().count(text)
        if again == count:
            return count
        count = again
    return count


def shows_up(edge: Edge, text: str) -> bool:
    """Whether `text` lands in gunicorn's log within 5 s (the access line is written after
    the response has gone, so it can trail the answer a little)."""
    deadline = time.monotonic() + 5
    while text not in edge.log.read_text():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


@contextlib.contextmanager
def slow_clients(edge: Edge, count: int, every: float) -> Iterator[list[ssl.SSLSocket]]:
    """`count` TLS connections each sending one more byte of a request every `every` s."""
    line = f"GET /api/v1/health HTTP/1.1\r\nHost: {HOST}\r\nX-Pad: {'a' * 200}\r\n".encode()
    sockets = []
    for _ in range(count):
        raw = socket.create_connection(("127.0.0.1", edge.https_port), timeout=10)
        sockets.append(edge.tls.wrap_socket(raw, server_hostname=HOST))
    stopping = threading.Event()

    def dribble() -> None:
        for position in range(len(line)):  # bounded: never ends the header
            for sock in sockets:
                with contextlib.suppress(OSError):
                    sock.send(line[position : position + 1])
            if stopping.wait(every):
                return

    sender = threading.Thread(target=dribble, daemon=True)
    sender.start()
    try:
        yield sockets
    finally:
        stopping.set()
        sender.join(timeout=10)
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.close()


def test_health_stays_fast_under_50_slow_clients(edge: Edge) -> None:
    assert via_edge(edge, "GET", "/api/v1/health")[0] == 200
    with slow_clients(edge, 50, every=2.0) as sockets:
        time.sleep(1)  # all of them connected and dribbling
        timings = []
        for _ in range(6):
            status, seconds, body, _response = via_edge(edge, "GET", "/api/v1/health")
            assert status == 200 and json.loads(body)["status"] == "ok"
            timings.append(seconds)
            time.sleep(0.5)
        print(f"health under 50 slow clients: {[round(t * 1000) for t in timings]} ms")
        assert max(timings) < 1.0, timings

        # nginx gives each of them client_header_timeout (10 s) for the whole header, then
        # closes: they never reach gunicorn.
        opened = time.monotonic()
        closed = 0
        for sock in sockets:
            sock.settimeout(max(0.1, 20 - (time.monotonic() - opened)))
            with contextlib.suppress(OSError):
                while sock.recv(4096):  # 408 or nothing, then end of stream
                    pass
                closed += 1
        assert closed == 50
    assert logged(edge, "GET /api/v1/health") == 7  # only the complete ones


def test_bodies_over_the_limits_are_refused_by_nginx(edge: Edge) -> None:
    before = logged(edge, "POST /api/v1/auth/check")
    json_headers = {"Content-Type": "application/json"}
    over_api = b'{"username": "' + b"a" * 70_000 + b'"}'
    status, _s, body, response = via_edge(
        edge, "POST", "/api/v1/auth/check", body=over_api, headers=json_headers
    )
    assert status == 413 and response.getheader("Server") == "nginx"
    assert b"413" in body
    # Under the API limit the request reaches Django (401: no service key).
    status, *_ = via_edge(
        edge, "POST", "/api/v1/auth/check", body=b'{"username": "x"}', headers=json_headers
    )
    assert status == 401
    assert logged(edge, "POST /api/v1/auth/check") == before + 1
    # The portal's forms: more room (100 kB passes to Django, CSRF refuses it), 300 kB not.
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    assert via_edge(edge, "POST", "/login/", body=b"x=" + b"a" * 100_000, headers=form)[0] == 403
    assert via_edge(edge, "POST", "/login/", body=b"x=" + b"a" * 300_000, headers=form)[0] == 413


def test_a_client_cannot_choose_its_forwarded_address_or_scheme(edge: Edge) -> None:
    spoof = {
        "X-Forwarded-For": "203.0.113.9",
        "X-Forwarded-Proto": "https",
        "Forwarded": "for=1.2.3.4",
    }
    # Through nginx from 127.0.0.7: Django sees 127.0.0.7 (what nginx saw), over HTTPS.
    status, _s, body, _r = via_edge(edge, "GET", "/edge-echo", headers=spoof, source="127.0.0.7")
    assert status == 200
    assert json.loads(body) == {
        "remote_addr": "127.0.0.7",
        "x_forwarded_for": None,
        "is_secure": True,
        "host": HOST,
    }
    assert shows_up(edge, "127.0.0.7 [")  # gunicorn's access log: the real client
    # Straight to gunicorn from an address that is not the proxy: the headers are dropped,
    # so plain HTTP stays plain HTTP (redirected) and the address is the peer's own.
    direct = http.client.HTTPConnection(
        "127.0.0.1", edge.gunicorn_port, timeout=10, source_address=("127.0.0.8", 0)
    )
    direct.request("GET", "/edge-echo", headers={"Host": HOST, **spoof})
    response = direct.getresponse()
    response.read()
    direct.close()
    assert response.status == 301 and response.getheader("Location", "").startswith("https://")
    assert "203.0.113.9" not in edge.log.read_text()


def test_plain_http_redirects_and_the_health_port_answers(edge: Edge) -> None:
    plain = http.client.HTTPConnection("127.0.0.1", edge.http_port, timeout=10)
    plain.request("GET", "/api/v1/health?x=1", headers={"Host": HOST})
    response = plain.getresponse()
    assert response.status == 301
    assert response.getheader("Location") == f"https://{HOST}/api/v1/health?x=1"
    plain.close()
    # An unknown host name over TLS gets no certificate at all.
    raw = socket.create_connection(("127.0.0.1", edge.https_port), timeout=10)
    with pytest.raises(ssl.SSLError):
        edge.tls.wrap_socket(raw, server_hostname="other.example").close()
    raw.close()


def test_the_compose_healthcheck_of_the_edge_passes(edge: Edge) -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]["edge"]
    test = compose["healthcheck"]["test"]
    port = compose["environment"]["NGINX_HEALTH_PORT"]
    assert test[0] == "CMD" and f"127.0.0.1:{port}/" in " ".join(test)
    # The same command, at the port this test gave nginx.
    command = [part.replace(f":{port}/", f":{edge.health_port}/") for part in test[1:]]
    assert subprocess.run(command, capture_output=True, timeout=30, check=False).returncode == 0  # noqa: S603
    # It reaches Django (end to end): the health request shows in gunicorn's log.
    assert logged(edge, "GET /healthz") >= 1


def test_sign_in_posts_are_rate_limited_per_address_and_pages_are_not(edge: Edge) -> None:
    """A password sprayer from one address meets nginx's limit (10/s, burst 20) before the
    portal; another address, and ordinary page views, are not affected."""
    form = b"username=nobody&password=wrong"
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    statuses = [
        via_edge(edge, "POST", "/login/", body=form, headers=headers, source="127.0.0.21")[0]
        for _ in range(45)
    ]
    assert 429 in statuses
    assert statuses[:20].count(429) == 0  # the burst goes through (to Django's own answer)
    other = via_edge(edge, "POST", "/login/", body=form, headers=headers, source="127.0.0.22")
    assert other[0] != 429
    pages = [via_edge(edge, "GET", "/login/", source="127.0.0.21")[0] for _ in range(30)]
    assert 429 not in pages


def test_metrics_answer_the_monitoring_network_only(edge: Edge) -> None:
    before = logged(edge, "GET /metrics")
    # Outside the monitoring network: nginx says no, whatever the spelling of the path or a
    # forwarding header naming an allowed address; none of it reaches gunicorn.
    spoof = {"X-Forwarded-For": "127.0.0.65", "X-Real-IP": "127.0.0.65"}
    for path in ("/metrics", "/metrics/", "/metrics?format=x", "//metrics", "/%6Detrics"):
        status, _s, body, response = via_edge(edge, "GET", path, headers=spoof, source="127.0.0.7")
        assert status == 403 and response.getheader("Server") == "nginx", path
        assert b"gfms_" not in body
    assert logged(edge, "GET /metrics") == before
    # From the monitoring network, through nginx over TLS: the metrics.
    status, _s, body, response = via_edge(edge, "GET", "/metrics", source="127.0.0.65")
    assert status == 200, body[:300]
    assert response.getheader("Content-Type", "").startswith("text/plain")
    text = body.decode()
    for name in (
        "gfms_gateway_checks_total",
        "gfms_http_request_duration_seconds_bucket",
        "gfms_http_requests_in_flight",
        "gfms_database_errors_total",
        "gfms_cache_errors_total",
        "gfms_outbox_unsent_messages",
        "gfms_outbox_oldest_unsent_age_seconds",
        'gfms_scrape_source_up{source="database"} 1.0',
    ):
        assert name in text, name
    assert "127.0.0.65" not in text  # the scraper's address is no label either

    # Straight to gunicorn (Prometheus on the compose network): plain HTTP is not redirected
    # (SECURE_REDIRECT_EXEMPT), and Django itself checks the address — the second lock.
    def direct(source: str) -> int:
        connection = http.client.HTTPConnection(
            "127.0.0.1", edge.gunicorn_port, timeout=10, source_address=(source, 0)
        )
        try:
            connection.request("GET", "/metrics", headers={"Host": HOST, **spoof})
            response = connection.getresponse()
            response.read()
            return response.status
        finally:
            connection.close()

    assert direct("127.0.0.66") == 200
    assert direct("127.0.0.9") == 404


@pytest.mark.parametrize(
    ("path", "source"),
    [("/login/password/", "127.0.0.31"), ("/account/password/", "127.0.0.32")],
)
def test_password_posts_share_the_sign_in_limit(edge: Edge, path: str, source: str) -> None:
    """The forgotten-password pages (under /login/) and the change-password page meet the
    same per-address limit as the sign-in (docs/passwords.md)."""
    form = b"username=nobody"
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    statuses = [
        via_edge(edge, "POST", path, body=form, headers=headers, source=source)[0]
        for _ in range(45)
    ]
    assert 429 in statuses
    assert statuses[:20].count(429) == 0
