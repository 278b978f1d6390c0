"""Attempt limits under concurrency, on PostgreSQL: N wrong guesses at the same instant are
evaluated at most up to the limit, whatever the number of workers — the gateway's password
check, the portal's sign-in, the e-mail code and the citizen ID."""

from collections.abc import Callable
from typing import TypeVar

import pytest
import time_machine
from django.db import connection
from django.test import Client

from agencies.models import Officer
from audit.models import AuditEvent
from auth_gateway.models import LoginDecision
from gfms_portal.errors import Refused
from registration.models import IdentityCheck
from registration.services import (
    EMAIL_CODE_TRIES,
    IDENTITY_FAILURES_ALLOWED,
    check_identity,
    verify_email_code,
)
from tests import races
from tests.auth_gateway.conftest import IN_WINDOW
from tests.factories import valid_citizen_id

pytestmark = pytest.mark.django_db(transaction=True)
PARALLEL = 32
T = TypeVar("T")


@pytest.fixture(autouse=True)
def postgres_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("concurrency is tested on PostgreSQL (CI sets DATABASE_URL)")


def at_once(action: Callable[[int], T]) -> list[T]:
    return races.at_once(PARALLEL, action, at=IN_WINDOW)


def checks_at_once(service_key: str, body: dict[str, str]) -> set[tuple[int, str]]:
    """PARALLEL identical gateway checks at once: the (status, reason) pairs answered."""

    def post(_index: int) -> tuple[int, str]:
        response = Client().post(
            "/api/v1/auth/check",
            body,
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {service_key}",
        )
        return response.status_code, response.json()["reason"]

    return set(at_once(post))


def test_wrong_passwords_at_the_gateway_stop_at_the_lock(service_key: str, registered) -> None:
    wrong = {"username": "charlie", "password": "wrong", "method": "soft_token", "otp": "000000"}
    # Every answer is a refusal like a wrong password — never a 503, whatever the queue.
    assert checks_at_once(service_key, wrong) == {(200, "invalid_credentials")}
    officer = Officer.objects.get(pk=registered.pk)
    reasons = list(LoginDecision.objects.values_list("reason", flat=True))
    decided = reasons.count("invalid_credentials")
    # At most 10 decided: the 11th and later saw the lock (or gave up waiting for the row).
    assert decided == officer.failed_logins <= 10
    assert reasons.count("locked") + reasons.count("account_busy") == PARALLEL - decided
    if decided == 10:
        assert officer.locked_until is not None


def test_wrong_passwords_at_the_portal_sign_in_stop_at_the_lock(charlie) -> None:
    def post(_index: int) -> int:
        return Client().post("/login/", {"username": "charlie", "password": "wrong"}).status_code

    assert set(at_once(post)) == {200}
    failures = Officer.objects.get(pk=charlie.pk).failed_logins
    assert failures <= 10
    refused = [e.data["reason"] for e in AuditEvent.objects.filter(action="portal.sign_in_refused")]
    assert refused.count("invalid_credentials") == failures
    assert refused.count("locked") + refused.count("account_busy") == PARALLEL - failures


def test_a_burst_for_one_account_answers_like_a_burst_for_nobody(
    service_key: str, registered
) -> None:
    """Status and reason cannot tell a real account from an unknown one under a burst (the
    row lock is waited for at most DB_LOCK_TIMEOUT_MS; a longer queue is refused, not 503)."""

    def burst(username: str) -> set[tuple[int, str]]:
        body = {"username": username, "password": "wrong", "method": "password"}
        return checks_at_once(service_key, body)

    assert burst("charlie") == burst("nobody") == {(200, "invalid_credentials")}


def test_wrong_email_codes_stop_at_the_tries(charlie) -> None:
    with time_machine.travel(IN_WINDOW, tick=False):
        check = check_identity(charlie, charlie_citizen_id(charlie), at=IN_WINDOW)

    def guess(index: int) -> str:
        try:
            verify_email_code(IdentityCheck.objects.get(pk=check.pk), f"{index:06d}", at=IN_WINDOW)
        except Refused as error:
            return error.code
        return "verified"

    outcomes = at_once(guess)
    check.refresh_from_db()
    assert check.email_code_attempts == EMAIL_CODE_TRIES  # never more compared
    assert outcomes.count("email_code_expired") >= PARALLEL - EMAIL_CODE_TRIES - 1


def test_wrong_citizen_ids_stop_at_the_daily_limit(charlie) -> None:
    def guess(index: int) -> str:
        try:
            check_identity(
                Officer.objects.get(pk=charlie.pk), valid_citizen_id(index), at=IN_WINDOW
            )
        except Refused as error:
            return error.code
        return "matched"

    outcomes = at_once(guess)
    compared = AuditEvent.objects.filter(action="registration.identity_failed").count()
    assert compared == IDENTITY_FAILURES_ALLOWED
    assert outcomes.count("identity_blocked") == PARALLEL - IDENTITY_FAILURES_ALLOWED


def charlie_citizen_id(officer: Officer) -> str:
    return officer.citizen_id


def test_right_citizen_ids_at_once_send_one_e_mail_code(charlie) -> None:
    """The resend and hourly limits are decided under the same lock (review finding: 32
    parallel requests had left 18 live codes)."""
    citizen_id = charlie_citizen_id(charlie)

    def ask(_index: int) -> int | str:
        try:
            return check_identity(Officer.objects.get(pk=charlie.pk), citizen_id, at=IN_WINDOW).pk
        except Refused as error:
            return error.code

    outcomes = at_once(ask)
    checks = IdentityCheck.objects.filter(officer=charlie)
    assert checks.count() == 1
    assert set(outcomes) <= {checks.get().pk, "busy"}
