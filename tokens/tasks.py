from celery import shared_task

from gfms_portal.clock import now
from tokens.returns import send_return_reminders


@shared_task(ignore_result=True)
def token_key_return_reminders() -> int:
    """Daily (Celery beat): reminders 14, 7 and 1 days before the due day, weekly when late."""
    return send_return_reminders(at=now())
