"""The phase rules of DESIGN.md as tables, at ±1 second around every boundary, in Bangkok
and UTC terms."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from schedule.policy import (
    CIRCULAR_SCHEDULE,
    MigrationSchedule,
    Phase,
    days_until_close,
    is_registration_open,
    phase_at,
    schedule_problems,
)

BKK = ZoneInfo("Asia/Bangkok")
UTC = dt.UTC
SECOND = dt.timedelta(seconds=1)


def bkk(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=BKK)


def utc(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        # registration opens 10 Feb 2025 00:00 Bangkok = 9 Feb 17:00 UTC
        (bkk("2025-02-09T23:59:59"), Phase.BEFORE_WINDOW),
        (bkk("2025-02-10T00:00:00"), Phase.WINDOW),
        (utc("2025-02-09T16:59:59"), Phase.BEFORE_WINDOW),
        (utc("2025-02-09T17:00:00"), Phase.WINDOW),
        # the closing day itself is still the window
        (bkk("2025-04-11T00:00:00"), Phase.WINDOW),
        (bkk("2025-04-11T23:59:59"), Phase.WINDOW),
        # soft token only from 12 Apr 2025 00:00 Bangkok = 11 Apr 17:00 UTC
        (bkk("2025-04-12T00:00:00"), Phase.SOFT_TOKEN_ONLY),
        (utc("2025-04-11T16:59:59"), Phase.WINDOW),
        (utc("2025-04-11T17:00:00"), Phase.SOFT_TOKEN_ONLY),
        (utc("2025-04-11T17:00:01"), Phase.SOFT_TOKEN_ONLY),
        # the return due date changes no login phase
        (bkk("2025-05-30T23:59:59"), Phase.SOFT_TOKEN_ONLY),
        (bkk("2025-05-31T00:00:00"), Phase.SOFT_TOKEN_ONLY),
        (bkk("2030-01-01T00:00:00"), Phase.SOFT_TOKEN_ONLY),
        (bkk("2020-01-01T00:00:00"), Phase.BEFORE_WINDOW),
    ],
)
def test_phase_at_boundaries(moment: dt.datetime, expected: Phase) -> None:
    assert phase_at(moment, CIRCULAR_SCHEDULE) == expected


@pytest.mark.parametrize(
    ("boundary", "before", "after"),
    [
        (bkk("2025-02-10T00:00:00"), Phase.BEFORE_WINDOW, Phase.WINDOW),
        (bkk("2025-04-12T00:00:00"), Phase.WINDOW, Phase.SOFT_TOKEN_ONLY),
    ],
)
def test_phase_changes_exactly_at_bangkok_midnight(
    boundary: dt.datetime, before: Phase, after: Phase
) -> None:
    assert phase_at(boundary - SECOND, CIRCULAR_SCHEDULE) == before
    assert phase_at(boundary, CIRCULAR_SCHEDULE) == after
    assert phase_at(boundary + SECOND, CIRCULAR_SCHEDULE) == after
    # The same instants written in UTC give the same answers.
    assert phase_at((boundary - SECOND).astimezone(UTC), CIRCULAR_SCHEDULE) == before
    assert phase_at(boundary.astimezone(UTC), CIRCULAR_SCHEDULE) == after


@pytest.mark.parametrize(
    ("moment", "open_"),
    [
        (bkk("2025-02-09T23:59:59"), False),
        (bkk("2025-02-10T00:00:00"), True),
        (bkk("2025-04-11T23:59:59"), True),  # the closing day is inclusive
        (bkk("2025-04-12T00:00:00"), False),
        (utc("2025-04-11T16:59:59"), True),
        (utc("2025-04-11T17:00:00"), False),
    ],
)
def test_registration_open_until_end_of_closing_day(moment: dt.datetime, open_: bool) -> None:
    assert is_registration_open(moment, CIRCULAR_SCHEDULE) is open_


def test_registration_can_close_before_soft_token_only_day() -> None:
    # An extended window with an earlier closing day: registration closed, legacy logins still on.
    schedule = CIRCULAR_SCHEDULE.replace(closes=dt.date(2025, 4, 4))
    moment = bkk("2025-04-08T10:00:00")
    assert phase_at(moment, schedule) == Phase.WINDOW
    assert not is_registration_open(moment, schedule)


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        phase_at(dt.datetime(2025, 4, 12), CIRCULAR_SCHEDULE)  # noqa: DTZ001


def test_days_until_close_counts_bangkok_days() -> None:
    # 10 Apr 2025 18:00 UTC is already 11 Apr in Bangkok: the closing day, 0 days left.
    assert days_until_close(utc("2025-04-10T18:00:00"), CIRCULAR_SCHEDULE) == 0
    assert days_until_close(utc("2025-04-10T16:00:00"), CIRCULAR_SCHEDULE) == 1


def test_circular_schedule_is_valid() -> None:
    assert schedule_problems(CIRCULAR_SCHEDULE) == {}


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"closes": dt.date(2025, 2, 9)}, "closes"),
        ({"soft_token_only_from": dt.date(2025, 4, 11)}, "soft_token_only_from"),
        ({"return_due": dt.date(2025, 4, 11)}, "return_due"),
        ({"opens": dt.date(2568, 2, 10)}, "opens"),  # a BE year stored as CE
        ({"return_due": dt.date(1982, 5, 30)}, "return_due"),  # a CE year minus 543 twice
    ],
)
def test_schedule_problems_name_the_field(changes: dict[str, dt.date], field: str) -> None:
    problems = schedule_problems(CIRCULAR_SCHEDULE.replace(**changes))
    assert list(problems) == [field]


def test_same_day_opening_and_closing_is_allowed() -> None:
    one_day = MigrationSchedule(
        opens=dt.date(2025, 2, 10),
        closes=dt.date(2025, 2, 10),
        soft_token_only_from=dt.date(2025, 2, 11),
        return_due=dt.date(2025, 2, 11),
    )
    assert schedule_problems(one_day) == {}
