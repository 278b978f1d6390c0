"""make bench: the auth gateway side by side with what it cannot go below.

In one interleaved run, on the configured PostgreSQL, with gunicorn (the same settings for all,
bench/gunicorn_bench.py) and wrk as the load generator (bench/check.lua, bench/loadgen.py):

  (a) the gateway, POST /api/v1/auth/check, Argon2id password hashes (production settings);
  (b) the gateway with a fast password hasher — BENCH ONLY, bench/settings_fast_hash.py;
  (c) a bare reference endpoint — bench/reference.py: one SELECT of the seed, pyotp, one
      conditional UPDATE — on the same framework, database and gunicorn;
  (d) one Argon2id verification alone (gfms_portal.hashers), at the start and at the end:
      bound = cores ÷ its median time.

Every request carries a valid code for the current time step of an officer not yet used in
that step. Repetitions run a, b, c then c, b, a (and so on), each at every client count, one
fresh gunicorn per run after a short warm-up. Printed: checks/s, p50/p95/p99, errors, CPU per
check (gunicorn workers, PostgreSQL, wrk), and the ratios (b)/(c) and (a)/bound; written as
JSON under artifacts/bench/. docs/performance.md says how to read them.
"""

import argparse
import datetime as dt
import importlib.metadata
import json
import multiprocessing
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import django

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gfms_portal.settings")
django.setup()

from django.conf import settings
from django.contrib.auth.hashers import identify_hasher
from django.core.management import call_command
from django.db import connection, transaction
from django.db.models import Q
from django.utils.module_loading import import_string

from agencies.models import Agency, Officer
from agencies.policy import Kind, Region, path_for
from auth_gateway.models import ServiceClient
from auth_gateway.services import create_service_client
from bench import loadgen
from bench.loadgen import WrkRun
from bench.procstat import CpuMeter, CpuUse
from bench.reference import PATH as REFERENCE_PATH
from gfms_portal import crypto
from gfms_portal.clock import now
from gfms_portal.hashers import Argon2idHasher
from tokens.models import SoftToken, SoftTokenStatus

PASSWORD = "bench-password-2568"  # noqa: S105
CHECK_PATH = "/api/v1/auth/check"
HEALTH_PATH = "/api/v1/health"
GUNICORN_CONFIG = ROOT / "bench" / "gunicorn_bench.py"
ARTIFACTS = ROOT / "artifacts" / "bench"


@dataclass(frozen=True)
class OfficerSet:
    """Bench officers whose password is stored with one hasher (so no check re-hashes it)."""

    name: str
    prefix: str
    hasher: str  # dotted path


OFFICER_SETS = {
    s.name: s
    for s in (
        OfficerSet("argon2id", "bench-argon2id-", "passwords.hashers.Argon2idNfkcHasher"),
        OfficerSet("md5", "bench-md5-", "django.contrib.auth.hashers.MD5PasswordHasher"),
    )
}


@dataclass(frozen=True)
class Scenario:
    """One served scenario: a variant is one more line in SCENARIOS (e.g. with `env` set)."""

    name: str
    title: str
    settings: str  # DJANGO_SETTINGS_MODULE of the gunicorn workers
    path: str
    officers: str  # a key of OFFICER_SETS; its time steps are cleared before each run
    env: Mapping[str, str] = field(default_factory=dict)


