"""The one place that reads the wall clock.

Read it once at the edge of a request, task or command and pass `at=` down; tests move time
with time_machine, which this honours.
"""

import datetime as dt
from zoneinfo import ZoneInfo

from django.utils import timezone

BANGKOK = ZoneInfo("Asia/Bangkok")


def now() -> dt.datetime:
    """The current moment, timezone-aware (UTC)."""
    return timezone.now()


def bangkok_midnight(day: dt.date) -> dt.datetime:
    """The first instant of `day` in Asia/Bangkok, as an aware datetime."""
    return dt.datetime.combine(day, dt.time.min, tzinfo=BANGKOK)


def bangkok_date(moment: dt.datetime) -> dt.date:
    """The calendar date in Asia/Bangkok at an aware `moment`."""
    if timezone.is_naive(moment):
        raise ValueError("bangkok_date needs an aware datetime")
    return moment.astimezone(BANGKOK).date()
