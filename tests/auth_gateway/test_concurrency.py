"""Races on PostgreSQL: many requests at once with one code, one challenge, or wrong passwords.

Each thread has its own database connection (Django's are per thread), so these are real
concurrent transactions. SQLite serialises writers, which would hide the bugs: these tests
run on PostgreSQL (CI) and are skipped on SQLite.
"""

import base64
from collections import Counter
from collections.abc import Callable

import pytest
import time_machine
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from django.db import connection
from django.test import Client

from agencies.models import Officer
from auth_gateway.models import LoginDecision
from tests.auth_gateway.conftest import IN_WINDOW, b64, soft_token_login
from tests.conftest import PASSWORD
from tests.races import at_once
from tokens.demo import demo_private_key

pytestmark = pytest.mark.django_db(transaction=True)
PARALLEL = 24


@pytest.fixture(autouse=True)
def postgres_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("concurrency is tested on PostgreSQL (CI sets DATABASE_URL)")


@pytest.fixture(autouse=True, params=[True, False], ids=["one-statement", "transaction"])
def gateway_path(request, settings) -> None:
    """Every race on both ways an allow is decided (auth_gateway.hot_path)."""
    settings.GFMS_GATEWAY_ONE_STATEMENT = request.param


def race(service_key: str, bodies: Callable[[int], dict]) -> list[dict]:
    """POST PARALLEL checks at the same instant; return the JSON answers."""

    def post(index: int) -> dict:
        response = Client().post(
            "/api/v1/auth/check",
            bodies(index),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {service_key}",
        )
        return response.json() | {"status": response.status_code}

    return at_once(PARALLEL, post, at=IN_WINDOW)


def test_one_code_many_parallel_requests_exactly_one_allow(
    service_key: str, registered: Officer
) -> None:
    answers = race(service_key, lambda i: soft_token_login("charlie", IN_WINDOW))
    assert {a["status"] for a in answers} == {200}
    assert Counter(a["decision"] for a in answers) == {"allow": 1, "deny": PARALLEL - 1}
    # Each replay counts as a failure, so the account may lock part-way through the race
    # (then the answer is the wrong-password one).
    assert {a["reason"] for a in answers if a["decision"] == "deny"} <= {
        "otp_reused",
        "invalid_credentials",
    }
    assert LoginDecision.objects.filter(decision="allow").count() == 1
    assert LoginDecision.objects.count() == PARALLEL


def test_one_challenge_many_parallel_signatures_exactly_one_allow(
    api, service_key: str, device
) -> None:
    with time_machine.travel(IN_WINDOW, tick=False):
        challenge = api(
            "/api/v1/auth/challenge", {"username": "dave", "serial": "DEMO-DAVE-1"}
        ).json()
    signature = demo_private_key("DEMO-DAVE-1").sign(
        base64.b64decode(challenge["challenge"]), ec.ECDSA(hashes.SHA256())
    )
    body = {
        "username": "dave",
        "password": PASSWORD,
        "method": "token_key",
        "challenge_id": challenge["challenge_id"],
        "signature": b64(signature),
    }
    answers = race(service_key, lambda i: body)
    assert Counter(a["decision"] for a in answers) == {"allow": 1, "deny": PARALLEL - 1}
    assert {a["reason"] for a in answers if a["decision"] == "deny"} <= {
        "challenge_expired",
        "invalid_credentials",
    }


def test_parallel_wrong_codes_cannot_outrun_the_lock(service_key: str, registered: Officer) -> None:
    """Right password, wrong codes, all at once: once the 10th failure has locked the
    account, no request still in flight gets its code checked."""
    wrong_code = {
        "username": "charlie",
        "password": PASSWORD,
        "method": "soft_token",
        "otp": "000000",
    }
    answers = race(service_key, lambda i: wrong_code)
    reasons = Counter(a["reason"] for a in answers)
    assert reasons["invalid_otp"] == 10
    assert reasons["invalid_credentials"] == PARALLEL - 10  # locked, answered like a wrong password
    assert Officer.objects.get(pk=registered.pk).failed_logins == 10


def test_parallel_failures_are_all_counted(service_key: str, registered: Officer) -> None:
    wrong = {"username": "charlie", "password": "wrong", "method": "soft_token", "otp": "000000"}
    answers = race(service_key, lambda i: wrong)
    assert {a["reason"] for a in answers} == {"invalid_credentials"}
    officer = Officer.objects.get(pk=registered.pk)
    # Every failure that saw the account unlocked counts, none is lost; those arriving after
    # the lock are not counted.
    assert 10 <= officer.failed_logins <= PARALLEL
    assert officer.locked_until is not None