SCENARIOS = {
    s.name: s
    for s in (
        Scenario("a", "gateway, Argon2id", "gfms_portal.settings", CHECK_PATH, "argon2id"),
        Scenario(
            "b", "gateway, fast hasher (bench only)", "bench.settings_fast_hash", CHECK_PATH, "md5"
        ),
        Scenario("c", "bare reference endpoint", "bench.settings_reference", REFERENCE_PATH, "md5"),
        # Variants for before/after figures within one run (--scenarios b b-tx …).
        Scenario(
            "a-inline",
            "(a), each password hashed in the request's thread",
            "gfms_portal.settings",
            CHECK_PATH,
            "argon2id",
            {"GFMS_PASSWORD_HASH_THREADS": "0"},
        ),
        Scenario(
            "b-tx",
            "(b), every check on the transaction path",
            "bench.settings_fast_hash",
            CHECK_PATH,
            "md5",
            {"GFMS_GATEWAY_ONE_STATEMENT": "false"},
        ),
        Scenario(
            "b-drf",
            "(b), every check through DRF's view (no lean view)",
            "bench.settings_fast_hash",
            CHECK_PATH,
            "md5",
            {"GFMS_GATEWAY_LEAN_VIEW": "false"},
        ),
        Scenario(
            "b-nometrics",
            "(b) with METRICS_ENABLED=false",
            "bench.settings_fast_hash",
            CHECK_PATH,
            "md5",
            {"METRICS_ENABLED": "false"},
        ),
    )
}


# --- the data --------------------------------------------------------------------------------


def bench_units() -> list[Agency]:
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
    return units


def stored_password(officer_set: OfficerSet) -> str:
    hasher = import_string(officer_set.hasher)()
    return str(hasher.encode(PASSWORD, hasher.salt()))


def reencrypt_if_foreign(officer_set: OfficerSet) -> None:
    """Another checkout (its own dev key under var/) may have seeded this database: the seeds
    are deterministic, so write them again under this checkout's key rather than answer every
    check with 503 (DecryptionError)."""
    tokens = SoftToken.objects.filter(officer__username__startswith=officer_set.prefix)
    sample = tokens.first()
    if sample is None:
        return
    try:
        sample.secret  # noqa: B018  (decrypting is the test)
    except crypto.DecryptionError:
        print(f"{officer_set.name}: seeds written under another key: encrypting them again…")
        rows = list(tokens.select_related("officer"))
        for token in rows:
            token.secret_encrypted = SoftToken.secret.encrypt(
                loadgen.secret_for(token.officer.username)
            )
        with transaction.atomic():  # all or none: the test above looks at one token
            SoftToken.objects.bulk_update(rows, ["secret_encrypted"], batch_size=2000)


def ensure_password(officer_set: OfficerSet) -> None:
    """Every officer of the set has a hash of PASSWORD made by the set's hasher with its
    current parameters (a login would otherwise re-hash it: one more hash and write)."""
    officers = Officer.objects.filter(username__startswith=officer_set.prefix)
    sample = officers.values_list("password", flat=True).first()
    if sample is None:
        return
    hasher = import_string(officer_set.hasher)()
    try:
        fine = (
            identify_hasher(sample).algorithm == hasher.algorithm
            and not hasher.must_update(sample)
            and hasher.verify(PASSWORD, sample)
        )
    except ValueError:
        fine = False
    if not fine:
        print(f"{officer_set.name}: storing the password with {officer_set.hasher}…")
        officers.update(password=stored_password(officer_set))


def seed(officer_set: OfficerSet, count: int) -> None:
    reencrypt_if_foreign(officer_set)
    ensure_password(officer_set)
    have = Officer.objects.filter(username__startswith=officer_set.prefix).count()
    if have >= count:
        return
    print(
        f"{officer_set.name}: seeding {count - have:,} bench officers with soft tokens…", flush=True
    )
    units = bench_units()
    password = stored_password(officer_set)
    usernames = [f"{officer_set.prefix}{index:06d}" for index in range(have, count)]
    Officer.objects.bulk_create(
        [
            Officer(
                username=username,
                name_th=f"ผู้ทดสอบ {username}",
                email=f"{username}@bench.example",
                unit=units[index % len(units)],
                password=password,
            )
            for index, username in enumerate(usernames, start=have)
        ],
        batch_size=2000,
    )
    created = Officer.objects.filter(username__startswith=officer_set.prefix).exclude(
        soft_tokens__isnull=False
    )
    at = now()
    SoftToken.objects.bulk_create(
        [
            SoftToken(
                officer=officer,
                secret_encrypted=SoftToken.secret.encrypt(loadgen.secret_for(officer.username)),
                status=SoftTokenStatus.ACTIVE,
                created_at=at,
                confirmed_at=at,
            )
            for officer in created.only("id", "username")
        ],
        batch_size=2000,
    )
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {Officer._meta.db_table}")
        cursor.execute(f"ANALYZE {SoftToken._meta.db_table}")


