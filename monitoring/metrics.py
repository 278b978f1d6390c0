"""GET /metrics: the Prometheus scrape (docs/monitoring.md).

What the processes record themselves (gfms_portal.metrics: checks, latency, errors) is read
from every gunicorn worker's files in multiprocess mode, or from this process's registry
otherwise. What only the database and the broker know is asked at scrape time, here:

- gfms_outbox_unsent_messages, gfms_outbox_oldest_unsent_age_seconds (one query on the
  partial index of unsent rows);
- gfms_celery_queue_length{queue} (a passive queue declare: the broker's own count of waiting
  messages, for Redis as for AMQP), when a broker is configured;
- gfms_scrape_source_up{source} and gfms_scrape_source_duration_seconds{source} for each of
  them: a database or broker that fails makes its source 0 and the scrape still answers 200
  with everything else — a failed scrape would hide the very figures an outage needs.

Answered only to the monitoring network (gfms_portal.metrics.may_scrape, behind nginx's own
allow/deny); anyone else gets the ordinary 404.
"""

import logging
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from prometheus_client import REGISTRY, CollectorRegistry
from prometheus_client.exposition import choose_encoder
from prometheus_client.metrics_core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from gfms_portal import metrics
from gfms_portal.celery import app as celery_app
from gfms_portal.clock import now
from outbox.services import backlog

logger = logging.getLogger(__name__)


class _Registered(Collector):
    """This process's own registry, as one collector of the scrape's registry."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry

    def collect(self) -> Iterable[Metric]:
        return self.registry.collect()


class ScrapeTimeCollector(Collector):
    """The figures asked for at each scrape (module docstring). No describe(): registering
    it must not run the queries."""

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily(
            "gfms_scrape_source_up",
            "1 when this scrape could read the source (database: the outbox; broker: Celery's "
            "queues), 0 when it failed; its figures are then missing from this scrape.",
            labels=["source"],
        )
        took = GaugeMetricFamily(
            "gfms_scrape_source_duration_seconds",
            "Time this scrape spent reading the source.",
            labels=["source"],
        )
        yield from self._source("database", self._outbox, up, took)
        if celery_app.conf.broker_url:  # unset: tasks run eagerly, there is no queue
            yield from self._source("broker", self._celery, up, took)
        yield up
        yield took

    @staticmethod
    def _source(
        name: str,
        read: Callable[[], list[Metric]],
        up: GaugeMetricFamily,
        took: GaugeMetricFamily,
    ) -> list[Metric]:
        started = time.perf_counter()
        try:
            families = read()
        except Exception as error:
            # The type only: a broker URL in a message would carry its password.
            logger.warning("metrics: the %s could not be read: %s", name, type(error).__name__)
            if name == "database":
                metrics.database_error("metrics_scrape")
            families = []
            up.add_metric([name], 0)
        else:
            up.add_metric([name], 1)
        took.add_metric([name], time.perf_counter() - started)
        return families

    @staticmethod
    def _outbox() -> list[Metric]:
        waiting = backlog()
        return [
            GaugeMetricFamily(
                "gfms_outbox_unsent_messages",
                "E-mails written to the outbox and not sent yet (every web process reports the "
                "same figure: aggregate with max, not sum).",
                value=waiting.unsent,
            ),
            GaugeMetricFamily(
                "gfms_outbox_oldest_unsent_age_seconds",
                "How long the oldest unsent e-mail has waited (0 when none waits).",
                value=waiting.oldest_age_seconds(at=now()),
            ),
        ]

    @staticmethod
    def _celery() -> list[Metric]:
        family = GaugeMetricFamily(
            "gfms_celery_queue_length",
            "Messages waiting in the Celery queue, as the broker counts them (a task being "
            "run is no longer waiting).",
            labels=["queue"],
        )
        for queue, length in queue_lengths(celery_queues()).items():
            family.add_metric([queue], length)
        return [family]


def celery_queues() -> list[str]:
    """METRICS_CELERY_QUEUES, or the queues the Celery app knows (its default queue and any
    declared task_queues)."""
    if settings.METRICS_CELERY_QUEUES:
        return list(settings.METRICS_CELERY_QUEUES)
    names = [celery_app.conf.task_default_queue]
    for queue in celery_app.conf.task_queues or ():
        names.append(getattr(queue, "name", str(queue)))
    return list(dict.fromkeys(names))


def queue_lengths(queues: Iterable[str]) -> dict[str, int]:
    """Each queue's waiting messages, from one new connection to the broker that gives up
    after METRICS_BROKER_TIMEOUT (connecting, and each answer). A queue the broker does not
    know is empty: Redis keeps no key for an empty list, AMQP has no queue before a worker
    declared it."""
    timeout = settings.METRICS_BROKER_TIMEOUT
    options: dict[str, Any] = {
        # Redis (kombu reads the ones it knows), then AMQP (py-amqp's socket limits).
        "socket_timeout": timeout,
        "socket_connect_timeout": timeout,
        "read_timeout": timeout,
        "write_timeout": timeout,
    }
    lengths: dict[str, int] = {}
    with celery_app.connection_for_read(
        connect_timeout=timeout, transport_options=options
    ) as connection:
        connection.ensure_connection(max_retries=0)  # one attempt: the next scrape retries
        for queue in queues:
            # A channel per queue: AMQP closes the channel that asked for an unknown queue.
            channel = connection.channel()
            try:
                lengths[queue] = channel.queue_declare(queue=queue, passive=True).message_count
            except connection.channel_errors as error:
                if not _not_found(error):
                    raise
                lengths[queue] = 0
            finally:
                channel.close()
    return lengths


def _not_found(error: BaseException) -> bool:
    return getattr(error, "reply_code", None) == 404 or "NOT_FOUND" in str(error)


def scrape_registry() -> CollectorRegistry:
    """A registry for one scrape: every worker's recorded metrics (multiprocess mode) or this
    process's, and the scrape-time figures."""
    registry = CollectorRegistry()
    # First, so that an error it counts (a database error) is in this very scrape.
    registry.register(ScrapeTimeCollector())
    if metrics.MULTIPROC_DIR:
        MultiProcessCollector(registry, path=metrics.MULTIPROC_DIR)
    else:
        registry.register(_Registered(REGISTRY))
    return registry


@never_cache
@require_safe
def scrape(request: HttpRequest) -> HttpResponse:
    if not metrics.may_scrape(request):
        raise Http404
    encoder, content_type = choose_encoder(request.headers.get("Accept", ""))
    return HttpResponse(encoder(scrape_registry()), content_type=content_type)
