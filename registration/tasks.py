from celery import shared_task

from gfms_portal.clock import now
from registration.reminders import deliver_reminders, send_registration_reminders
from registration.services import expire_pending_tokens, purge_expired_reveals


@shared_task(ignore_result=True)
def discard_expired_pending_tokens() -> int:
    """Periodic: a QR code left open is dead after 10 minutes, and its secret is discarded."""
    return expire_pending_tokens(at=now())


@shared_task(ignore_result=True)
def discard_expired_reveals() -> int:
    """Periodic: a one-time display not opened within 10 minutes is deleted."""
    return purge_expired_reveals(at=now())


@shared_task(ignore_result=True)
def registration_reminders() -> None:
    """A few times a day (Celery beat): today's reminders 30, 14, 7, 3 and 1 days before the
    closing day and Monday's digests — each once, whatever the number of runs."""
    send_registration_reminders(at=now())


@shared_task(ignore_result=True)
def deliver_registration_reminders() -> int:
    """Every minute, and right after an administrator asks: claimed reminders to the outbox."""
    return deliver_reminders(at=now())
