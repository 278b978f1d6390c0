"""prometheus-client's multiprocess mode under the real gunicorn (gunicorn.conf.py, 2 workers,
PROMETHEUS_MULTIPROC_DIR in a temporary directory, as docker-compose.yml runs `web`):

- a scrape, whichever worker answers it, adds up what every worker recorded;
- a worker that exits (child_exit) leaves its counts counted and takes its live gauge along;
- gunicorn's next start (on_starting) empties the directory: no count from the previous run.
"""

import json
import os
import signal
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tests.deploy.conftest import Postgres, app_env, gunicorn, manage, request
from tests.prometheus import Samples, parse, value

HEALTH = {"endpoint": "api-health", "method": "GET", "status": "2xx"}
REFUSED = {"decision": "deny", "reason": "invalid_credentials", "method": "password"}


def workers_of(master: int) -> set[int]:
    """The pids whose parent is gunicorn's master."""
    children = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == master:
                children.add(int(entry.name))
    return children


def test_a_scrape_adds_up_every_worker_and_a_restart_starts_from_nothing(
    private_postgres: Postgres, tmp_path: Path
) -> None:
    metrics_dir = tmp_path / "metrics"
    env = app_env(
        private_postgres,
        tmp_path,
        WEB_CONCURRENCY="2",
        PROMETHEUS_MULTIPROC_DIR=str(metrics_dir),
        METRICS_ALLOW="127.0.0.1/32",
        GFMS_TRUSTED_PROXIES="127.0.0.1",  # the test plays the proxy for the API (HTTPS)
        GFMS_PASSWORD_FLOOR_MS="0",
        GUNICORN_CMD_ARGS=f"--pid {tmp_path / 'gunicorn.pid'}",  # to find the master
    )
    key = manage("create_service_client", f"mp-{time.monotonic_ns()}", env=env).stdout.strip()
    api_headers = {
        "Authorization": f"Bearer {key}",
        "Content-Type": "application/json",
        "X-Forwarded-Proto": "https",
    }
    refused = json.dumps({"username": "nobody.here", "password": "x", "method": "password"})
    log = tmp_path / "gunicorn.log"

    def scrape(port: int) -> Samples:
        answer = request(port, "GET", "/metrics")
        assert answer.status == 200, (answer.status, log.read_text()[-2000:])
        return parse(answer.body.decode())

    def health_burst(port: int, pool: ThreadPoolExecutor, count: int) -> None:
        answers = list(pool.map(lambda _: request(port, "GET", "/api/v1/health"), range(count)))
        assert [a.status for a in answers] == [200] * count

    def histogram_pids() -> set[str]:
        return {path.stem.split("_")[-1] for path in metrics_dir.glob("histogram_*.db")}

    with gunicorn(env, log) as port, ThreadPoolExecutor(max_workers=16) as pool:
        master = int((tmp_path / "gunicorn.pid").read_text())
        deadline = time.monotonic() + 30
        while len(first_workers := workers_of(master)) < 2 or not all(
            (metrics_dir / f"gauge_livesum_{pid}.db").exists() for pid in first_workers
        ):  # gunicorn listens before its workers have loaded the app
            assert time.monotonic() < deadline, "two workers did not boot"
            time.sleep(0.2)
        assert len(first_workers) == 2
        # Until both workers have answered some (the kernel picks who accepts), 40 at a time.
        sent = 0
        while len(histogram_pids() & {str(pid) for pid in first_workers}) < 2:
            assert sent < 800, "one worker answered everything"
            health_burst(port, pool, 40)
            sent += 40
        checks = list(
            pool.map(
                lambda _: request(
                    port, "POST", "/api/v1/auth/check", body=refused.encode(), headers=api_headers
                ),
                range(10),
            )
        )
        assert [a.status for a in checks] == [200] * 10, log.read_text()[-2000:]

        for _ in range(4):  # whichever worker answers the scrape: the sum over both
            samples = scrape(port)
            assert value(samples, "gfms_http_request_duration_seconds_count", **HEALTH) == sent
            assert value(samples, "gfms_gateway_checks_total", **REFUSED) == 10
            # livesum over the live workers: only the scrape itself is in flight.
            assert value(samples, "gfms_http_requests_in_flight") == 1
            assert value(samples, "gfms_outbox_unsent_messages") >= 0  # asked at scrape time

        # A worker ends (as after a crash or max_requests): its counts stay, its live gauge goes.
        gone = min(first_workers)
        assert (metrics_dir / f"gauge_livesum_{gone}.db").exists()
        os.kill(gone, signal.SIGTERM)
        deadline = time.monotonic() + 30
        while len(workers_of(master) - first_workers) < 1 or gone in workers_of(master):
            assert time.monotonic() < deadline, "gunicorn did not replace the worker"
            time.sleep(0.2)
        deadline = time.monotonic() + 10
        while (metrics_dir / f"gauge_livesum_{gone}.db").exists():
            assert time.monotonic() < deadline, "child_exit left the dead worker's live gauge"
            time.sleep(0.1)
        assert (metrics_dir / f"histogram_{gone}.db").exists()  # its counts are kept
        health_burst(port, pool, 20)
        samples = scrape(port)
        assert value(samples, "gfms_http_request_duration_seconds_count", **HEALTH) == sent + 20
        assert value(samples, "gfms_gateway_checks_total", **REFUSED) == 10
        assert value(samples, "gfms_http_requests_in_flight") == 1

    # The next start: nothing counted before it is added to what comes after.
    assert any(metrics_dir.glob("*.db"))
    with gunicorn(env, log) as port, ThreadPoolExecutor(max_workers=4) as pool:
        health_burst(port, pool, 3)
        samples = scrape(port)
        assert value(samples, "gfms_http_request_duration_seconds_count", **HEALTH) == 3
        assert value(samples, "gfms_gateway_checks_total", **REFUSED) == 0
    assert "Traceback" not in log.read_text(), log.read_text()[-3000:]
