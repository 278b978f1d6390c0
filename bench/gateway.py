"""make bench: the auth gateway under load.

Seeds 10,000 officers with active soft tokens on the configured database (run it on
PostgreSQL), serves the app with gunicorn on 127.0.0.1, and drives POST /api/v1/auth/check
with valid current codes for distinct officers (each officer at most once per 30-second time
step, as real logins are) at 16 and 64 concurrent clients for a bounded time, for:

  (a) full soft_token checks (Argon2id password hashes at the OWASP floor), and
  (b) the same with a fast password hasher — BENCH ONLY, bench/settings_fast_hash.py — which
      shows the gateway's own overhead.

Prints requests/s, p50/p95/p99 latency and errors, and the cost of one password hash.
"""

import argparse
import asyncio
import base64
import datetime as dt
import hashlib
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import django

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gfms_portal.settings")
django.setup()

import pyotp
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management import call_command
from django.db import connection

from agencies.models import Agency, Officer
from agencies.policy import Kind, Region, path_for
from auth_gateway.models import LoginDecision, ServiceClient
from auth_gateway.services import create_service_client
from gfms_portal import crypto
from gfms_portal.clock import now
from tokens.models import SoftToken, SoftTokenStatus

PASSWORD = "bench-password-2568"  # noqa: S105
PREFIX = "bench-"


def secret_for(index: int) -> str:
    """A deterministic 160-bit seed per bench officer, so the load generator can make codes."""
    digest = hashlib.sha256(f"gfms bench {index}".encode()).digest()[:20]
    return base64.b32encode(digest).decode().rstrip("=")


def reencrypt_if_foreign() -> None:
    """Another checkout (its own dev key under var/) may have seeded this database: the seeds
    are deterministic, so write them again under this checkout's key rather than answer every
    check with 503 (DecryptionError)."""
    sample = SoftToken.objects.filter(officer__username__startswith=PREFIX).first()
    if sample is None:
        return
    try:
        sample.secret  # noqa: B018  (decrypting is the test)
    except crypto.DecryptionError:
        print("bench seeds were written under another key: encrypting them again…", flush=True)
        tokens = list(
            SoftToken.objects.filter(officer__username__startswith=PREFIX).select_related("officer")
        )
        for token in tokens:
            token.secret_encrypted = SoftToken.secret.encrypt(
                secret_for(int(token.officer.username[len(PREFIX) :]))
            )
        SoftToken.objects.bulk_update(tokens, ["secret_encrypted"], batch_size=2000)


def seed(officers: int) -> None:
    call_command("migrate", verbosity=0, interactive=False)
    reencrypt_if_foreign()
    have = Officer.objects.filter(username__startswith=PREFIX).count()
    if have >= officers:
        return
    print(f"seeding {officers - have:,} bench officers with soft tokens…", flush=True)
    ministry, _ = Agency.objects.get_or_create(
        code="99",
        defaults={"kind": Kind.MINISTRY, "path": path_for("99"), "name_th": "กระทรวงทดสอบสมรรถนะ"},
    )
    department, _ = Agency.objects.get_or_create(
        code="99001",
        defaults={
            "kind": Kind.DEPARTMENT,
            "parent": ministry,
            "path": path_for("99001"),
            "name_th": "กรมทดสอบสมรรถนะ",
        },
    )
    units = []
    for number in range(1, 101):
        code = f"99001{number:05d}"
        unit, _ = Agency.objects.get_or_create(
            code=code,
            defaults={
                "kind": Kind.UNIT,
                "parent": department,
                "path": path_for(code),
                "name_th": f"หน่วยทดสอบ {number}",
                "region": Region.CENTRAL,
            },
        )
        units.append(unit)
    placeholder = make_password(PASSWORD)
    batch = []
    for index in range(have, officers):
        batch.append(
            Officer(
                username=f"{PREFIX}{index:06d}",
                name_th=f"ผู้ทดสอบ {index}",
                email=f"{PREFIX}{index}@bench.example",
                unit=units[index % len(units)],
                password=placeholder,
            )
        )
    Officer.objects.bulk_create(batch, batch_size=2000)
    created = Officer.objects.filter(username__startswith=PREFIX).exclude(soft_tokens__isnull=False)
    at = now()
    SoftToken.objects.bulk_create(
        [
            SoftToken(
                officer=officer,
                secret_encrypted=SoftToken.secret.encrypt(
                    secret_for(int(officer.username[len(PREFIX) :]))
                ),
                status=SoftTokenStatus.ACTIVE,
                created_at=at,
                confirmed_at=at,
            )
            for officer in created
        ],
        batch_size=2000,
    )


