"""Changing the migration schedule: one audited transaction under the row's lock, refused
(nothing changed) when the four dates would not make sense together."""

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from agencies.permissions import enforce, may_change_schedule
from audit.services import record_event
from gfms_portal.clock import bangkok_midnight
from gfms_portal.copies import Copies
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
_schedule: Copies[None, MigrationSchedule] = Copies(seconds=SCHEDULE_CACHE_SECONDS)


def current_schedule(*, at: dt.datetime) -> MigrationSchedule:
    """The schedule's four dates as of at most SCHEDULE_CACHE_SECONDS before `at`."""
    if (dates := _schedule.get(None, at=at)) is not None:
        return dates
    return _schedule.put(None, Schedule.load().dates, at=at)


def forget_cached_schedule() -> None:
    _schedule.clear()


def _store(schedule: Schedule, dates: MigrationSchedule, *, is_demo: bool, at: dt.datetime) -> None:
    for name in SCHEDULE_FIELDS:
        setattr(schedule, name, bangkok_midnight(getattr(dates, name)))
    schedule.is_demo = is_demo
    schedule.updated_at = at
    schedule.save()


def _as_iso(dates: MigrationSchedule) -> dict[str, str]:
    return {name: getattr(dates, name).isoformat() for name in SCHEDULE_FIELDS}
