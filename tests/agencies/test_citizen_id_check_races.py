"""Races on PostgreSQL: many citizen-ID checks by one desk account at the same instant still
compare at most CHECKS_PER_HOUR numbers, and a desk's resends of the e-mail code at once send
one code. (SQLite serialises writers and would hide the bug.)"""

import datetime as dt

import pytest
from django.db import connection

from agencies.citizen_id_check import ACTION, CHECKS_PER_HOUR, check_citizen_id
from agencies.models import Officer
from agencies.policy import Role
from audit.models import AuditEvent
from gfms_portal.errors import Refused
from outbox.models import OutboxMessage
from registration.services import check_identity, resend_email_code
from tests.conftest import privileged
from tests.factories import OfficerFactory, valid_citizen_id
from tests.races import at_once

pytestmark = pytest.mark.django_db(transaction=True)
AT = dt.datetime(2025, 3, 3, 3, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def postgres_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("concurrency is tested on PostgreSQL (CI sets DATABASE_URL)")


def _try(action) -> str:
    try:
        return str(action())
    except Refused as refused:
        return refused.code


def test_parallel_checks_by_one_desk_stop_at_the_hours_limit(cgd_tree) -> None:
    frank = privileged(username="frank", role=Role.HELPDESK, admin_scope=cgd_tree["cgd"])
    charlie = OfficerFactory.create(unit=cgd_tree["cgd_unit"])
    wrong = valid_citizen_id(1)
    parallel = CHECKS_PER_HOUR + 12

    def check(index: int) -> str:
        officer = Officer.objects.get(pk=charlie.pk)
        actor = Officer.objects.get(pk=frank.pk)
        return _try(lambda: check_citizen_id(officer, wrong, actor=actor, at=AT))

    answers = at_once(parallel, check, at=AT)
    assert answers.count("False") == CHECKS_PER_HOUR
    assert answers.count("too_many_checks") == parallel - CHECKS_PER_HOUR
    assert AuditEvent.objects.filter(action=ACTION).count() == CHECKS_PER_HOUR


def test_parallel_resends_send_one_code(cgd_tree) -> None:
    frank = privileged(username="frank", role=Role.HELPDESK, admin_scope=cgd_tree["cgd"])
    charlie = OfficerFactory.create(unit=cgd_tree["cgd_unit"], citizen_id=valid_citizen_id(5))
    check_identity(charlie, valid_citizen_id(5), at=AT)
    later = AT + dt.timedelta(minutes=3)

    def resend(index: int) -> str:
        officer = Officer.objects.get(pk=charlie.pk)
        actor = Officer.objects.get(pk=frank.pk)
        return _try(lambda: resend_email_code(officer, actor=actor, at=later).pk)

    answers = at_once(8, resend, at=later)
    assert answers.count("resend_too_soon") == 7
    assert OutboxMessage.objects.filter(officer=charlie, kind="identity_code").count() == 2
