"""The gateway's per-process copies: a schedule change or a revoked key made elsewhere applies
within 5 seconds; made in this process, at once. Time is moved with time_machine."""

import datetime as dt
from collections.abc import Callable

import pytest
import time_machine

from auth_gateway.clients import CLIENT_CACHE_SECONDS
from auth_gateway.models import ServiceClient
from auth_gateway.services import revoke_service_client
from gfms_portal.clock import bangkok_midnight
from schedule.models import Schedule
from schedule.policy import CIRCULAR_SCHEDULE
from schedule.services import SCHEDULE_CACHE_SECONDS, change_schedule, current_schedule

pytestmark = pytest.mark.django_db
AT = dt.datetime(2025, 3, 3, 3, 0, tzinfo=dt.UTC)
EARLIER_CLOSE = CIRCULAR_SCHEDULE.closes - dt.timedelta(days=3)


def _changed_by_another_process() -> None:
    """What another worker's change looks like from here: the row changes, our copy does not
    hear of it."""
    Schedule.load()
    Schedule.objects.update(closes=bangkok_midnight(EARLIER_CLOSE))


def test_a_schedule_changed_elsewhere_applies_within_the_cache_time() -> None:
    assert SCHEDULE_CACHE_SECONDS == 5
    assert current_schedule(at=AT).closes == CIRCULAR_SCHEDULE.closes
    _changed_by_another_process()
    almost = AT + dt.timedelta(seconds=SCHEDULE_CACHE_SECONDS) - dt.timedelta(milliseconds=1)
    assert current_schedule(at=almost).closes == CIRCULAR_SCHEDULE.closes  # the copy
    after = AT + dt.timedelta(seconds=SCHEDULE_CACHE_SECONDS)
    assert current_schedule(at=after).closes == EARLIER_CLOSE


def test_a_clock_set_back_rereads_the_schedule() -> None:
    current_schedule(at=AT)
    _changed_by_another_process()
    assert current_schedule(at=AT - dt.timedelta(seconds=1)).closes == EARLIER_CLOSE


def test_a_schedule_changed_in_this_process_applies_at_once(
    django_capture_on_commit_callbacks,
) -> None:
    assert current_schedule(at=AT).closes == CIRCULAR_SCHEDULE.closes
    with django_capture_on_commit_callbacks(execute=True):
        change_schedule(at=AT, actor_label="test", closes=EARLIER_CLOSE)
    assert current_schedule(at=AT).closes == EARLIER_CLOSE


def _status(api: Callable[..., object]) -> int:
    response = api("/api/v1/auth/methods", {"username": "nobody"}, method="get")
    return response.status_code  # type: ignore[attr-defined]  # Django's test response


def test_a_key_revoked_elsewhere_stops_working_within_the_cache_time(api) -> None:
    assert CLIENT_CACHE_SECONDS == 5
    with time_machine.travel(AT, tick=False) as clock:
        assert _status(api) == 200
        ServiceClient.objects.update(revoked_at=AT)  # by another process
        clock.shift(dt.timedelta(seconds=CLIENT_CACHE_SECONDS) - dt.timedelta(milliseconds=1))
        assert _status(api) == 200  # the copy, for at most five seconds
        clock.shift(dt.timedelta(milliseconds=1))
        assert _status(api) == 401


def test_a_key_revoked_in_this_process_stops_at_once(
    api,
    django_capture_on_commit_callbacks,
) -> None:
    with time_machine.travel(AT, tick=False):
        assert _status(api) == 200
        name = ServiceClient.objects.get().name
        with django_capture_on_commit_callbacks(execute=True):
            revoke_service_client(name, at=AT, actor_label="test")
        assert _status(api) == 401


def test_an_unknown_key_is_not_remembered(api, service_key: str) -> None:
    from auth_gateway import clients

    with time_machine.travel(AT, tick=False):
        assert _status(lambda *a, **k: api(*a, HTTP_AUTHORIZATION="Bearer nope", **k)) == 401
        assert _status(api) == 200
    assert len(clients._clients) == 1
