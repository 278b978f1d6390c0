from celery import shared_task

from gfms_portal.clock import now
from registration.services import expire_pending_tokens


@shared_task(ignore_result=True)
def discard_expired_pending_tokens() -> int:
    """Periodic: a QR code left open is dead after 10 minutes, and its secret is discarded."""
    return expire_pending_tokens(at=now())