def usernames(officer_set: OfficerSet, count: int) -> list[str]:
    return [f"{officer_set.prefix}{index:06d}" for index in range(count)]


def clear_steps(officer_set: OfficerSet) -> None:
    """Before a run, with no server up: the set's time steps unused again, no failures, and
    the soft tokens' table vacuumed (every check rewrites a row of it: without this,
    autovacuum would start in the middle of some runs and not others)."""
    SoftToken.objects.filter(
        officer__username__startswith=officer_set.prefix, last_used_step__isnull=False
    ).update(last_used_step=None)
    Officer.objects.filter(username__startswith=officer_set.prefix).filter(
        Q(failed_logins__gt=0) | Q(locked_until__isnull=False)
    ).update(failed_logins=0, locked_until=None)
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM (ANALYZE) {SoftToken._meta.db_table}")


def service_key() -> str:
    """A fresh client per bench (earlier runs' decision records keep theirs), unthrottled."""
    client, key = create_service_client(
        f"bench-{now():%Y%m%d-%H%M%S-%f}", at=now(), actor_label="bench"
    )
    ServiceClient.objects.filter(pk=client.pk).update(requests_per_minute=10**9)
    return key


# --- (d): one Argon2id verification ---------------------------------------------------------


def _verify_burst(encoded: str, count: int) -> float:
    hasher = Argon2idHasher()
    started = time.perf_counter()
    for _ in range(count):
        hasher.verify(PASSWORD, encoded)
    return time.perf_counter() - started


def _verify_when_told(encoded: str, count: int, go: Any, finished: Any) -> None:
    _verify_burst(encoded, 2)  # warm
    go.wait()
    _verify_burst(encoded, count)
    finished.put(count)


@dataclass(frozen=True)
class Argon2Figure:
    median_ms: float  # one verification, one process
    min_ms: float
    parallel_per_s: float  # verifications per second with `processes` processes at once
    processes: int


def argon2_figure(processes: int, samples: int = 25, per_process: int = 15) -> Argon2Figure:
    """(d): one Argon2id verification with the project's hasher and parameters, timed alone
    `samples` times in this process; then `processes` processes verifying at the same moment
    (they share the memory bandwidth and the caches)."""
    hasher = Argon2idHasher()
    encoded = hasher.encode(PASSWORD, hasher.salt())
    _verify_burst(encoded, 2)
    times = [_verify_burst(encoded, 1) for _ in range(samples)]
    connection.close()  # the processes fork: no shared database connection
    context = multiprocessing.get_context("fork")
    go, finished = context.Event(), context.Queue()
    workers = [
        context.Process(target=_verify_when_told, args=(encoded, per_process, go, finished))
        for _ in range(processes)
    ]
    for worker in workers:
        worker.start()
    time.sleep(0.5)  # every one warmed and waiting
    started = time.perf_counter()
    go.set()
    done = sum(finished.get(timeout=300) for _ in workers)
    elapsed = time.perf_counter() - started
    for worker in workers:
        worker.join()
    return Argon2Figure(
        median_ms=statistics.median(times) * 1000,
        min_ms=min(times) * 1000,
        parallel_per_s=done / elapsed,
        processes=processes,
    )


