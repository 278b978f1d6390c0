"""CPU time of the processes a bench run involves, from /proc (Linux).

utime + stime of each process (/proc/<pid>/stat), read before and after a measured run:

- the gunicorn master and its workers (children of the master);
- PostgreSQL: the backends of the bench database (their process title names it:
  "postgres: <user> <database> <client> <state>"), and every postgres process of the machine
  (background writers and the WAL writer included — and other databases' backends, which on
  a shared machine are someone else's load);
- the whole machine (/proc/stat), so that what none of these account for shows as "others".

A process that starts during the run counts from zero; one that ends during it loses what it
used (a backend whose connection is closed mid-run: CONN_MAX_AGE is 60 s, longer than a run).
"""

import os
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

PROC = Path("/proc")
TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _stat_fields(pid: int) -> list[str] | None:
    try:
        text = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    # The command name (field 2) is in parentheses and may hold spaces: split after it.
    return text[text.rindex(")") + 2 :].split()


def cpu_seconds(pid: int) -> float:
    """User + system CPU of one process so far (0 if it is gone)."""
    fields = _stat_fields(pid)
    if fields is None:
        return 0.0
    # After the name: state(3) ppid(4) … utime(14) stime(15), so indices 11 and 12 here.
    return (int(fields[11]) + int(fields[12])) / TICK


def _pids() -> Iterable[int]:
    for entry in PROC.iterdir():
        if entry.name.isdigit():
            yield int(entry.name)


def children_of(parent: int) -> list[int]:
    found = []
    for pid in _pids():
        fields = _stat_fields(pid)
        if fields is not None and int(fields[1]) == parent:
            found.append(pid)
    return found


def _cmdline(pid: int) -> str:
    try:
        return (
            (PROC / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        )
    except OSError:
        return ""


def _comm(pid: int) -> str:
    try:
        return (PROC / str(pid) / "comm").read_text().strip()
    except OSError:
        return ""


def postgres_processes() -> dict[int, str]:
    """pid → process title of every PostgreSQL process visible here."""
    return {pid: _cmdline(pid) for pid in _pids() if _comm(pid) in {"postgres", "postmaster"}}


def backends_of(database: str, processes: dict[int, str]) -> set[int]:
    """The backends serving `database` (by their process title)."""
    return {
        pid
        for pid, title in processes.items()
        if title.startswith("postgres: ") and f" {database} " in title
    }


def machine_busy_seconds() -> float:
    """CPU seconds the whole machine spent not idle (all cores), from /proc/stat."""
    first = (PROC / "stat").read_text().splitlines()[0].split()
    values = [int(value) for value in first[1:]]
    idle = values[3] + (values[4] if len(values) > 4 else 0)  # idle + iowait
    # guest and guest_nice (fields 9, 10) are already counted in user and nice.
    return (sum(values[:8]) - idle) / TICK


@dataclass(frozen=True)
class CpuUse:
    """CPU seconds over one measured run."""

    wall: float
    workers: float  # gunicorn master and workers
    postgres_db: float  # backends of the bench database
    postgres_all: float  # every postgres process of the machine
    machine: float  # the whole machine, not idle


class CpuMeter:
    """Snapshots before and after a run; `stop()` gives the differences."""

    def __init__(self, gunicorn_master: int, database: str) -> None:
        self.master = gunicorn_master
        self.database = database

    def _snapshot(self) -> tuple[dict[int, float], dict[int, float], dict[int, float], float]:
        workers = {pid: cpu_seconds(pid) for pid in [self.master, *children_of(self.master)]}
        processes = postgres_processes()
        backends = backends_of(self.database, processes)
        everything = {pid: cpu_seconds(pid) for pid in processes}
        mine = {pid: everything[pid] for pid in backends}
        return workers, mine, everything, machine_busy_seconds()

    def start(self) -> None:
        self.started = time.monotonic()
        self.before = self._snapshot()

    def stop(self) -> CpuUse:
        after = self._snapshot()
        wall = time.monotonic() - self.started
        return CpuUse(
            wall=wall,
            workers=_grown(self.before[0], after[0]),
            postgres_db=_grown(self.before[1], after[1]),
            postgres_all=_grown(self.before[2], after[2]),
            machine=after[3] - self.before[3],
        )


def _grown(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU used between the snapshots by the processes alive at the end (new ones from 0)."""
    return sum(now - before.get(pid, 0.0) for pid, now in after.items())
