"""Races on PostgreSQL: many clicks on "remind" and beat runs at the same instant still write
one reminder e-mail per officer. (SQLite serialises writers and would hide the bug.)"""

import datetime as dt
import threading

import pytest
from django.db import connection, connections

from gfms_portal.clock import BANGKOK
from outbox.models import OutboxMessage
from registration.models import RegistrationReminder
from registration.reminders import deliver_reminders, remind_now, send_registration_reminders
from tests.factories import OfficerFactory

pytestmark = pytest.mark.django_db(transaction=True)
PARALLEL = 8
AT = dt.datetime(2025, 3, 28, 9, 0, tzinfo=BANGKOK)  # 14 days before the closing day


@pytest.fixture(autouse=True)
def postgres_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("concurrency is tested on PostgreSQL (CI sets DATABASE_URL)")


def test_parallel_clicks_and_beat_runs_send_each_officer_one_email(cgd_tree, bob) -> None:
    officers = [OfficerFactory.create(unit=cgd_tree["cgd_unit"]) for _ in range(30)]
    barrier = threading.Barrier(PARALLEL)
    errors: list[BaseException] = []

    def worker(index: int) -> None:
        try:
            barrier.wait(timeout=30)
            if index % 2:
                remind_now(bob, "03004", at=AT + dt.timedelta(microseconds=index))
            else:
                send_registration_reminders(at=AT + dt.timedelta(microseconds=index))
            deliver_reminders(at=AT)
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(PARALLEL)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    deliver_reminders(at=AT)
    per_officer = [
        OutboxMessage.objects.filter(officer=officer, kind="registration_reminder").count()
        for officer in officers
    ]
    assert per_officer == [1] * len(officers)
    assert not RegistrationReminder.objects.filter(delivered_at__isnull=True).exists()
