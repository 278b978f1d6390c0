"""Queue e-mails through the outbox.

`queue_email` writes the message row inside the caller's transaction and, once that commits,
asks Celery to send it. If the broker is unreachable the request goes on at once (the
periodic `send_pending` task picks the row up later), so registration never waits for, or
fails because of, the mail system.
"""

import datetime as dt
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Count, Min
from django.template.loader import render_to_string
from django.utils import translation

from gfms_portal.celery import app as celery_app
from outbox.models import OutboxMessage

logger = logging.getLogger(__name__)

# After a failed publish, skip publishing for a while: the periodic task sends the rows.
_BROKER_BACKOFF_SECONDS = 30
_broker_down_until = 0.0


def queue_email(
    kind: str,
    *,
    to: str,
    template: str,
    context: dict[str, Any],
    at: dt.datetime,
    officer: Any = None,
    language: str = "th",
) -> OutboxMessage:
    """Render templates/emails/<template>_subject.txt and _body.txt (Thai by default) and
    queue the message. Call inside the transaction of the change it reports."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("queue_email must run inside the transaction of the change it reports")
    # Every e-mail may link to the portal (GFMS_PORTAL_URL: make run derives it from PORT/HOST).
    context = {"portal_url": settings.GFMS_PORTAL_URL, **context}
    with translation.override(language):
        subject = render_to_string(f"emails/{template}_subject.txt", context).strip()
        body = render_to_string(f"emails/{template}_body.txt", context)
    message = OutboxMessage.objects.create(
        kind=kind,
        officer=officer,
        to=to,
        subject=subject,
        body=OutboxMessage.body_text.encrypt(body),
        created_at=at,
    )
    transaction.on_commit(lambda: publish(message.pk))
    return message


# Publishing happens off the request thread: even a refused connection costs seconds of
# client-side retries, and the officer must not wait for the mail system.
_publisher = ThreadPoolExecutor(max_workers=2, thread_name_prefix="outbox-publish")


def _eager() -> bool:
    return bool(celery_app.conf.task_always_eager)


def publish(message_id: int) -> None:
    """Hand the message to Celery; never raise, never make the request wait."""
    dispatch("outbox.tasks.send_message", message_id)


def dispatch(task_name: str, *args: Any) -> None:
    """Start a Celery task (by name: tasks import services, never the reverse) after the work
    it follows has been committed, without making the request wait: off the request thread,
    skipped for a while once the broker refused. A periodic task must pick up whatever a
    skipped dispatch would have done."""
    if _eager():
        _dispatch(task_name, args)  # no broker: the task runs here and now
    else:
        _publisher.submit(_dispatch, task_name, args)


def _dispatch(task_name: str, args: tuple[Any, ...]) -> None:
    global _broker_down_until
    if time.monotonic() < _broker_down_until:
        return
    try:
        task = celery_app.tasks[task_name]
    except KeyError:
        # A typo'd name must not vanish in the publisher thread (tests/outbox checks every one).
        logger.exception("no task %s is registered; %s not started", task_name, args)
        return
    try:
        task.apply_async(args=list(args), retry=False)
    except Exception:
        if _eager():
            logger.exception("task %s%s failed; it will be retried", task_name, args)
            return
        _broker_down_until = time.monotonic() + _BROKER_BACKOFF_SECONDS
        logger.warning("broker unreachable; %s%s waits for the periodic task", task_name, args)


def send_now(message_id: int, *, at: dt.datetime) -> bool:
    """Send one message unless it was sent already. The row stays locked while the mail
    server is talked to, so two workers can never both send it (the second skips it).

    The one duplicate still possible: the mail server accepts the message and the database
    then fails to record it as sent — the retry sends it again. A lost e-mail would be worse.
    """
    with transaction.atomic():
        message = (
            OutboxMessage.objects.select_for_update(skip_locked=True)
            .filter(pk=message_id, sent_at__isnull=True)
            .first()
        )
        if message is None:
            return False
        message.attempts += 1
        try:
            EmailMessage(
                message.subject,
                message.body_text,
                settings.DEFAULT_FROM_EMAIL,
                [message.to],
            ).send()
        except Exception as error:  # the mail server said no: keep the row for a retry
            message.last_error = f"{type(error).__name__}"[:255]
            message.save(update_fields=["attempts", "last_error"])
            logger.warning("outbox message %s not sent: %s", message_id, type(error).__name__)
            return False
        message.sent_at = at
        message.last_error = ""
        message.body = ""  # sent: the one-time codes in it need not be kept
        message.save(update_fields=["attempts", "sent_at", "last_error", "body"])
        return True


def pending_ids(*, older_than: dt.datetime, limit: int = 500) -> list[int]:
    return list(
        OutboxMessage.objects.filter(sent_at__isnull=True, created_at__lte=older_than)
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )


@dataclass(frozen=True)
class Backlog:
    unsent: int
    oldest_created_at: dt.datetime | None

    def oldest_age_seconds(self, *, at: dt.datetime) -> float:
        """How long the oldest unsent message has waited (0 when none waits)."""
        if self.oldest_created_at is None:
            return 0.0
        return max(0.0, (at - self.oldest_created_at).total_seconds())


def backlog() -> Backlog:
    """The messages not sent yet and when the oldest was written: one query on the partial
    index of unsent rows (the operators' metrics, monitoring.metrics)."""
    row = OutboxMessage.objects.filter(sent_at__isnull=True).aggregate(
        unsent=Count("pk"), oldest=Min("created_at")
    )
    return Backlog(unsent=row["unsent"], oldest_created_at=row["oldest"])


def email_officer(officer: Any, template: str, *, at: dt.datetime, **context: Any) -> OutboxMessage:
    """Queue templates/emails/<template>_* to an officer's official e-mail (kind = template)."""
    return queue_email(
        template,
        to=officer.email,
        template=template,
        context={"officer": officer, "at": at, **context},
        at=at,
        officer=officer,
    )
