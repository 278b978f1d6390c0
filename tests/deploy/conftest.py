"""Real processes for the production-edge tests: a private throwaway PostgreSQL cluster (never
the shared one on 5432: these tests freeze it), gunicorn with the repository's
gunicorn.conf.py, and Debian's nginx with deploy/nginx rendered as the nginx image renders
it. Everything listens on 127.0.0.1 only, on free ports, and every process is ended in a
finally (a test that fails half-way leaves nothing running).
"""

import base64
import contextlib
import http.client
import os
import pwd
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PG_BIN = next(iter(sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)), None)
HOST = "softtoken.example.go.th"

# A production-like environment (README, Production stack): the values are fake but shaped
# like real ones, so that check --deploy and the HTTPS/host settings behave as in production.
PRODUCTION_ENV = {
    "DEBUG": "false",
    "SECURE_SSL": "true",
    "ALLOWED_HOSTS": HOST,
    "CSRF_TRUSTED_ORIGINS": f"https://{HOST}",
    "SECRET_KEY": "t3Qv9xR2kL7pT4wZ8yB1nC6dF0gH5jK-sU_eA2iO9uY3tR7eW1qP4zX6cV8bN0mLq",
    "GFMS_ENCRYPTION_KEYS": base64.urlsafe_b64encode(b"edge-test-key-0123456789abcdef!!").decode(),
    "EMAIL_HOST": "smtp.example.go.th",
    "DEFAULT_FROM_EMAIL": "GFMS Soft Token <no-reply@example.go.th>",
    "GFMS_PORTAL_URL": f"https://{HOST}/",
    "LOG_LEVEL": "WARNING",
}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"process exited with {process.returncode} before listening")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
            return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {seconds} s")


def stop(process: subprocess.Popen | None, sig: int = signal.SIGTERM) -> None:
    """End a process started with start_new_session=True, and its whole group."""
    if process is None or process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGCONT)  # a stopped process cannot act on SIGTERM
        os.killpg(process.pid, sig)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)


def need_root_and(*what: str) -> None:
    if os.geteuid() != 0:
        pytest.skip("needs root (runs PostgreSQL as the postgres user, nginx as root)")
    for name in what:
        if name == "postgres" and (PG_BIN is None or not (PG_BIN / "initdb").exists()):
            pytest.skip("PostgreSQL server binaries (/usr/lib/postgresql/*/bin) not installed")
        if name == "postgres":
            try:
                pwd.getpwnam("postgres")
            except KeyError:
                pytest.skip("no postgres OS user to run a private cluster as")
        if name == "nginx" and not shutil.which("nginx"):
            pytest.skip("Debian's nginx is not installed (make browser / apt-get install nginx)")
        if name == "envsubst" and not shutil.which("envsubst"):
            pytest.skip("envsubst (gettext-base) is not installed")


@dataclass
class Postgres:
    port: int
    data: Path
    process: subprocess.Popen

    def url(self, database: str = "gfms") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def pids(self) -> list[int]:
        """The postmaster and every process it forked (backends, checkpointer, ...)."""
        postmaster = int((self.data / "postmaster.pid").read_text().split()[0])
        children = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                with contextlib.suppress(OSError):
                    stat = (entry / "stat").read_text()
                    if int(stat.rsplit(")", 1)[1].split()[1]) == postmaster:
                        children.append(int(entry.name))
        return [postmaster, *children]

    def freeze(self) -> list[int]:
        # The postmaster first, so that it forks nothing new while its children stop.
        pids = self.pids()
        for pid in pids:
            os.kill(pid, signal.SIGSTOP)
        for pid in self.pids():  # any child forked in between
            os.kill(pid, signal.SIGSTOP)
        return pids

    def thaw(self) -> None:
        for pid in self.pids():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGCONT)


