"""One-time displays (Reveal) not opened within their lifetime are purged by a beat task."""

import datetime as dt
import uuid

import pytest
import time_machine
from django.conf import settings
from django.utils.module_loading import import_string

from agencies.models import Officer
from registration.models import Reveal
from registration.services import REVEAL_LIFETIME, open_once, seal_once
from registration.tasks import discard_expired_reveals

pytestmark = pytest.mark.django_db
SEALED_AT = dt.datetime(2025, 3, 20, 3, 0, tzinfo=dt.UTC)


def test_expired_reveals_are_purged_and_live_ones_kept(charlie: Officer) -> None:
    first = seal_once(charlie, "recovery_codes", "first", at=SEALED_AT)
    later = seal_once(charlie, "issued_code", "later", at=SEALED_AT + dt.timedelta(minutes=5))
    with time_machine.travel(SEALED_AT + REVEAL_LIFETIME - dt.timedelta(seconds=1), tick=False):
        assert discard_expired_reveals() == 0
    with time_machine.travel(SEALED_AT + REVEAL_LIFETIME, tick=False):
        # The first can no longer be shown (open_once refuses it): it goes; the later stays.
        assert open_once(charlie, first, "recovery_codes", at=SEALED_AT + REVEAL_LIFETIME) is None
        assert discard_expired_reveals() == 1
        assert list(Reveal.objects.values_list("pk", flat=True)) == [uuid.UUID(later)]
        assert open_once(charlie, later, "issued_code", at=SEALED_AT + REVEAL_LIFETIME) == "later"
    seal_once(charlie, "recovery_codes", "never opened", at=SEALED_AT)
    with time_machine.travel(SEALED_AT + dt.timedelta(days=1), tick=False):
        assert discard_expired_reveals() == 1
    assert not Reveal.objects.exists()


def test_beat_runs_the_purge_and_every_scheduled_task_exists() -> None:
    schedule = settings.CELERY_BEAT_SCHEDULE
    purge = schedule["discard-expired-reveals"]
    assert purge["task"] == "registration.tasks.discard_expired_reveals"
    assert isinstance(purge["schedule"], float)  # seconds
    assert purge["schedule"] <= REVEAL_LIFETIME.total_seconds()
    for entry in schedule.values():
        task = entry["task"]
        assert isinstance(task, str)
        assert import_string(task).name == task
