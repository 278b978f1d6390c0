"""Prometheus metrics that any app may record (this module imports no app): login checks by
decision, reason and method, request latency per endpoint, requests in flight, database and
cache errors. What is computed at scrape time (the outbox backlog, Celery's queues) and the
scrape view itself live in `monitoring.metrics`, which may read the database and the broker.

Labels are small closed sets only — an enum value, a URL pattern's name, a status class —
never a user id, an address, a code or a raw path (docs/monitoring.md).

Two modes, chosen by prometheus-client when it is first imported:

- PROMETHEUS_MULTIPROC_DIR set (production: gunicorn's workers, docker-compose.yml): every
  process writes its values to its own memory-mapped files in that directory, and a scrape,
  whichever worker answers it, adds up the files of all of them. gunicorn.conf.py empties the
  directory when gunicorn starts and drops a dead worker's live gauges (`child_exit`).
- unset (`make run`, tests, the Celery worker): the ordinary in-process registry.

METRICS_ENABLED=false (settings) turns every recording here into a no-op and the middleware
out of the stack, so that their cost per check can be measured (docs/monitoring.md).
"""

import functools
import hmac
import ipaddress
import os
import sys
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import MiddlewareNotUsed
from django.db import Error as DatabaseError
from django.http import HttpRequest, HttpResponseBase
from prometheus_client import REGISTRY, Counter, Gauge, Histogram, disable_created_metrics

MULTIPROC_DIR = os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")
if MULTIPROC_DIR:
    # A process started outside gunicorn (manage.py with the production environment) must not
    # fail on its first metric (its files are opened as the metrics below are made) because
    # nobody made the directory yet.
    os.makedirs(MULTIPROC_DIR, exist_ok=True)

# No `_created` series: multiprocess mode has none, and both modes should expose the same names.
disable_created_metrics()

# A login check is a few milliseconds when the password is right and is held to
# GFMS_PASSWORD_FLOOR_MS (800 ms) when it is not: the 0.8 and 0.9 bounds tell the answers held
# at the floor from the slower ones; 2.5 s is about where the database limits turn a request
# into a 503 (DB_CONNECT_TIMEOUT + DB_CLIENT_TIMEOUT_MS).
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 0.8, 0.9, 1.0, 1.5, 2.5, 5.0)

GATEWAY_CHECKS = Counter(
    "gfms_gateway_checks",
    "Login checks decided by the auth gateway (POST /api/v1/auth/check), by decision, the "
    "reason kept in the decision record, and the method asked for.",
    ["decision", "reason", "method"],
    registry=REGISTRY,
)
HTTP_DURATION = Histogram(
    "gfms_http_request_duration_seconds",
    "Time from the request reaching Django to its response (the first byte of a streamed "
    "export), by URL pattern name, HTTP method and status class.",
    ["endpoint", "method", "status"],
    buckets=LATENCY_BUCKETS,
    registry=REGISTRY,
)
HTTP_IN_FLIGHT = Gauge(
    "gfms_http_requests_in_flight",
    "Requests being handled now, over every live worker process (a refused password holds "
    "its thread up to GFMS_PASSWORD_FLOOR_MS).",
    multiprocess_mode="livesum",
    registry=REGISTRY,
)
DATABASE_ERRORS = Counter(
    "gfms_database_errors",
    "Database errors caught, by where: gateway_api (the API answered 503), healthz, request "
    "(any other request's unhandled database error), metrics_scrape.",
    ["where"],
    registry=REGISTRY,
)
CACHE_ERRORS = Counter(
    "gfms_cache_errors",
    "Cache errors caught, by where: gateway_quota (the service clients' quota went unthrottled).",
    ["where"],
    registry=REGISTRY,
)

HTTP_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def enabled() -> bool:
    return bool(settings.METRICS_ENABLED)


def record_check(decision: object, reason: object, method: object) -> None:
    """One decided login check. The values are the gateway's enums (str subclasses)."""
    if settings.METRICS_ENABLED:
        GATEWAY_CHECKS.labels(str(decision), str(reason or "none"), str(method or "none")).inc()


def database_error(where: str) -> None:
    if settings.METRICS_ENABLED:
        DATABASE_ERRORS.labels(where).inc()


def cache_error(where: str) -> None:
    if settings.METRICS_ENABLED:
        CACHE_ERRORS.labels(where).inc()


def is_database_error(error: BaseException | None) -> bool:
    """Django's wrapped driver errors (OperationalError, InterfaceError, the client
    deadline's OperationalError, …)."""
    return isinstance(error, DatabaseError)


def count_unhandled_database_error(sender: object, request: object = None, **kwargs: Any) -> None:
    """Receiver of Django's got_request_exception (gfms_portal.apps): a request that ended in
    a 500 because of the database. Django sends it inside its except block."""
    if is_database_error(sys.exc_info()[1]):
        database_error("request")


def status_class(status: int) -> str:
    return f"{status // 100}xx" if 100 <= status < 600 else "other"


class RequestMetricsMiddleware:
    """First in settings.MIDDLEWARE: the latency of every request by endpoint, method and
    status class, and the requests in flight. The endpoint is the URL pattern's name
    (`api-auth-check`, `admin:index`; its route when it has no name), `static` for WhiteNoise's
    files, `unmatched` for anything no pattern matched (404s, the HTTPS redirect) — never the
    path, which may carry a user id."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]):
        if not enabled():
            raise MiddlewareNotUsed("METRICS_ENABLED is off")
        self.get_response = get_response
        self.static_prefix = settings.STATIC_URL or "/static/"

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        started = time.perf_counter()
        HTTP_IN_FLIGHT.inc()
        status = "5xx"  # if anything below raises (Django turns view errors into responses)
        try:
            response = self.get_response(request)
            status = status_class(response.status_code)
            return response
        finally:
            HTTP_IN_FLIGHT.dec()
            HTTP_DURATION.labels(self.endpoint(request), self.method(request), status).observe(
                time.perf_counter() - started
            )

    def endpoint(self, request: HttpRequest) -> str:
        match = getattr(request, "resolver_match", None)
        if match is not None:
            return match.view_name or match.route or "unnamed"
        if request.path_info.startswith(self.static_prefix):
            return "static"
        return "unmatched"

    @staticmethod
    def method(request: HttpRequest) -> str:
        method = request.method or ""
        return method if method in HTTP_METHODS else "other"


# --- who may scrape -------------------------------------------------------------------------------


@functools.lru_cache(maxsize=8)
def _networks(
    entries: tuple[str, ...],
) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(entry, strict=False) for entry in entries)


def may_scrape(request: HttpRequest) -> bool:
    """The second lock on /metrics, behind nginx's `allow METRICS_ALLOW; deny all;`: the client
    address is in METRICS_ALLOW (the address nginx saw — gfms_portal.wsgi believes
    X-Forwarded-For only from GFMS_TRUSTED_PROXIES — or the peer's own when Prometheus talks
    to gunicorn directly), and, when METRICS_TOKEN is set, `Authorization: Bearer <token>`.
    Nothing listed: nobody."""
    if not settings.METRICS_ENABLED:
        return False
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR") or "")
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped  # gunicorn bound to [::]
    try:
        allowed = _networks(tuple(settings.METRICS_ALLOW))
    except ValueError:  # a malformed entry (system check gfms.E006): nobody
        return False
    if not any(address in network for network in allowed):
        return False
    token = settings.METRICS_TOKEN
    if not token:
        return True
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    return scheme == "Bearer" and hmac.compare_digest(given.strip().encode(), token.encode())
