import datetime as dt

from celery import shared_task

from gfms_portal.clock import now
from outbox.services import pending_ids, send_now

# Rows younger than this are still on their way through the normal path.
RETRY_AFTER = dt.timedelta(seconds=30)


@shared_task(ignore_result=True, acks_late=True)
def send_message(message_id: int) -> bool:
    return send_now(message_id, at=now())


@shared_task(ignore_result=True)
def send_pending() -> int:
    """Periodic (Celery beat): send what the normal path did not, e.g. while the broker was
    down."""
    at = now()
    return sum(
        send_now(message_id, at=at) for message_id in pending_ids(older_than=at - RETRY_AFTER)
    )
