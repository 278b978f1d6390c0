"""Each one-time thing is used once, however many requests race for it (real concurrent
transactions on PostgreSQL; skipped on SQLite, which serialises writers)."""

from collections import Counter

import pytest
from django.db import connection
from django.test import Client

from agencies.models import Officer
from audit.models import AuditEvent
from passwords import services
from passwords.models import ResetCode, ResetLink
from tests.conftest import first_group
from tests.passwords.conftest import AT, NEW_PASSWORD, emails
from tests.races import at_once
from tokens.possession import new_recovery_codes

pytestmark = pytest.mark.django_db(transaction=True)
PARALLEL = 8


@pytest.fixture(autouse=True)
def postgres_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("concurrency is tested on PostgreSQL (CI sets DATABASE_URL)")


def sent_body(mailoutbox) -> str:
    """Committed for real here, the outbox has sent the newest e-mail (and emptied its row)."""
    assert mailoutbox
    return mailoutbox[-1].body


def emailed_code(mailoutbox) -> str:
    return first_group(r"(\d{6})", sent_body(mailoutbox))


def test_one_email_code_confirms_one_reset(registered: Officer, mailoutbox) -> None:
    """Racing requests with the right e-mail code and each a valid recovery code: one reset
    is confirmed, the others are refused (and leave the account as it was)."""
    services.request_reset_code("charlie", at=AT)
    code = emailed_code(mailoutbox)
    recovery = new_recovery_codes(registered, at=AT)[:PARALLEL]

    def confirm(index: int) -> str:
        try:
            services.confirm_reset_codes(
                "charlie", email_code=code, token_code=recovery[index], at=AT
            )
        except services.PasswordError as error:
            return error.code
        return "confirmed"

    outcomes = Counter(at_once(PARALLEL, confirm, at=AT))
    assert outcomes["confirmed"] == 1, outcomes
    assert ResetCode.objects.filter(verified_at__isnull=False).count() == 1
    assert AuditEvent.objects.filter(action="password.reset_codes_confirmed").count() == 1


def test_one_confirmed_reset_sets_one_password(registered: Officer, mailoutbox) -> None:
    services.request_reset_code("charlie", at=AT)
    (recovery, *_rest) = new_recovery_codes(registered, at=AT)
    reset_id = services.confirm_reset_codes(
        "charlie", email_code=emailed_code(mailoutbox), token_code=recovery, at=AT
    )
    passwords = [f"{NEW_PASSWORD} {index}" for index in range(PARALLEL)]

    def finish(index: int) -> str:
        try:
            services.finish_reset(reset_id, new=passwords[index], at=AT)
        except services.PasswordError as error:
            return error.code
        return passwords[index]

    outcomes = at_once(PARALLEL, finish, at=AT)
    won = [outcome for outcome in outcomes if outcome != "reset_expired"]
    assert len(won) == 1, outcomes
    registered.refresh_from_db()
    assert registered.check_password(won[0])
    assert AuditEvent.objects.filter(action="password.reset").count() == 1
    assert len(emails("password_changed")) == 1


def test_one_link_sets_one_password(bob: Officer, charlie: Officer, mailoutbox) -> None:
    from tests.conftest import force_sign_in

    force_sign_in(Client(), bob).post("/manage/officers/charlie/password-reset")
    body = sent_body(mailoutbox)
    token = body.split("/login/password/link/open/?t=", 1)[1].split()[0]
    link = services.find_reset_link(token, at=AT)
    assert link is not None
    link_id = link.pk
    passwords = [f"{NEW_PASSWORD} {index}" for index in range(PARALLEL)]

    def finish(index: int) -> str:
        try:
            services.finish_link_reset(link_id, new=passwords[index], at=AT)
        except services.PasswordError as error:
            return error.code
        return passwords[index]

    outcomes = at_once(PARALLEL, finish, at=AT)
    won = [outcome for outcome in outcomes if outcome != "link_refused"]
    assert len(won) == 1, outcomes
    charlie.refresh_from_db()
    assert charlie.check_password(won[0])
    assert ResetLink.objects.get().used_at is not None
    assert AuditEvent.objects.filter(action="password.reset").count() == 1


def test_racing_requests_send_one_code(registered: Officer) -> None:
    at_once(PARALLEL, lambda index: services.request_reset_code("charlie", at=AT), at=AT)
    assert len(emails("password_reset_code")) == 1
    assert ResetCode.objects.count() == 1
