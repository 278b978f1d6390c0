"""Prometheus metrics (docs/monitoring.md), in this process's registry, read back through the
real scrape view: the labelled counter of each check, the latency histogram per endpoint, the
database and cache error counters with real failures, the outbox backlog and Celery's queue
length at scrape time (the real Redis broker), who may scrape, and METRICS_ENABLED=false.

Counters only ever grow in a process, so every test compares before and after."""

import contextlib
import datetime as dt
import socket
from collections.abc import Iterator

import pytest
import time_machine
from django.core.checks import run_checks
from django.db import connection
from django.test import Client
from prometheus_client import REGISTRY

from agencies.models import Officer
from auth_gateway.models import ServiceClient
from gfms_portal.celery import app as celery_app
from gfms_portal.checks import check_metrics_allow
from tests.auth_gateway.conftest import IN_WINDOW, soft_token_login
from tests.conftest import PASSWORD
from tests.factories import OutboxMessageFactory, SoftTokenFactory
from tests.prometheus import Samples, has, parse, value

pytestmark = pytest.mark.django_db
CHECK = "/api/v1/auth/check"


@pytest.fixture(autouse=True)
def scrapes_from_loopback(settings) -> None:
    # The test client's REMOTE_ADDR is 127.0.0.1.
    settings.METRICS_ALLOW = ["127.0.0.1/32"]
    settings.METRICS_TOKEN = ""


def scrape(client: Client) -> Samples:
    response = client.get("/metrics")
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"].startswith("text/plain")
    return parse(response.content.decode())


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # nothing listens once it is closed


# --- login checks ---------------------------------------------------------------------------------


@time_machine.travel(IN_WINDOW, tick=False)
def test_each_check_counts_under_its_decision_recorded_reason_and_method(
    api, client: Client, charlie: Officer
) -> None:
    SoftTokenFactory.create(officer=charlie)
    before = scrape(client)
    key = {"decision": "allow", "reason": "ok", "method": "soft_token"}
    assert api(CHECK, soft_token_login("charlie", IN_WINDOW)).json()["decision"] == "allow"
    wrong = {"username": "charlie", "password": "wrong", "method": "password"}
    assert api(CHECK, {**wrong, "client_ip": "192.0.2.77"}).json()["reason"] == (
        "invalid_credentials"
    )
    # Locked: the caller is told invalid_credentials, the operators' counter says locked.
    Officer.objects.filter(pk=charlie.pk).update(locked_until=IN_WINDOW + dt.timedelta(hours=1))
    locked = api(CHECK, {"username": "charlie", "password": PASSWORD, "method": "password"})
    assert locked.json()["reason"] == "invalid_credentials"

    after = scrape(client)
    name = "gfms_gateway_checks_total"
    assert value(after, name, **key) - value(before, name, **key) == 1
    refused = {"decision": "deny", "reason": "invalid_credentials", "method": "password"}
    assert value(after, name, **refused) - value(before, name, **refused) == 1
    held = {"decision": "deny", "reason": "locked", "method": "password"}
    assert value(after, name, **held) - value(before, name, **held) == 1
    # Nothing about who asked: no user id, address, code or password in any label.
    labels = {label for _, pairs in after for _, label in pairs}
    otp = soft_token_login("charlie", IN_WINDOW)["otp"]
    assert not labels & {"charlie", "192.0.2.77", PASSWORD, "wrong", otp}
    assert "charlie" not in client.get("/metrics").content.decode()


# --- latency per endpoint -------------------------------------------------------------------------


def test_latency_is_recorded_per_url_pattern_never_per_path(client: Client, charlie) -> None:
    before = scrape(client)
    assert client.get("/api/v1/health").status_code == 200
    assert client.get("/healthz").status_code == 200
    assert client.get("/manage/progress/0300400001/").status_code == 302  # to the sign-in
    assert client.get("/no-such-page/charlie/").status_code == 404
    assert client.generic("PROPFIND", "/healthz").status_code == 405
    after = scrape(client)

    def count(endpoint: str, method: str, status: str) -> float:
        labels = {"endpoint": endpoint, "method": method, "status": status}
        name = "gfms_http_request_duration_seconds_count"
        return value(after, name, **labels) - value(before, name, **labels)

    assert count("api-health", "GET", "2xx") == 1
    assert count("healthz", "GET", "2xx") == 1
    assert count("manage_progress_node", "GET", "3xx") == 1
    assert count("unmatched", "GET", "4xx") == 1
    assert count("healthz", "other", "4xx") == 1
    # The buckets suit a login check: 5 ms … 5 s, with the password floor's 0.8 s among them.
    bounds = {
        dict(labels)["le"]
        for (name, labels) in after
        if name == "gfms_http_request_duration_seconds_bucket"
    }
    assert {"0.005", "0.8", "0.9", "5.0", "+Inf"} <= bounds
    text = client.get("/metrics").content.decode()
    assert "0300400001" not in text and "charlie" not in text and "no-such-page" not in text
    # The scrape itself is in flight while it is answered.
    assert value(after, "gfms_http_requests_in_flight") >= 1


