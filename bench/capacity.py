"""make bench-capacity: the cutover-morning model checked with an open-loop load.

`make bench` measures how many checks one node sustains when clients wait for each answer
(closed loop). Officers do not wait for each other: on the morning of the soft-token-only day
they arrive at some rate whatever the answers take. This drives the gateway with logins
arriving at random (Poisson) at `--rate` per second for `--seconds`, on the production settings
(Argon2id), and reports the latency every officer felt — docs/performance.md uses it at the
per-node peak of its model and at twice that.

A login is what an officer does, not one request:

- most type the right password and the current code: one check, allowed;
- `--typo` of them first type a wrong code (`invalid_otp`), then the right one 3 s later;
- `--wrong-password` of them first type a wrong password (held to the password floor,
  GFMS_PASSWORD_FLOOR_MS), then the right one 3 s later.

Every officer logs in once per run. An error is a 5xx, a timeout or an answer other than the
one the step expects. The load generator's own CPU is reported (asyncio, one connection per
request, as nginx makes them).
"""

import argparse
import asyncio
import json
import os
import random
import resource
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import django

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gfms_portal.settings")
django.setup()

from django.db import connection

from bench import gateway, loadgen
from bench.procstat import CpuMeter

RETRY_AFTER_S = 3.0
TIMEOUT_S = 10.0


@dataclass
class Tally:
    latencies: dict[str, list[float]] = field(default_factory=dict)  # by expected reason
    errors: list[str] = field(default_factory=list)
    logins: int = 0

    def add(self, expected: str, seconds: float) -> None:
        self.latencies.setdefault(expected, []).append(seconds)


async def check(port: int, key: str, body: dict[str, str]) -> tuple[int, dict[str, object]]:
    payload = json.dumps(body).encode()
    request = (
        f"POST {gateway.CHECK_PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Authorization: Bearer {key}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(payload)}\r\nConnection: close\r\n\r\n"
    ).encode() + payload
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(request)
        await writer.drain()
        response = await reader.read()
    finally:
        writer.close()
    head, _, content = response.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    return status, json.loads(content) if content else {}


async def one_step(tally: Tally, port: int, key: str, body: dict[str, str], expected: str) -> None:
    started = time.perf_counter()
    try:
        status, answer = await asyncio.wait_for(check(port, key, body), TIMEOUT_S)
    except (TimeoutError, OSError, ValueError) as error:
        tally.errors.append(f"{expected}: {type(error).__name__}")
        return
    tally.add(expected, time.perf_counter() - started)
    if status != 200 or answer.get("reason") != expected:
        tally.errors.append(f"{expected}: HTTP {status} {answer.get('reason')}")


async def login(
    tally: Tally, port: int, key: str, username: str, first: str | None, seed: bytes
) -> None:
    def body(*, password: str = gateway.PASSWORD, wrong_code: bool = False) -> dict[str, str]:
        code = loadgen.code_at(seed, loadgen.step_at(time.time()))
        if wrong_code:
            code = f"{(int(code) + 500_000) % 1_000_000:06d}"
        return {"username": username, "password": password, "method": "soft_token", "otp": code}

    tally.logins += 1
    if first == "typo":
        await one_step(tally, port, key, body(wrong_code=True), "invalid_otp")
        await asyncio.sleep(RETRY_AFTER_S)
    elif first == "wrong_password":
        await one_step(tally, port, key, body(password="not-it"), "invalid_credentials")  # noqa: S106
        await asyncio.sleep(RETRY_AFTER_S)
    await one_step(tally, port, key, body(), "ok")


async def arrivals(args: argparse.Namespace, port: int, key: str, names: list[str]) -> Tally:
    tally = Tally()
    chance = random.Random(2568)  # noqa: S311  (a load shape, not a secret)
    tasks: list[asyncio.Task[None]] = []
    stop_at = time.monotonic() + args.seconds
    next_at = time.monotonic()
    for username in names:
        next_at += chance.expovariate(args.rate)
        if next_at >= stop_at:
            break
        await asyncio.sleep(max(0.0, next_at - time.monotonic()))
        roll = chance.random()
        first = (
            "typo"
            if roll < args.typo
            else "wrong_password"
            if roll < args.typo + args.wrong_password
            else None
        )
        seed = loadgen.seed_bytes(username)
        tasks.append(asyncio.create_task(login(tally, port, key, username, first, seed)))
    else:
        raise SystemExit("ran out of officers: raise --officers")
    await asyncio.gather(*tasks)
    return tally


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rate", type=float, nargs="+", default=[30.0, 60.0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--typo", type=float, default=0.10)
    parser.add_argument("--wrong-password", type=float, default=0.05)
    parser.add_argument("--officers", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=(os.cpu_count() or 2) + 1)
    args = parser.parse_args()

    officer_set = gateway.OFFICER_SETS["argon2id"]
    gateway.seed(officer_set, args.officers)
    key = gateway.service_key()
    scenario = gateway.SCENARIOS["a"]
    print(
        f"open-loop logins on {os.cpu_count()} cores, {args.workers} gthread workers, Argon2id; "
        f"{args.typo:.0%} mistype the code first, {args.wrong_password:.0%} the password; "
        f"{args.seconds:.0f} s a rate",
        flush=True,
    )
    for rate in args.rate:
        args.rate = rate
        gateway.clear_steps(officer_set)
        connection.close()
        port = gateway.free_port()
        server = gateway.serve(port, scenario, args.workers, "gthread")
        names = gateway.usernames(officer_set, args.officers)
        try:
            meter = CpuMeter(server.pid, connection.settings_dict["NAME"])
            client_before = resource.getrusage(resource.RUSAGE_SELF)
            meter.start()
            tally = asyncio.run(arrivals(args, port, key, names))
            cpu = meter.stop()
            client_after = resource.getrusage(resource.RUSAGE_SELF)
        finally:
            gateway.stop(server)
        client_cpu = (client_after.ru_utime + client_after.ru_stime) - (
            client_before.ru_utime + client_before.ru_stime
        )
        checks = sum(len(v) for v in tally.latencies.values())
        allowed = tally.latencies.get("ok", [])
        print(
            f"{rate:5.1f} logins/s: {tally.logins} logins, {checks} checks "
            f"({checks / cpu.wall:.1f}/s) in {cpu.wall:.0f} s; allowed p50 "
            f"{percentile(allowed, 0.5):.0f} ms p95 {percentile(allowed, 0.95):.0f} ms p99 "
            f"{percentile(allowed, 0.99):.0f} ms max {max(allowed, default=float('nan')) * 1000:.0f} ms; errors "
            f"{len(tally.errors)}; CPU cores: gunicorn {cpu.workers / cpu.wall:.2f}, PostgreSQL "
            f"{cpu.postgres_all / cpu.wall:.2f}, load generator {client_cpu / cpu.wall:.2f}, "
            f"machine {cpu.machine / cpu.wall:.2f}",
            flush=True,
        )
        for reason, values in sorted(tally.latencies.items()):
            print(
                f"      {reason:<20} {len(values):>6} checks  p50 {percentile(values, 0.5):6.0f} ms"
                f"  p99 {percentile(values, 0.99):6.0f} ms  mean {statistics.fmean(values) * 1000:6.0f} ms"
            )
        if tally.errors:
            print(f"      first errors: {tally.errors[:3]}")


if __name__ == "__main__":
    main()