# --- one run ---------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def serve(
    port: int, scenario: Scenario, workers: int, worker_class: str
) -> subprocess.Popen[bytes]:
    # Metrics as production keeps them: one directory the workers share (gunicorn.conf.py
    # empties it at start), unless a scenario turns them off.
    metrics_dir = ROOT / "var" / "bench-metrics"
    metrics_dir.mkdir(parents=True, exist_ok=True)
    env = dict(
        os.environ,
        # The quota counts in Redis, as in production (docker-compose.yml), not in each
        # process's memory: one round trip a check that the reference does not make.
        CACHE_URL=os.environ.get("CACHE_URL", "redis://127.0.0.1:6379/13"),
        PROMETHEUS_MULTIPROC_DIR=str(metrics_dir),
        DJANGO_SETTINGS_MODULE=scenario.settings,
        DEBUG="false",
        LOG_LEVEL="WARNING",
        BENCH_WORKER_CLASS=worker_class,
        **scenario.env,
    )
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "gfms_portal.wsgi:application",
        "--config",
        str(GUNICORN_CONFIG),
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--log-level",
        "warning",
    ]
    process = subprocess.Popen(command, cwd=ROOT, env=env)
    try:
        loadgen.wait_for(f"http://127.0.0.1:{port}{HEALTH_PATH}")
    except RuntimeError:
        process.kill()
        raise
    return process


def stop(server: subprocess.Popen[bytes]) -> None:
    server.terminate()
    try:
        server.wait(timeout=40)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


@dataclass(frozen=True)
class Run:
    scenario: str
    clients: int
    repetition: int
    wrk: WrkRun
    cpu: CpuUse

    def per_check_ms(self, seconds: float) -> float:
        return seconds / self.wrk.requests * 1000 if self.wrk.requests else float("nan")

    def summary(self) -> dict[str, Any]:
        wrk = self.wrk
        cpu = self.cpu
        return {
            "scenario": self.scenario,
            "clients": self.clients,
            "repetition": self.repetition,
            "checks_per_s": wrk.rate,
            "requests": wrk.requests,
            "ok": wrk.ok,
            "errors": wrk.errors,
            "bad_answers": wrk.bad,
            "bad_statuses": wrk.bad_statuses,
            "first_bad_answer": wrk.first_bad,
            "socket_errors": wrk.socket_errors,
            "officers_exhausted": wrk.exhausted,
            "codes_off_window": wrk.off_window,
            "latency_ms": wrk.latency_ms,
            "wrk_corrected_latency_ms": wrk.wrk_corrected_latency_ms,
            # Little's law: checks/s × mean latency is the number of requests in flight, which
            # a closed-loop generator keeps at `clients` (far off: the timing is wrong).
            "in_flight": wrk.rate * wrk.latency_ms["mean"] / 1000,
            "seconds": wrk.seconds,
            "cpu_seconds": {
                "wall": cpu.wall,
                "gunicorn": cpu.workers,
                "postgres_db": cpu.postgres_db,
                "postgres_all": cpu.postgres_all,
                "wrk": wrk.cpu_seconds,
                "machine": cpu.machine,
            },
            "cpu_ms_per_check": {
                "gunicorn": self.per_check_ms(cpu.workers),
                "postgres_db": self.per_check_ms(cpu.postgres_db),
                "postgres_all": self.per_check_ms(cpu.postgres_all),
                "wrk": self.per_check_ms(wrk.cpu_seconds),
                "machine": self.per_check_ms(cpu.machine),
            },
            "others_cores": max(0.0, cpu.machine - cpu.workers - cpu.postgres_all - wrk.cpu_seconds)
            / cpu.wall,
        }