# --- database and cache errors --------------------------------------------------------------------


@time_machine.travel(IN_WINDOW, tick=False)
def test_a_cache_that_fails_is_counted_and_the_check_still_answers(
    api, client: Client, settings, dave: Officer
) -> None:
    before = scrape(client)
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{closed_port()}/0",
        }
    }
    # A quota this small is settled with the cache at every check (auth_gateway.quota).
    ServiceClient.objects.update(requests_per_minute=10)
    response = api(CHECK, {"username": "dave", "password": PASSWORD, "method": "password"})
    assert response.status_code == 200 and response.json()["decision"] == "allow"
    after = scrape(client)
    name = "gfms_cache_errors_total"
    assert (
        value(after, name, where="gateway_quota") - value(before, name, where="gateway_quota") == 1
    )


@pytest.mark.django_db(transaction=True)
def test_database_errors_are_counted_where_they_are_caught(settings) -> None:
    client = Client(raise_request_exception=False)
    before = scrape(client)
    answers = {}
    for path in ("/healthz", "/api/v1/health", "/", "/metrics"):
        with database_down():
            answers[path] = client.get(path)
    assert answers["/healthz"].status_code == 503
    assert answers["/api/v1/health"].status_code == 503
    assert answers["/"].status_code == 500
    during = parse(answers["/metrics"].content.decode())
    assert answers["/metrics"].status_code == 200  # the scrape answers without its database
    assert value(during, "gfms_scrape_source_up", source="database") == 0
    assert not has(during, "gfms_outbox_unsent_messages")
    after = scrape(client)
    assert value(after, "gfms_scrape_source_up", source="database") == 1
    name = "gfms_database_errors_total"
    for where in ("healthz", "gateway_api", "request", "metrics_scrape"):
        assert value(after, name, where=where) - value(before, name, where=where) == 1, where


@contextlib.contextmanager
def database_down() -> Iterator[None]:
    """The real database connection pointed at a port where nothing listens (PostgreSQL: a
    SQLite test database lives in memory and is never reconnected)."""
    if connection.vendor != "postgresql":
        pytest.skip("reconnecting to a closed port needs PostgreSQL (CI sets DATABASE_URL)")
    port = connection.settings_dict["PORT"]
    connection.close()
    connection.settings_dict["PORT"] = str(closed_port())
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict["PORT"] = port


# --- scrape-time figures: the outbox and Celery ---------------------------------------------------


def test_outbox_backlog_and_oldest_age_come_from_the_rows_at_scrape_time(client: Client) -> None:
    at = dt.datetime(2025, 3, 1, 3, 0, tzinfo=dt.UTC)
    with time_machine.travel(at, tick=False):
        empty = scrape(client)
        assert value(empty, "gfms_outbox_unsent_messages") == 0
        assert value(empty, "gfms_outbox_oldest_unsent_age_seconds") == 0
        OutboxMessageFactory.create(created_at=at - dt.timedelta(seconds=90))
        OutboxMessageFactory.create(created_at=at - dt.timedelta(seconds=5))
        OutboxMessageFactory.create(
            created_at=at - dt.timedelta(hours=2), sent_at=at - dt.timedelta(hours=1), body_text=""
        )
        now = scrape(client)
        assert value(now, "gfms_outbox_unsent_messages") == 2
        assert value(now, "gfms_outbox_oldest_unsent_age_seconds") == 90
        assert value(now, "gfms_scrape_source_up", source="database") == 1
    with time_machine.travel(at + dt.timedelta(minutes=10), tick=False):
        later = scrape(client)
        assert value(later, "gfms_outbox_oldest_unsent_age_seconds") == 90 + 600


def test_celery_queue_length_is_asked_from_the_real_broker(
    client: Client, real_broker: str
) -> None:
    assert value(scrape(client), "gfms_celery_queue_length", queue=real_broker) == 0
    for message_id in range(3):  # nobody consumes this queue
        celery_app.send_task("outbox.tasks.send_message", args=[message_id], queue=real_broker)
    samples = scrape(client)
    assert value(samples, "gfms_celery_queue_length", queue=real_broker) == 3
    assert has(samples, "gfms_celery_queue_length", queue=f"{real_broker}-empty")
    assert value(samples, "gfms_celery_queue_length", queue=f"{real_broker}-empty") == 0
    assert value(samples, "gfms_scrape_source_up", source="broker") == 1