@pytest.fixture(scope="session")
def private_postgres() -> Iterator[Postgres]:
    need_root_and("postgres")
    assert PG_BIN is not None
    base = Path(tempfile.mkdtemp(prefix="gfms-edge-pg-"))
    postgres_user = pwd.getpwnam("postgres")
    os.chown(base, postgres_user.pw_uid, postgres_user.pw_gid)
    data = base / "data"
    as_postgres = ["runuser", "-u", "postgres", "--"]
    process = None
    try:
        subprocess.run(  # noqa: S603
            [*as_postgres, str(PG_BIN / "initdb"), "-D", str(data), "--auth=trust", "-U",
             "postgres", "--no-sync", "-E", "UTF8", "--locale=C.UTF-8"],
            check=True, capture_output=True, cwd=base,
        )  # fmt: skip
        port = free_port()
        process = subprocess.Popen(  # noqa: S603
            [*as_postgres, str(PG_BIN / "postgres"), "-D", str(data), "-p", str(port), "-k",
             str(base), "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c",
             "synchronous_commit=off", "-c", "full_page_writes=off"],
            stdout=subprocess.DEVNULL, stderr=open(base / "postgres.log", "wb"),  # noqa: SIM115
            start_new_session=True, cwd=base,
        )  # fmt: skip
        wait_for_port(port, process)
        cluster = Postgres(port=port, data=data, process=process)
        deadline = time.monotonic() + 30
        while subprocess.run(  # noqa: S603
            [str(PG_BIN / "pg_isready"), "-q", "-h", "127.0.0.1", "-p", str(port)], check=False
        ).returncode:
            assert time.monotonic() < deadline, "private PostgreSQL did not become ready"
            time.sleep(0.2)
        subprocess.run(  # noqa: S603
            [str(PG_BIN / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres",
             "gfms"],
            check=True,
        )  # fmt: skip
        env = app_env(cluster, Path(base))
        manage("migrate", "--noinput", env=env)
        yield cluster
    finally:
        if process is not None:
            with contextlib.suppress(FileNotFoundError, ValueError, ProcessLookupError):
                Postgres(port=0, data=data, process=process).thaw()
            stop(process, signal.SIGINT)  # PostgreSQL's fast shutdown
        shutil.rmtree(base, ignore_errors=True)


def app_env(cluster: Postgres, var_dir: Path, **overrides: str) -> dict[str, str]:
    return {
        "PATH": f"{ROOT / '.venv' / 'bin'}:/usr/sbin:/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "PYTHONUNBUFFERED": "1",  # as in the image: the access log is read by the tests
        "GFMS_VAR_DIR": str(var_dir),
        "DATABASE_URL": cluster.url(),
        **PRODUCTION_ENV,
        **overrides,
    }


def manage(*args: str, env: dict[str, str], check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, check=check, timeout=120,
    )  # fmt: skip


@contextlib.contextmanager
def gunicorn(env: dict[str, str], log: Path) -> Iterator[int]:
    """gunicorn with the repository's gunicorn.conf.py; yields its port."""
    port = free_port()
    process = None
    try:
        with open(log, "ab") as output:
            process = subprocess.Popen(  # noqa: S603
                [str(ROOT / ".venv" / "bin" / "gunicorn"), "-c", str(ROOT / "gunicorn.conf.py"),
                 "gfms_portal.wsgi:application"],
                cwd=ROOT, env={**env, "GUNICORN_BIND": f"127.0.0.1:{port}"},
                stdout=output, stderr=output, start_new_session=True,
            )  # fmt: skip
        wait_for_port(port, process)
        yield port
    finally:
        stop(process)


@dataclass
class Answer:
    status: int  # 0: no answer (timeout, connection closed)
    seconds: float
    body: bytes = b""


def request(
    port: int,
    method: str,
    path: str,
    *,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 10,
    tls: ssl.SSLContext | None = None,
) -> Answer:
    started = time.monotonic()
    connection: http.client.HTTPConnection
    if tls is not None:
        connection = http.client.HTTPSConnection("127.0.0.1", port, timeout=timeout, context=tls)
    else:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request(method, path, body=body, headers={"Host": HOST, **(headers or {})})
        response = connection.getresponse()
        return Answer(response.status, time.monotonic() - started, response.read())
    except (OSError, http.client.HTTPException):
        return Answer(0, time.monotonic() - started)
    finally:
        connection.close()
