"""The migration schedule and its phases (CGD circular of 10 February 2025).

Four dates in Asia/Bangkok, each meaning a whole day:

| phase             | when                                   |
| ----------------- | -------------------------------------- |
| `before_window`   | before 00:00 of the opening day        |
| `window`          | opening day 00:00 ≤ now < soft-token-only day 00:00 |
| `soft_token_only` | from 00:00 of the soft-token-only day  |

Registration itself is open from the opening day to the end of the closing day (inclusive).
Pure functions: the moment and the schedule are always passed in.
"""

import datetime as dt
from dataclasses import dataclass, fields

from django.db.models import TextChoices
from django.utils.translation import gettext_lazy as _

from gfms_portal.clock import BANGKOK, bangkok_midnight
from gfms_portal.thaidate import format_be_date

# Dates outside this range are typing mistakes (a CE year where BE was meant, or the reverse).
EARLIEST_DATE = dt.date(2020, 1, 1)
LATEST_DATE = dt.date(2040, 12, 31)


class Phase(TextChoices):
    BEFORE_WINDOW = "before_window", _("Before the registration window")
    WINDOW = "window", _("Registration window")
    SOFT_TOKEN_ONLY = "soft_token_only", _("Soft token only")


@dataclass(frozen=True)
class MigrationSchedule:
    opens: dt.date
    closes: dt.date  # inclusive: registration runs to the end of this day
    soft_token_only_from: dt.date
    return_due: dt.date  # inclusive: Token Keys are due back by the end of this day

    def replace(self, **changes: dt.date | None) -> "MigrationSchedule":
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        values.update({name: value for name, value in changes.items() if value is not None})
        return MigrationSchedule(**values)


CIRCULAR_SCHEDULE = MigrationSchedule(
    opens=dt.date(2025, 2, 10),
    closes=dt.date(2025, 4, 11),
    soft_token_only_from=dt.date(2025, 4, 12),
    return_due=dt.date(2025, 5, 30),
)

FIELD_LABELS = {
    "opens": _("registration opens"),
    "closes": _("registration closes"),
    "soft_token_only_from": _("soft token only from"),
    "return_due": _("Token Key return due"),
}


def _aware(moment: dt.datetime) -> dt.datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("phase rules need an aware datetime, never a naive one")
    return moment


def phase_at(moment: dt.datetime, schedule: MigrationSchedule) -> Phase:
    moment = _aware(moment)
    if moment < bangkok_midnight(schedule.opens):
        return Phase.BEFORE_WINDOW
    if moment < bangkok_midnight(schedule.soft_token_only_from):
        return Phase.WINDOW
    return Phase.SOFT_TOKEN_ONLY


def registration_ends_at(schedule: MigrationSchedule) -> dt.datetime:
    """The first instant after the closing day (Asia/Bangkok)."""
    return bangkok_midnight(schedule.closes + dt.timedelta(days=1))


def is_registration_open(moment: dt.datetime, schedule: MigrationSchedule) -> bool:
    """Self-service registration: from the opening day to the end of the closing day."""
    moment = _aware(moment)
    return bangkok_midnight(schedule.opens) <= moment < registration_ends_at(schedule)


def days_until_close(moment: dt.datetime, schedule: MigrationSchedule) -> int:
    """Whole Bangkok days from today to the closing day (0 on the closing day itself)."""
    today = _aware(moment).astimezone(BANGKOK).date()
    return (schedule.closes - today).days


def schedule_problems(schedule: MigrationSchedule) -> dict[str, str]:
    """What is wrong with a schedule, by field; empty when it is valid. The dates in the
    messages are Buddhist era, as people read them (gfms_portal.thaidate)."""
    problems: dict[str, str] = {}
    for name in FIELD_LABELS:
        value = getattr(schedule, name)
        if not EARLIEST_DATE <= value <= LATEST_DATE:
            problems[name] = str(
                _("%(field)s %(date)s is outside %(first)s – %(last)s (a BE/CE year mix-up?)")
                % {
                    "field": FIELD_LABELS[name],
                    "date": format_be_date(value),
                    "first": format_be_date(EARLIEST_DATE),
                    "last": format_be_date(LATEST_DATE),
                }
            )
    if problems:
        return problems
    order = [
        ("closes", "opens", schedule.opens <= schedule.closes, ON_OR_AFTER),
        ("soft_token_only_from", "closes", schedule.closes < schedule.soft_token_only_from, AFTER),
        (
            "return_due",
            "soft_token_only_from",
            schedule.soft_token_only_from <= schedule.return_due,
            ON_OR_AFTER,
        ),
    ]
    for name, other, ok, relation in order:
        if not ok:
            problems[name] = str(
                relation
                % {
                    "field": FIELD_LABELS[name],
                    "date": format_be_date(getattr(schedule, name)),
                    "other": FIELD_LABELS[other],
                    "other_date": format_be_date(getattr(schedule, other)),
                }
            )
    return problems


ON_OR_AFTER = _("%(field)s (%(date)s) must be on or after %(other)s (%(other_date)s)")
AFTER = _("%(field)s (%(date)s) must be after %(other)s (%(other_date)s)")