def test_a_broker_that_fails_leaves_the_rest_of_the_scrape(
    client: Client, real_broker: str
) -> None:
    celery_app.conf.broker_url = f"redis://127.0.0.1:{closed_port()}/0"
    samples = scrape(client)
    assert value(samples, "gfms_scrape_source_up", source="broker") == 0
    assert not any(name == "gfms_celery_queue_length" for name, _ in samples)
    assert value(samples, "gfms_scrape_source_up", source="database") == 1
    assert has(samples, "gfms_outbox_unsent_messages")


def test_without_a_broker_there_is_no_queue_to_report(client: Client) -> None:
    assert not celery_app.conf.broker_url  # the tests run tasks eagerly
    samples = scrape(client)
    assert not any(name == "gfms_celery_queue_length" for name, _ in samples)
    assert not has(samples, "gfms_scrape_source_up", source="broker")


# --- who may scrape -------------------------------------------------------------------------------


def test_only_the_monitoring_network_may_scrape(client: Client, settings) -> None:
    settings.METRICS_ALLOW = []
    assert client.get("/metrics").status_code == 404  # nothing listed: nobody
    settings.METRICS_ALLOW = ["10.20.0.0/24"]
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", REMOTE_ADDR="10.20.0.9").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="::ffff:10.20.0.9").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="10.21.0.9").status_code == 404
    # Django reads no forwarding header itself (gfms_portal.wsgi rewrites REMOTE_ADDR from
    # the trusted proxy only): a client naming the monitoring network is still itself.
    spoofed = client.get("/metrics", REMOTE_ADDR="203.0.113.5", HTTP_X_FORWARDED_FOR="10.20.0.9")
    assert spoofed.status_code == 404
    assert client.post("/metrics", REMOTE_ADDR="10.20.0.9").status_code == 405
    settings.METRICS_ALLOW = ["not-a-network"]
    assert client.get("/metrics", REMOTE_ADDR="10.20.0.9").status_code == 404


def test_a_scrape_token_when_set_is_required_too(client: Client, settings) -> None:
    settings.METRICS_TOKEN = "s3cr3t-scrape-token"
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 404
    assert client.get("/metrics", HTTP_AUTHORIZATION="s3cr3t-scrape-token").status_code == 404
    right = client.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cr3t-scrape-token")
    assert right.status_code == 200
    assert b"s3cr3t" not in right.content
    settings.METRICS_ALLOW = []  # the token alone is not enough
    assert (
        client.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cr3t-scrape-token").status_code == 404
    )


def test_the_system_check_refuses_a_malformed_or_open_metrics_allow(settings) -> None:
    settings.METRICS_ALLOW = ["10.20.0.0/24", "2001:db8::/32"]
    assert check_metrics_allow(None) == []
    settings.METRICS_ALLOW = ["10.20.0.0/33"]
    assert [m.id for m in check_metrics_allow(None)] == ["gfms.E006"]
    settings.METRICS_ALLOW = ["0.0.0.0/0"]
    assert [m.id for m in check_metrics_allow(None)] == ["gfms.W002"]
    assert "gfms.W002" in [m.id for m in run_checks()]


# --- switched off ---------------------------------------------------------------------------------


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


@time_machine.travel(IN_WINDOW, tick=False)
def test_metrics_enabled_false_records_nothing(api, client: Client, settings, dave) -> None:
    settings.METRICS_ENABLED = False
    check = {"decision": "allow", "reason": "ok", "method": "password"}
    health = {"endpoint": "api-health", "method": "GET", "status": "2xx"}
    before = (
        sample("gfms_gateway_checks_total", **check),
        sample("gfms_http_request_duration_seconds_count", **health),
    )
    body = {"username": "dave", "password": PASSWORD, "method": "password"}
    assert api(CHECK, body).json()["decision"] == "allow"
    assert client.get("/api/v1/health").status_code == 200
    assert client.get("/metrics").status_code == 404
    assert (
        sample("gfms_gateway_checks_total", **check),
        sample("gfms_http_request_duration_seconds_count", **health),
    ) == before
    settings.METRICS_ENABLED = True
    assert api(CHECK, body).json()["decision"] == "allow"
    assert sample("gfms_gateway_checks_total", **check) == before[0] + 1
