"""make run PORT=… HOST=…: every printed or e-mailed link follows (GFMS_PORTAL_URL), and
make manage runs a command without knowing about .venv."""

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MAKE = shutil.which("make")
pytestmark = pytest.mark.skipif(MAKE is None, reason="needs GNU make")


def dry_run(*args: str) -> str:
    return subprocess.run(  # noqa: S603  (our own Makefile, fixed arguments)
        [str(MAKE), "-n", "-W", "install", *args],  # -W: pretend install is done, print only
        cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip


def test_run_derives_the_portal_url_from_host_and_port() -> None:
    commands = dry_run("run", "PORT=8765")
    assert "GFMS_PORTAL_URL=${GFMS_PORTAL_URL:-http://127.0.0.1:8765/}" in commands
    assert "seed_demo --if-empty" in commands and "runserver 127.0.0.1:8765" in commands
    everywhere = dry_run("run", "PORT=8765", "HOST=0.0.0.0")
    assert "runserver 0.0.0.0:8765" in everywhere
    assert "http://127.0.0.1:8765/" in everywhere  # linked where a browser can reach it


def test_manage_runs_any_command_in_the_venv() -> None:
    commands = dry_run("manage", "ARGS=set_schedule --show")
    assert ".venv/bin/python manage.py set_schedule --show" in commands
