"""Fixtures of the monitoring tests."""

import os
import socket
import uuid
from collections.abc import Iterator

import pytest
import redis

from gfms_portal.celery import app as celery_app
from tests.outbox.test_outbox_with_broker import forget_connections

REDIS_TEST_BROKER = "redis://127.0.0.1:6379/15"  # a database number no other test uses


@pytest.fixture
def real_broker(settings) -> Iterator[str]:
    """The machine's Redis as Celery's broker, on its own database number and a queue name of
    this test's own."""
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
    except OSError:
        if os.environ.get("CI"):
            pytest.fail("Redis on 127.0.0.1:6379 is needed (.ci/run starts it)")
        pytest.skip("no Redis on 127.0.0.1:6379")
    queue = f"gfms-metrics-test-{uuid.uuid4().hex}"
    saved = {key: celery_app.conf[key] for key in ("broker_url", "task_always_eager")}
    celery_app.conf.update(broker_url=REDIS_TEST_BROKER, task_always_eager=False)
    forget_connections()
    settings.METRICS_CELERY_QUEUES = [queue, f"{queue}-empty"]
    try:
        yield queue
    finally:
        # Its messages and kombu's bindings (a queue_delete on a new channel knows no binding
        # and deletes nothing): every key of this test's own queue, in the test database.
        client = redis.Redis.from_url(REDIS_TEST_BROKER)
        keys = list(client.scan_iter(match=f"*{queue}*"))
        if keys:
            client.delete(*keys)
        client.close()
        celery_app.conf.update(saved)
        forget_connections()