@dataclass
class Bench:
    args: argparse.Namespace
    key: str
    database: str
    workdir: Path
    seeds: dict[str, bytes] = field(default_factory=dict)

    def run(self, scenario: Scenario, clients: int, repetition: int) -> Run:
        args = self.args
        officer_set = OFFICER_SETS[scenario.officers]
        names = usernames(officer_set, args.officers)
        # Warm-up and measured run use different officers: a warm-up check still queued when
        # wrk stops must not consume a step the measured run needs.
        reserve = max(max(args.clients), len(names) // 10)
        warm_names, measured_names = names[:reserve], names[reserve:]
        clear_steps(officer_set)
        connection.close()
        port = free_port()
        url = f"http://127.0.0.1:{port}{scenario.path}"
        server = serve(port, scenario, args.workers, args.worker_class)
        try:
            if args.warmup > 0:
                self.wrk(url, warm_names, clients, args.warmup)
            meter = CpuMeter(server.pid, self.database)
            result = self.wrk(url, measured_names, clients, args.seconds, meter=meter)
        finally:
            stop(server)
        wrk, cpu = result
        return Run(scenario.name, clients, repetition, wrk, cpu)

    def wrk(
        self,
        url: str,
        names: Sequence[str],
        clients: int,
        seconds: int,
        meter: CpuMeter | None = None,
    ) -> tuple[WrkRun, CpuUse]:
        data = self.workdir / "officers-"
        started = time.time()
        # Every step the run can touch, with a margin for wrk's start and a slow machine.
        steps = loadgen.steps_between(started, started + seconds + 15)
        loadgen.write_data_files(
            data, names, threads=clients, steps=steps, password=PASSWORD, seeds=self.seeds
        )
        if meter is not None:
            meter.start()
        wrk = loadgen.run_wrk(
            url,
            data=data,
            result=self.workdir / "result.json",
            key=self.key,
            clients=clients,
            seconds=seconds,
        )
        cpu = meter.stop() if meter is not None else CpuUse(0, 0, 0, 0, 0)
        return wrk, cpu


def order(names: Sequence[str], repeat: int) -> list[tuple[int, str]]:
    """a b c, c b a, a b c…: each repetition the reverse of the one before."""
    runs: list[tuple[int, str]] = []
    for repetition in range(1, repeat + 1):
        sequence = names if repetition % 2 else list(reversed(names))
        runs.extend((repetition, name) for name in sequence)
    return runs


# --- the report ------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        (postgres,) = cursor.fetchone() or ("?",)
    commit = subprocess.run(
        ["git", "describe", "--always", "--dirty"],  # noqa: S607
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    return {
        "cores": os.cpu_count() or 1,
        "cpu": model,
        "arch": platform.machine(),
        "postgresql": postgres,
        "python": platform.python_version(),
        "django": django.get_version(),
        "gunicorn": importlib.metadata.version("gunicorn"),
        "wrk": loadgen.wrk_version(),
        "commit": commit,
        "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }


def mean(values: Sequence[float]) -> float:
    return statistics.fmean(values) if values else float("nan")


def aggregate(runs: Sequence[Run]) -> dict[str, Any]:
    """One (scenario, clients): means over its repetitions, errors summed."""
    summaries = [run.summary() for run in runs]

    def over(key: str, sub: str | None = None) -> float:
        return mean([s[key][sub] if sub else s[key] for s in summaries])

    return {
        "scenario": runs[0].scenario,
        "clients": runs[0].clients,
        "checks_per_s": over("checks_per_s"),
        "each_run_checks_per_s": [s["checks_per_s"] for s in summaries],
        "p50_ms": over("latency_ms", "p50"),
        "p95_ms": over("latency_ms", "p95"),
        "p99_ms": over("latency_ms", "p99"),
        "max_p99_ms": max(s["latency_ms"]["p99"] for s in summaries),
        "errors": sum(s["errors"] for s in summaries),
        "requests": sum(s["requests"] for s in summaries),
        "exhausted": sum(s["officers_exhausted"] for s in summaries),
        "cpu_ms_per_check": {
            name: over("cpu_ms_per_check", name) for name in summaries[0]["cpu_ms_per_check"]
        },
        "others_cores": over("others_cores"),
    }


def _verdict(met: bool) -> str:
    return "met" if met else "NOT met"


def _figures(name: str, row: dict[str, Any]) -> str:
    return (
        f"({name}) p50 {row['p50_ms']:.1f} ms, p99 {row['p99_ms']:.1f} ms "
        f"(worst run {row['max_p99_ms']:.1f}), errors {row['errors']}"
    )


def ratio_lines(
    rows: dict[tuple[str, int], dict[str, Any]], bound: float | None, clients: Sequence[int]
) -> list[str]:
    """The ratios issue 12 sets targets on, each with the latencies and errors behind it:
    (b) ≥ 0.9 × (c), p99 < 100 ms at 16 clients, no errors; (a) ≥ 0.9 × bound."""
    lines = []
    for n in clients:
        b, c = rows.get(("b", n)), rows.get(("c", n))
        if b and c:
            value = b["checks_per_s"] / c["checks_per_s"]
            lines.append(
                f"@{n} clients  (b)/(c) = {b['checks_per_s']:.1f}/s ÷ {c['checks_per_s']:.1f}/s "
                f"= {value:.3f}   [target ≥ 0.90: {_verdict(value >= 0.9)}]"
            )
            lines.append(f"               {_figures('b', b)}; {_figures('c', c)}")
            targets = [f"errors 0: {_verdict(b['errors'] == 0)}"]
            if n == 16:
                targets.insert(0, f"p99 < 100 ms: {_verdict(b['max_p99_ms'] < 100)}")
            lines.append(f"               (b) targets: {'; '.join(targets)}")
    for n in clients:
        a = rows.get(("a", n))
        if a and bound:
            value = a["checks_per_s"] / bound
            lines.append(
                f"@{n} clients  (a)/bound = {a['checks_per_s']:.1f}/s ÷ {bound:.1f}/s "
                f"= {value:.3f}   [target ≥ 0.90: {_verdict(value >= 0.9)}]"
            )
            lines.append(f"               {_figures('a', a)}")
    return lines


def table(rows: dict[tuple[str, int], dict[str, Any]]) -> list[str]:
    """Two Markdown tables (they paste into docs/performance.md as they are)."""
    lines = [
        "| scenario | clients | checks/s | each run | p50 | p95 | p99 | errors |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for (name, clients), row in rows.items():
        each = ", ".join(f"{value:.1f}" for value in row["each_run_checks_per_s"])
        lines.append(
            f"| ({name}) {SCENARIOS[name].title} | {clients} | {row['checks_per_s']:.1f} | {each} "
            f"| {row['p50_ms']:.1f} ms | {row['p95_ms']:.1f} ms | {row['p99_ms']:.1f} ms "
            f"| {row['errors']} |"
        )
    lines += [
        "",
        "| CPU ms per check | clients | gunicorn | PostgreSQL (bench db) | PostgreSQL (all) | wrk "
        "| machine | others (cores) |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for (name, clients), row in rows.items():
        cpu = row["cpu_ms_per_check"]
        lines.append(
            f"| ({name}) | {clients} | {cpu['gunicorn']:.2f} | {cpu['postgres_db']:.2f} "
            f"| {cpu['postgres_all']:.2f} | {cpu['wrk']:.2f} | {cpu['machine']:.2f} "
            f"| {row['others_cores']:.2f} |"
        )
    return lines


CPU_LEGEND = (
    "CPU: gunicorn = master and workers; PostgreSQL (bench db) = the backends of the bench\n"
    "database, (all) = every postgres process; wrk = the load generator; machine = all cores\n"
    "busy; others = cores busy with none of these, on average (someone else on the machine)."
)


def print_run(run: Run) -> None:
    s = run.summary()
    latency = s["latency_ms"]
    cpu = s["cpu_ms_per_check"]
    note = ""
    if s["officers_exhausted"] or s["codes_off_window"]:
        note = f"  !! officers exhausted {s['officers_exhausted']}, codes off window {s['codes_off_window']}"
    # Checked only when requests are short beside the run (else those in flight at either end
    # of a short run skew it).
    steady = latency["mean"] * 20 < s["seconds"] * 1000
    if steady and not 0.8 * run.clients <= s["in_flight"] <= 1.25 * run.clients:
        note += f"  !! rate × mean latency = {s['in_flight']:.1f} in flight, not {run.clients}: timing suspect"
    if s["errors"]:
        note += f"  errors by status {s['bad_statuses']} sockets {s['socket_errors']}; first: {s['first_bad_answer'][:120]!r}"
    print(
        f"  rep {run.repetition} ({run.scenario}) {run.clients:>3} clients: {s['checks_per_s']:8.1f} checks/s"
        f"  p50 {latency['p50']:6.1f}  p95 {latency['p95']:6.1f}  p99 {latency['p99']:6.1f} ms"
        f"  errors {s['errors']}  CPU ms/check gunicorn {cpu['gunicorn']:.2f} pg {cpu['postgres_all']:.2f}"
        f" wrk {cpu['wrk']:.2f}  others {s['others_cores']:.2f} cores{note}",
        flush=True,
    )


# --- main ------------------------------------------------------------------------------------


def arguments() -> argparse.Namespace:
    cores = os.cpu_count() or 2
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scenarios", nargs="+", choices=list(SCENARIOS), default=["a", "b", "c"])
    parser.add_argument("--clients", type=int, nargs="+", default=[16, 64])
    parser.add_argument("--seconds", type=int, default=20, help="per measured run (default 20)")
    parser.add_argument("--warmup", type=int, default=3, help="seconds before each measured run")
    parser.add_argument(
        "--repeat", type=int, default=2, help="repetitions, each reversed (default 2)"
    )
    parser.add_argument(
        "--officers",
        type=int,
        default=60_000,
        help="per officer set; a tenth warms up (default 60,000: 1,800/s for 30 s with a margin)",
    )
    # cores + 1 measured best here: hashing is CPU-bound (docs/performance.md).
    parser.add_argument(
        "--workers", type=int, default=cores + 1, help="gunicorn workers (cores + 1)"
    )
    parser.add_argument("--worker-class", default="gthread", choices=["gthread", "sync"])
    parser.add_argument("--no-argon2", action="store_true", help="skip (d)")
    parser.add_argument(
        "--output", type=Path, help="JSON file (default artifacts/bench/gateway-<time>.json)"
    )
    args = parser.parse_args()
    if min(args.clients) < 1 or max(args.clients) * 10 > args.officers:
        parser.error("--officers must be at least ten times the largest --clients")
    return args


def check_prerequisites() -> str:
    """The bench database's name; stops with the reason when wrk or PostgreSQL is missing."""
    if shutil.which("wrk") is None:
        raise SystemExit(
            "wrk is missing: `make bench-gateway` installs it (Debian: apt-get install wrk)"
        )
    db = settings.DATABASES["default"]
    if db["ENGINE"] != "django.db.backends.postgresql":
        raise SystemExit(
            "make bench runs on PostgreSQL: set DATABASE_URL (BENCH_DATABASE_URL in make)"
        )
    return str(db["NAME"])


def describe(about: dict[str, Any], args: argparse.Namespace) -> str:
    return (
        f"{about['at']} — {about['cores']} cores ({about['cpu']}, {about['arch']}); PostgreSQL "
        f"{about['postgresql']}; Python {about['python']}, Django {about['django']}; gunicorn "
        f"{about['gunicorn']}, {args.workers} {args.worker_class} workers; {about['wrk']}, one "
        f"thread a connection; {args.seconds} s runs after {args.warmup} s of warm-up, "
        f"{args.repeat} repetitions; {args.officers:,} officers a set; commit {about['commit']}"
    )


def measure_argon2(cores: int, when: str) -> Argon2Figure:
    figure = argon2_figure(cores)
    print(
        f"(d) Argon2id verification, {when}: {figure.median_ms:.1f} ms (median, one process) "
        f"→ bound {cores / (figure.median_ms / 1000):.1f}/s; {figure.parallel_per_s:.1f}/s with "
        f"{cores} processes at once",
        flush=True,
    )
    return figure


def report(
    about: dict[str, Any],
    args: argparse.Namespace,
    rows: dict[tuple[str, int], dict[str, Any]],
    argon: Sequence[Argon2Figure],
) -> float | None:
    """Print the side-by-side tables and the ratios; the hash bound (None without (d))."""
    cores = about["cores"]
    print()
    print(f"make bench — {describe(about, args)}")
    print()
    for line in table(rows):
        print(line)
    print()
    bound = None
    if argon:
        verification_ms = mean([figure.median_ms for figure in argon])
        bound = cores / (verification_ms / 1000)
        figures = ", ".join(f"{figure.median_ms:.1f} ms" for figure in argon)
        parallel = ", ".join(f"{figure.parallel_per_s:.1f}/s" for figure in argon)
        print(
            f"(d) one Argon2id verification: {figures} (start, end) → mean {verification_ms:.1f} ms;"
            f" bound = {cores} cores ÷ {verification_ms:.1f} ms = {bound:.1f}/s; {parallel} with"
            f" {cores} processes verifying at once"
        )
    print(CPU_LEGEND)
    print()
    for line in ratio_lines(rows, bound, args.clients):
        print(line)
    exhausted = sum(row["exhausted"] for row in rows.values())
    if exhausted:
        print(
            f"!! {exhausted} requests found their officers used up for the step: raise --officers"
        )
    return bound


def save(
    out: Path,
    about: dict[str, Any],
    args: argparse.Namespace,
    rows: dict[tuple[str, int], dict[str, Any]],
    argon: Sequence[Argon2Figure],
    bound: float | None,
    runs: Sequence[Run],
) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    document = {
        "machine": about,
        "options": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
        "scenarios": {name: asdict(SCENARIOS[name]) for name in args.scenarios},
        "argon2id": [asdict(figure) for figure in argon],
        "bound_per_s": bound,
        "results": list(rows.values()),
        "runs": [run.summary() for run in runs],
    }
    out.write_text(json.dumps(document, indent=2, ensure_ascii=False, default=dict) + "\n")
    print(f"figures saved to {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}")


def main() -> None:
    args = arguments()
    database = check_prerequisites()
    call_command("migrate", verbosity=0, interactive=False)
    about = machine()
    cores = about["cores"]
    print(describe(about, args), flush=True)
    for name in sorted({SCENARIOS[name].officers for name in args.scenarios}):
        seed(OFFICER_SETS[name], args.officers)
    key = service_key()

    argon = [] if args.no_argon2 else [measure_argon2(cores, "start")]
    runs: list[Run] = []
    with tempfile.TemporaryDirectory(prefix="gfms-bench-") as workdir:
        bench = Bench(args=args, key=key, database=database, workdir=Path(workdir))
        for repetition, name in order(args.scenarios, args.repeat):
            clients = args.clients if repetition % 2 else list(reversed(args.clients))
            for n in clients:
                run = bench.run(SCENARIOS[name], n, repetition)
                runs.append(run)
                print_run(run)
    if not args.no_argon2:
        argon.append(measure_argon2(cores, "end"))

    rows = {
        (name, n): aggregate([run for run in runs if (run.scenario, run.clients) == (name, n)])
        for name in args.scenarios
        for n in args.clients
    }
    bound = report(about, args, rows, argon)
    stamp = f"{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%SZ}"
    save(args.output or ARTIFACTS / f"gateway-{stamp}.json", about, args, rows, argon, bound, runs)


if __name__ == "__main__":
    main()
