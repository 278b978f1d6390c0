"""Every service asks agencies.permissions itself: a caller that is not a view (a command, a
task, a future API) cannot act outside the rules. Nothing changes when it is refused."""

import datetime as dt

import pytest

from agencies.lockout import unlock_officer
from agencies.models import Officer
from agencies.permissions import NotYours, OutOfSight, StepUpRequired
from audit.models import AuditEvent
from registration.models import RegistrationCode
from registration.reminders import remind_now
from registration.services import Delivery, issue_late_registration_code, reset_soft_token
from schedule.models import Schedule
from schedule.services import change_schedule
from tests.factories import SoftTokenFactory, TokenKeyFactory
from tokens.custody import CustodyError, hand_over
from tokens.models import TokenKeyState

pytestmark = pytest.mark.django_db
AT = dt.datetime(2025, 3, 3, 3, 0, tzinfo=dt.UTC)
FRESH = AT - dt.timedelta(minutes=1)


def _reset(actor: Officer, officer: Officer, stepped_up_at: dt.datetime | None = FRESH) -> str:
    return reset_soft_token(
        officer,
        actor=actor,
        reason="lost phone",
        delivery=Delivery.IN_PERSON,
        at=AT,
        stepped_up_at=stepped_up_at,
    )


def test_auditor_reset_is_refused_in_the_service_with_nothing_changed(
    erin: Officer, charlie: Officer
) -> None:
    token = SoftTokenFactory.create(officer=charlie)
    with pytest.raises(NotYours):
        _reset(erin, charlie)
    token.refresh_from_db()
    assert token.status == "active"
    assert not RegistrationCode.objects.exists()
    assert not AuditEvent.objects.filter(action="soft_token.reset").exists()


def test_agency_admin_reset_outside_its_subtree_answers_not_found(
    bob: Officer, dave: Officer
) -> None:
    SoftTokenFactory.create(officer=dave)
    with pytest.raises(OutOfSight):
        _reset(bob, dave)


def test_agency_admin_reset_in_its_subtree_needs_a_fresh_code(
    bob: Officer, charlie: Officer
) -> None:
    SoftTokenFactory.create(officer=charlie)
    with pytest.raises(StepUpRequired):
        _reset(bob, charlie, stepped_up_at=None)
    assert _reset(bob, charlie)  # with a fresh code: done, the code to hand over returned


def test_nobody_resets_their_own_token(alice: Officer) -> None:
    with pytest.raises(NotYours):
        _reset(alice, alice)


def test_late_code_for_another_administrator_is_refused_to_an_agency_admin(
    bob: Officer, cgd_tree
) -> None:
    from agencies.policy import Role
    from tests.conftest import privileged

    colleague = privileged(role=Role.AGENCY_ADMIN, admin_scope=cgd_tree["cgd"])
    colleague.unit = cgd_tree["cgd_unit"]
    colleague.save()
    with pytest.raises(NotYours):
        issue_late_registration_code(
            colleague, actor=bob, days=7, delivery=Delivery.IN_PERSON, at=AT, stepped_up_at=FRESH
        )


def test_unlock_outside_scope_answers_not_found_and_keeps_the_lock(
    bob: Officer, dave: Officer
) -> None:
    Officer.objects.filter(pk=dave.pk).update(failed_logins=10, locked_until=AT)
    with pytest.raises(OutOfSight):
        unlock_officer(dave, actor=bob, at=AT, stepped_up_at=FRESH)
    dave.refresh_from_db()
    assert dave.failed_logins == 10


def test_auditor_cannot_change_the_schedule_even_with_a_fresh_code(erin: Officer) -> None:
    before = Schedule.load().dates
    with pytest.raises(NotYours):
        change_schedule(at=AT, actor=erin, stepped_up_at=FRESH, closes=before.closes)
    assert Schedule.load().dates == before


def test_auditor_cannot_send_reminders(erin: Officer, charlie: Officer) -> None:
    with pytest.raises(NotYours):
        remind_now(erin, None, at=AT)
    assert not AuditEvent.objects.filter(action="registration.reminders_sent").exists()


def test_auditor_hand_over_is_refused_by_custody(erin: Officer, charlie: Officer) -> None:
    device = TokenKeyFactory.create(officer=charlie, updated_at=AT)
    with pytest.raises(CustodyError):
        hand_over(device.serial, actor=erin, at=AT)
    device.refresh_from_db()
    assert device.state == TokenKeyState.IN_USE


def test_admin_unlock_action_is_all_or_nothing_and_names_the_refused(
    client, alice: Officer, charlie: Officer, dave: Officer
) -> None:
    from tests.conftest import force_sign_in

    locked = {"failed_logins": 10, "locked_until": AT + dt.timedelta(days=1)}
    Officer.objects.filter(pk__in=[alice.pk, charlie.pk, dave.pk]).update(**locked)
    force_sign_in(client, alice)
    url = "/admin/agencies/officer/"
    selected = [charlie.pk, dave.pk, alice.pk]  # her own account among them
    response = client.post(url, {"action": "unlock", "_selected_action": selected}, follow=True)
    assert response.status_code == 200
    assert "alice" in " ".join(str(m) for m in response.context["messages"])
    assert set(Officer.objects.filter(failed_logins=10).values_list("username", flat=True)) == {
        "alice",
        "charlie",
        "dave",
    }
    assert not AuditEvent.objects.filter(action="officer.unlocked").exists()

    client.post(url, {"action": "unlock", "_selected_action": [charlie.pk, dave.pk]})
    assert set(Officer.objects.filter(failed_logins=0).values_list("username", flat=True)) >= {
        "charlie",
        "dave",
    }
    assert AuditEvent.objects.filter(action="officer.unlocked").count() == 2