def set_passwords(hasher: str) -> None:
    """One hash for every bench officer, in the format the scenario's first hasher makes (so
    no login re-hashes it)."""
    from django.utils.module_loading import import_string

    chosen = import_string(hasher)()
    encoded = chosen.encode(PASSWORD, chosen.salt())
    Officer.objects.filter(username__startswith=PREFIX).update(
        password=encoded, failed_logins=0, locked_until=None
    )
    SoftToken.objects.filter(officer__username__startswith=PREFIX).update(last_used_step=None)


def service_key() -> str:
    """A fresh client per run (earlier runs' decision records keep theirs), unthrottled."""
    client, key = create_service_client(
        f"bench-{now():%Y%m%d-%H%M%S-%f}", at=now(), actor_label="bench"
    )
    ServiceClient.objects.filter(pk=client.pk).update(requests_per_minute=10**9)
    return key


def hash_cost(samples: int = 10) -> float:
    """Seconds for one password hash with the production hasher (Argon2id, OWASP floor)."""
    make_password(PASSWORD)  # warm up
    started = time.perf_counter()
    for _ in range(samples):
        make_password(PASSWORD)
    return (time.perf_counter() - started) / samples


def _hash_burst(count: int) -> int:
    for _ in range(count):
        make_password(PASSWORD)
    return count


def parallel_hash_rate(processes: int, per_process: int = 20) -> float:
    """Hashes per second with every core hashing (memory bandwidth is shared)."""
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(processes) as pool:
        list(pool.map(_hash_burst, [2] * processes))
        started = time.perf_counter()
        total = sum(pool.map(_hash_burst, [per_process] * processes))
        return total / (time.perf_counter() - started)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def serve(port: int, settings_module: str, workers: int) -> subprocess.Popen[bytes]:
    env = dict(
        os.environ, DJANGO_SETTINGS_MODULE=settings_module, DEBUG="false", LOG_LEVEL="WARNING"
    )
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "gfms_portal.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--backlog",
            "2048",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("gunicorn did not start")


class Officers:
    """Hands out officers so that none is used twice in one time step."""

    def __init__(self, count: int) -> None:
        self.count = count
        self.next = 0
        self.last_step = [-1] * count

    def take(self) -> tuple[str, str] | None:
        step = int(time.time()) // 30
        for _ in range(self.count):
            index = self.next
            self.next = (self.next + 1) % self.count
            if self.last_step[index] < step:
                self.last_step[index] = step
                code = pyotp.TOTP(secret_for(index)).at(time.time())
                return f"{PREFIX}{index:06d}", code
        return None


