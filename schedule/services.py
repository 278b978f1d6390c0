"""Changing the migration schedule: one audited transaction under the row's lock, refused
(nothing changed) when the four dates would not make sense together."""

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from agencies.permissions import enforce, may_change_schedule
from audit.services import record_event
from gfms_portal.clock import bangkok_midnight
from schedule.models import Schedule
from schedule.policy import MigrationSchedule, schedule_problems

SCHEDULE_FIELDS = ("opens", "closes", "soft_token_only_from", "return_due")


def change_schedule(
    *,
    at: dt.datetime,
    actor: Any = None,
    actor_label: str = "",
    opens: dt.date | None = None,
    closes: dt.date | None = None,
    soft_token_only_from: dt.date | None = None,
    return_due: dt.date | None = None,
    is_demo: bool = False,
    stepped_up_at: dt.datetime | None = None,
) -> tuple[Schedule, bool]:
    """Change any of the four dates. Returns (schedule, changed).

    A person (`actor`) needs a fresh code (StepUpRequired); commands and the demo pass an
    `actor_label`. Raises ValidationError (by field) and changes nothing when the result would
    be invalid.
    """
    if actor is not None:
        enforce(may_change_schedule(actor.actor, at=at, stepped_up_at=stepped_up_at))
    with transaction.atomic():
        Schedule.load()
        schedule = Schedule.objects.select_for_update().get(pk=Schedule.SINGLETON_PK)
        old = schedule.dates
        new = old.replace(
            opens=opens,
            closes=closes,
            soft_token_only_from=soft_token_only_from,
            return_due=return_due,
        )
        if problems := schedule_problems(new):
            raise ValidationError(problems)
        if new == old and schedule.is_demo == is_demo:
            return schedule, False
        _store(schedule, new, is_demo=is_demo, at=at)
        transaction.on_commit(forget_cached_schedule)
        record_event(
            "schedule.changed",
            at=at,
            actor=actor,
            actor_label=actor_label,
            data={"old": _as_iso(old), "new": _as_iso(new), "is_demo": is_demo},
        )
        return schedule, True


# --- the gateway's copy -----------------------------------------------------------------------

# The gateway asks for the phase on every login check: each process reads the row at most once
# every SCHEDULE_CACHE_SECONDS. A change made in this process applies here at once (the copy is
# dropped when change_schedule commits); in the other processes within SCHEDULE_CACHE_SECONDS.
SCHEDULE_CACHE_SECONDS = 5
_copy: tuple[dt.datetime, MigrationSchedule] | None = None


def current_schedule(*, at: dt.datetime) -> MigrationSchedule:
    """The schedule's four dates as of at most SCHEDULE_CACHE_SECONDS before `at`."""
    global _copy
    copy = _copy
    if copy is not None and copy[0] <= at < copy[0] + dt.timedelta(seconds=SCHEDULE_CACHE_SECONDS):
        return copy[1]
    dates = Schedule.load().dates
    _copy = (at, dates)
    return dates


def forget_cached_schedule() -> None:
    global _copy
    _copy = None


def _store(schedule: Schedule, dates: MigrationSchedule, *, is_demo: bool, at: dt.datetime) -> None:
    for name in SCHEDULE_FIELDS:
        setattr(schedule, name, bangkok_midnight(getattr(dates, name)))
    schedule.is_demo = is_demo
    schedule.updated_at = at
    schedule.save()


def _as_iso(dates: MigrationSchedule) -> dict[str, str]:
    return {name: getattr(dates, name).isoformat() for name in SCHEDULE_FIELDS}
