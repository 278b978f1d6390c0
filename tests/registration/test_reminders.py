"""Reminders to register: the right days, never twice, none after registering; on demand for a
node in scope; the weekly digest to agency administrators."""

import datetime as dt

import pytest
import time_machine
from django.core.management import call_command
from django.http import Http404

from agencies.models import Officer
from gfms_portal.clock import BANGKOK, bangkok_date
from outbox.models import OutboxMessage
from registration.models import RegistrationReminder
from registration.reminders import (
    claim_scheduled_reminders,
    deliver_reminders,
    remind_now,
    send_registration_reminders,
)
from tests.factories import OfficerFactory, SoftTokenFactory

pytestmark = pytest.mark.django_db
OPENS, CLOSES = dt.date(2025, 2, 10), dt.date(2025, 4, 11)  # the circular's dates


def morning(day: dt.date, hour: int = 9) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, tzinfo=BANGKOK)


def reminder_days(officer: Officer) -> list[int]:
    """Days before the closing day on which the officer was e-mailed a reminder."""
    sent = OutboxMessage.objects.filter(officer=officer, kind="registration_reminder")
    return sorted(((CLOSES - bangkok_date(m.created_at)).days for m in sent), reverse=True)


def test_cadence_right_days_never_twice_none_after_registering(cgd_tree) -> None:
    never = OfficerFactory.create(username="never", unit=cgd_tree["cgd_unit"])
    late = OfficerFactory.create(username="late", unit=cgd_tree["disease_unit"])
    early = OfficerFactory.create(username="early", unit=cgd_tree["cgd_unit"])
    SoftTokenFactory.create(officer=early, confirmed_at=morning(OPENS))
    day = OPENS - dt.timedelta(days=40)  # also before the window: nothing then
    while day <= CLOSES + dt.timedelta(days=5):
        for hour in (1, 9, 23):  # the beat runs several times a day
            with time_machine.travel(morning(day, hour), tick=False):
                send_registration_reminders(at=morning(day, hour))
        if day == CLOSES - dt.timedelta(days=5):  # registers between the 7- and 3-day reminders
            SoftTokenFactory.create(officer=late, confirmed_at=morning(day))
        day += dt.timedelta(days=1)
    assert reminder_days(never) == [30, 14, 7, 3, 1]
    assert reminder_days(late) == [30, 14, 7]
    assert reminder_days(early) == []
    message = OutboxMessage.objects.filter(officer=never).order_by("created_at").last()
    assert message is not None
    assert message.to == never.email and "1 วัน" in message.subject


def test_an_officer_who_registers_after_the_claim_is_skipped(cgd_tree) -> None:
    officer = OfficerFactory.create(unit=cgd_tree["cgd_unit"])
    at = morning(CLOSES - dt.timedelta(days=14))
    with time_machine.travel(at, tick=False):
        assert claim_scheduled_reminders(at=at) == 1
        SoftTokenFactory.create(officer=officer)
        assert deliver_reminders(at=at) == 0
    row = RegistrationReminder.objects.get(recipient=officer)
    assert row.skipped and row.delivered_at == at
    assert not OutboxMessage.objects.filter(officer=officer).exists()


def test_a_moved_closing_day_starts_a_fresh_series(cgd_tree, alice) -> None:
    from schedule.services import change_schedule

    officer = OfficerFactory.create(unit=cgd_tree["cgd_unit"])
    first = morning(CLOSES - dt.timedelta(days=14))
    with time_machine.travel(first, tick=False):
        send_registration_reminders(at=first)
        change_schedule(
            at=first,
            actor=alice,
            stepped_up_at=first,
            closes=CLOSES + dt.timedelta(days=7),
            soft_token_only_from=CLOSES + dt.timedelta(days=8),
        )
        send_registration_reminders(at=first)  # same day: not a second reminder today
    assert reminder_days(officer) == [14]
    second = morning(CLOSES)  # now 7 days before the new closing day
    with time_machine.travel(second, tick=False):
        send_registration_reminders(at=second)
    assert OutboxMessage.objects.filter(officer=officer, kind="registration_reminder").count() == 2