async def one_request(port: int, key: str, username: str, code: str) -> tuple[float, bool]:
    body = json.dumps(
        {"username": username, "password": PASSWORD, "method": "soft_token", "otp": code}
    ).encode()
    request = (
        f"POST /api/v1/auth/check HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {key}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode() + body
    started = time.perf_counter()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(request)
    await writer.drain()
    response = await reader.read()
    writer.close()
    elapsed = time.perf_counter() - started
    head, _, payload = response.partition(b"\r\n\r\n")
    ok = head.startswith(b"HTTP/1.1 200") and b'"decision":"allow"' in payload
    return elapsed, ok


async def drive(
    port: int, key: str, officers: Officers, clients: int, seconds: float
) -> dict[str, float]:
    latencies: list[float] = []
    errors = 0
    stop = time.monotonic() + seconds

    async def client() -> None:
        nonlocal errors
        while time.monotonic() < stop:
            taken = officers.take()
            if taken is None:
                await asyncio.sleep(0.05)
                continue
            try:
                elapsed, ok = await one_request(port, key, *taken)
            except OSError:
                errors += 1
                continue
            latencies.append(elapsed)
            errors += 0 if ok else 1

    started = time.monotonic()
    await asyncio.gather(*(client() for _ in range(clients)))
    duration = time.monotonic() - started
    latencies.sort()

    def pct(p: float) -> float:
        return (
            latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000
            if latencies
            else float("nan")
        )

    return {
        "clients": clients,
        "requests": len(latencies),
        "rps": len(latencies) / duration,
        "p50_ms": pct(0.50),
        "p95_ms": pct(0.95),
        "p99_ms": pct(0.99),
        "mean_ms": statistics.fmean(latencies) * 1000 if latencies else float("nan"),
        "errors": errors,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--officers", type=int, default=10_000)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--clients", type=int, nargs="+", default=[16, 64])
    # cores + 1 measured best here: hashing is CPU-bound (3 workers: 46/s; 4 workers: 42/s).
    parser.add_argument("--workers", type=int, default=(os.cpu_count() or 2) + 1)
    args = parser.parse_args()

    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    print(
        f"database: {engine}; machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    if engine != "postgresql":
        print("warning: run the benchmark on PostgreSQL (DATABASE_URL) for meaningful figures")
    seed(args.officers)
    key = service_key()
    cost = hash_cost()
    cores = os.cpu_count() or 1
    parallel = parallel_hash_rate(cores)
    print(
        f"one password hash (Argon2id m=19 MiB, t=2, p=1): {cost * 1000:.1f} ms → hash-bound limit "
        f"{cores / cost:.0f} checks/s on {cores} cores ({parallel:.0f} hashes/s measured with {cores} "
        "processes hashing at once)"
    )

    scenarios = [
        (
            "a",
            "full soft_token check (Argon2id)",
            "gfms_portal.settings",
            "gfms_portal.hashers.Argon2idHasher",
        ),
        (
            "b",
            "fast password hasher — BENCH ONLY",
            "bench.settings_fast_hash",
            "django.contrib.auth.hashers.MD5PasswordHasher",
        ),
    ]
    results: list[dict[str, object]] = []
    for label, title, module, hasher in scenarios:
        for clients in args.clients:
            set_passwords(hasher)
            connection.close()
            port = free_port()
            server = serve(port, module, args.workers)
            try:
                officers = Officers(args.officers)
                asyncio.run(drive(port, key, officers, clients=4, seconds=2))  # warm-up
                result = asyncio.run(drive(port, key, officers, clients, args.seconds))
            finally:
                server.terminate()
                server.wait(timeout=30)
            results.append({**result, "scenario": label, "title": title})
            print(
                f"({label}) {title:<36} {clients:>3} clients: {result['rps']:7.1f} req/s  "
                f"p50 {result['p50_ms']:6.1f} ms  p95 {result['p95_ms']:6.1f} ms  p99 {result['p99_ms']:6.1f} ms  "
                f"errors {result['errors']}  ({result['requests']} requests)",
                flush=True,
            )
    per_check = LoginDecision.objects.filter(username__startswith=PREFIX).count()
    out = ROOT / "var" / "bench-gateway.json"
    out.write_text(
        json.dumps(
            {
                "at": dt.datetime.now(dt.UTC).isoformat(),
                "hash_ms": cost * 1000,
                "parallel_hashes_per_s": parallel,
                "cores": cores,
                "workers": args.workers,
                "results": results,
            },
            indent=2,
        )
    )
    print(f"decision records written: {per_check:,}; figures saved to {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
