# gunicorn settings for the portal (`gunicorn gfms_portal.wsgi:application` reads this file
# from the working directory; the image's CMD and docker-compose.yml use it).
#
# gunicorn never faces the network: nginx (deploy/nginx) buffers whole requests and answers
# slow clients, so a worker thread only ever handles a complete request. Every value comes
# from the environment, with the production defaults here.
import os
from pathlib import Path
from typing import Any

from django.urls import get_resolver
from prometheus_client import multiprocess

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")

# Workers: cores + 1 measured best (docs/performance.md); password hashing is CPU-bound.
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
# A few threads per worker: a request that waits (a failed password held to a fixed floor
# with time.sleep, a database round trip, the demo front-end calling the API over HTTP) must
# not stall every other request of its worker. Argon2 releases the GIL while it hashes.
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "8"))

# Above every limit a request can meet: the database's (DB_CONNECT_TIMEOUT 1 s plus one
# round trip DB_CLIENT_TIMEOUT_MS 1.5 s) and the longest legitimate response (the CSV/XLSX
# exports, a few seconds over 100,000 officers). A worker silent for this long is killed.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
# nginx opens a connection per request (no upstream keepalive); a short idle keepalive for
# anything else that talks to gunicorn directly (the compose health check).
keepalive = 5

# Only the reverse proxy may set X-Forwarded-Proto (wsgi.url_scheme); gfms_portal.wsgi applies
# the same list to X-Forwarded-For before Django. Nothing listed: nothing trusted.
forwarded_allow_ips = os.environ.get("GFMS_TRUSTED_PROXIES", "")
# Headers with underscores (X_Forwarded_For) would map to the same WSGI name as the real one.
header_map = "drop"

# Access log: the path without its query string (usernames travel in ?username=) and never a
# body; REMOTE_ADDR is the client address nginx saw (gfms_portal.wsgi).
accesslog = "-"
access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms'
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# Request line and headers are small on this API; refuse anything larger early.
limit_request_line = 4094
limit_request_fields = 50
limit_request_field_size = 8190

# Prometheus multiprocess mode (docs/monitoring.md): with PROMETHEUS_MULTIPROC_DIR set (the
# compose `web` service: a tmpfs) every worker writes its metrics to its own files there and a
# scrape adds them all up. Files left by an earlier run would be added too, so the directory
# is emptied before the first worker starts; a worker that exits takes its live gauges (the
# requests in flight) with it, while its counters stay counted.
_metrics_dir = os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")


def on_starting(server: Any) -> None:
    if _metrics_dir:
        directory = Path(_metrics_dir)
        directory.mkdir(parents=True, exist_ok=True)
        for leftover in directory.glob("*.db"):  # only prometheus-client's own files
            leftover.unlink()


def child_exit(server: Any, worker: Any) -> None:
    if _metrics_dir:
        multiprocess.mark_process_dead(worker.pid, _metrics_dir)


def post_worker_init(worker: Any) -> None:
    # Django imports the URLconf — and with it DRF and drf-spectacular, ~0.3 s here, over 1 s on
    # a busy host — on a worker's first request: do it while the worker boots, so that no login
    # check waits for it.
    get_resolver().url_patterns  # noqa: B018  (loading it is the point)