def test_on_demand_reminds_the_node_once_a_day(
    cgd_tree, bob, dave, django_capture_on_commit_callbacks
) -> None:
    waiting = [OfficerFactory.create(unit=cgd_tree["cgd_unit"]) for _ in range(3)]
    regional = OfficerFactory.create(unit=cgd_tree["cgd_regional"])
    SoftTokenFactory.create(officer=OfficerFactory.create(unit=cgd_tree["cgd_unit"]))  # registered
    at = morning(dt.date(2025, 3, 20))
    with time_machine.travel(at, tick=False), django_capture_on_commit_callbacks(execute=True):
        result = remind_now(bob, "0300400001", at=at)
        assert (result.unregistered, result.claimed, result.already_today) == (3, 3, 0)
        again = remind_now(bob, "0300400001", at=at + dt.timedelta(seconds=1))  # double click
        assert (again.unregistered, again.claimed, again.already_today) == (3, 0, 3)
        whole = remind_now(bob, None, at=at + dt.timedelta(minutes=5))  # bob's whole scope
        assert (whole.unregistered, whole.claimed) == (4, 1)
        with pytest.raises(Http404):
            remind_now(bob, "2100400001", at=at)  # another agency's unit
    reminded = set(
        OutboxMessage.objects.filter(kind="registration_reminder").values_list("officer", flat=True)
    )
    assert reminded == {officer.pk for officer in [*waiting, regional]}
    assert dave.pk not in reminded
    tomorrow = at + dt.timedelta(days=1)
    with time_machine.travel(tomorrow, tick=False):
        assert remind_now(bob, "0300400001", at=tomorrow).claimed == 3
    from audit.models import AuditEvent

    events = AuditEvent.objects.filter(action="registration.reminders_sent", actor=bob)
    assert [e.data["queued"] for e in events.order_by("at")] == [3, 0, 1, 3]


def test_the_scheduled_reminder_and_an_on_demand_one_make_one_email_a_day(cgd_tree, bob) -> None:
    officer = OfficerFactory.create(unit=cgd_tree["cgd_unit"])
    at = morning(CLOSES - dt.timedelta(days=7))
    with time_machine.travel(at, tick=False):
        remind_now(bob, None, at=at)
        send_registration_reminders(at=at + dt.timedelta(hours=1))
    assert OutboxMessage.objects.filter(officer=officer).count() == 1


def test_weekly_digest_to_agency_administrators(cgd_tree, bob, dave) -> None:
    charlie = OfficerFactory.create(username="charlie", unit=cgd_tree["cgd_unit"])
    done = OfficerFactory.create(username="done", unit=cgd_tree["cgd_unit"])
    SoftTokenFactory.create(officer=done)
    day = OPENS - dt.timedelta(days=14)
    while day <= CLOSES + dt.timedelta(days=14):
        for hour in (1, 9):
            with time_machine.travel(morning(day, hour), tick=False):
                send_registration_reminders(at=morning(day, hour))
        day += dt.timedelta(days=1)
    digests = OutboxMessage.objects.filter(kind="registration_digest", officer=bob)
    days = [bangkok_date(m.created_at) for m in digests.order_by("created_at")]
    assert days and all(d.weekday() == 0 and OPENS <= d <= CLOSES for d in days)
    assert len(days) == len(set(days)) == 9  # every Monday of the window, once
    first_digest = digests.first()
    assert first_digest is not None
    body = first_digest.body_text
    assert "charlie" in body and "done" not in body and "dave" not in body
    assert charlie.pk  # named in the digest above


def test_no_digest_when_everyone_is_registered(cgd_tree, bob) -> None:
    SoftTokenFactory.create(officer=OfficerFactory.create(unit=cgd_tree["cgd_unit"]))
    monday = morning(dt.date(2025, 3, 17))
    with time_machine.travel(monday, tick=False):
        assert send_registration_reminders(at=monday)[1] == 0
    assert not OutboxMessage.objects.filter(kind="registration_digest").exists()


def test_command_does_what_the_beat_does(cgd_tree, capsys) -> None:
    OfficerFactory.create(unit=cgd_tree["cgd_unit"])
    at = morning(CLOSES - dt.timedelta(days=3))
    with time_machine.travel(at, tick=False):
        call_command("send_registration_reminders")
        call_command("send_registration_reminders")
    assert OutboxMessage.objects.filter(kind="registration_reminder").count() == 1
    assert "1 reminder(s)" in capsys.readouterr().out


def test_no_digest_to_an_administrator_deactivated_after_the_claim(cgd_tree, bob) -> None:
    from registration.reminders import claim_weekly_digests

    OfficerFactory.create(unit=cgd_tree["cgd_unit"])
    monday = morning(dt.date(2025, 3, 17))
    with time_machine.travel(monday, tick=False):
        assert claim_weekly_digests(at=monday) == 1
        Officer.objects.filter(pk=bob.pk).update(is_active=False)
        assert deliver_reminders(at=monday) == 0
    assert RegistrationReminder.objects.get(recipient=bob).skipped
    assert not OutboxMessage.objects.filter(kind="registration_digest").exists()
