from django.conf import settings
from django.http import HttpRequest

from gfms_portal.clock import now
from schedule.models import Schedule
from schedule.policy import is_registration_open


def schedule(request: HttpRequest) -> dict[str, object]:
    """The schedule and the current phase, for the banner and the home page."""
    current = Schedule.load()
    at = now()
    return {
        "schedule": current,
        "phase": current.phase_at(at),
        "registration_open": is_registration_open(at, current.dates),
        "demo_frontend": settings.GFMS_DEMO_FRONTEND,
    }
