"""The load generator of `make bench`: wrk (Debian's package) with bench/check.lua.

Python knows the bench officers' TOTP seeds (derived from their user ids), so before each wrk
run it writes a data file with every officer's code for each 30-second time step the run can
touch; the Lua script picks, per request, the code of the step of the moment for the next
officer of its thread (threads take disjoint officers). No Django here: the codes are RFC 6238
(SHA-1, 6 digits, 30 s), checked against pyotp in tests/bench.
"""

import base64
import hashlib
import hmac
import json
import math
import os
import resource
import shutil
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SCRIPT = Path(__file__).with_name("check.lua")
PERIOD = 30  # seconds: tokens.totp.PERIOD
DIGITS = 6


def seed_bytes(username: str) -> bytes:
    """A deterministic 160-bit TOTP seed per bench officer."""
    return hashlib.sha256(f"gfms bench {username}".encode()).digest()[:20]


def secret_for(username: str) -> str:
    """The base32 seed stored (encrypted) in the officer's soft token."""
    return base64.b32encode(seed_bytes(username)).decode().rstrip("=")


def code_at(seed: bytes, step: int) -> str:
    """RFC 4226 HOTP of the time step (RFC 6238 with SHA-1): what an authenticator shows."""
    digest = hmac.digest(seed, step.to_bytes(8, "big"), "sha1")
    offset = digest[-1] & 0x0F
    value = int.from_bytes(digest[offset : offset + 4], "big") & 0x7FFFFFFF
    return f"{value % 10**DIGITS:0{DIGITS}d}"


def step_at(moment: float) -> int:
    return int(moment) // PERIOD


def steps_between(start: float, end: float) -> range:
    """Every time step from `start` to `end` (seconds since the epoch), both included."""
    return range(step_at(start), step_at(end) + 1)


def data_lines(
    usernames: Sequence[str], steps: range, password: str, seeds: dict[str, bytes]
) -> list[str]:
    """One data file of bench/check.lua: a header, then one line per officer with its codes."""
    if " " in password or not password:
        raise ValueError("the bench password must be one word")
    lines = [f"{steps.start} {len(steps)} {password}"]
    for username in usernames:
        seed = seeds.get(username)
        if seed is None:
            seed = seeds[username] = seed_bytes(username)
        lines.append(" ".join([username, *(code_at(seed, step) for step in steps)]))
    return lines


def write_data_files(
    prefix: Path,
    usernames: Sequence[str],
    *,
    threads: int,
    steps: range,
    password: str,
    seeds: dict[str, bytes],
) -> None:
    """ "<prefix>1.txt" … "<prefix><threads>.txt": thread i's officers are usernames[i-1::threads],
    so no two threads (connections) ever use the same officer."""
    if len(usernames) < threads:
        raise ValueError(f"{len(usernames)} officers cannot give each of {threads} threads one")
    for number in range(1, threads + 1):
        lines = data_lines(usernames[number - 1 :: threads], steps, password, seeds)
        Path(f"{prefix}{number}.txt").write_text("\n".join(lines) + "\n")


def wrk_version() -> str:
    if shutil.which("wrk") is None:
        return "missing"
    done = subprocess.run(["wrk", "--version"], capture_output=True, text=True, check=False)  # noqa: S607
    words = (done.stdout or done.stderr).split()  # "wrk debian/4.1.0-3+b2 [epoll] Copyright…"
    return " ".join(words[:2])


@dataclass(frozen=True)
class WrkRun:
    """One wrk run as check.lua's done() reports it, with wrk's own CPU time."""

    seconds: float
    requests: int
    ok: int
    bad: int  # answered, but not 200 with "decision":"allow"
    socket_errors: dict[str, int]
    exhausted: int
    off_window: int
    bad_statuses: dict[str, int]
    first_bad: str
    latency_ms: dict[str, float]  # every answer as timed by check.lua
    wrk_corrected_latency_ms: dict[str, float]  # wrk's, with its coordinated-omission samples
    cpu_seconds: float  # user + system of the wrk process
    raw: dict[str, Any] = field(repr=False)

    @property
    def errors(self) -> int:
        """Wrong answers, requests that got no answer (connect, read, write errors) and answers
        slower than wrk's timeout (10 s; they may be counted as answers too)."""
        lost = self.socket_errors
        return self.bad + lost["connect"] + lost["read"] + lost["write"] + lost["timeout"]

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else math.nan


def run_wrk(
    url: str, *, data: Path, result: Path, key: str, clients: int, seconds: int, timeout_s: int = 10
) -> WrkRun:
    """Run wrk against `url` for `seconds` with `clients` connections, one per thread (the
    data files `data`1.txt… must exist for each); wait for it."""
    env = dict(os.environ, BENCH_DATA=str(data), BENCH_KEY=key, BENCH_RESULT=str(result))
    result.unlink(missing_ok=True)
    command = [
        "wrk",
        "--threads",
        str(clients),
        "--connections",
        str(clients),
        "--duration",
        f"{seconds}s",
        "--timeout",
        f"{timeout_s}s",
        "--script",
        str(SCRIPT),
        url,
    ]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0 or not result.exists():
        raise RuntimeError(f"wrk failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    # The script keeps the first wrong answer cut to a length, which can split a Thai
    # character's bytes: decode what is there.
    text = result.read_bytes().decode("utf-8", errors="replace")
    return parse_result(json.loads(text), cpu_seconds=cpu)


def parse_result(raw: dict[str, Any], *, cpu_seconds: float) -> WrkRun:
    latency = raw["latency_us"]
    return WrkRun(
        seconds=raw["duration_us"] / 1e6,
        requests=raw["requests"],
        ok=raw["ok"],
        bad=raw["bad"],
        socket_errors=dict(raw["socket_errors"]),
        exhausted=raw["exhausted"],
        off_window=raw["off_window"],
        bad_statuses=dict(raw["bad_statuses"]),
        first_bad=raw["first_bad"],
        latency_ms={name: value / 1000 for name, value in latency.items() if name != "count"},
        wrk_corrected_latency_ms={
            name: value / 1000 for name, value in raw["wrk_corrected_latency_us"].items()
        },
        cpu_seconds=cpu_seconds,
        raw=raw,
    )


def wait_for(url: str, *, timeout_s: float = 60) -> None:
    """Until `url` answers 200 (a worker has booted and reached the database)."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:  # noqa: S310  (http://127.0.0.1 only)
                if answer.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{url} did not answer 200 within {timeout_s:.0f} s")
        time.sleep(0.2)
