"""The administrators' progress pages, officer list, export and login telemetry run as many SQL
statements for 2 officers as for 60 in 13 units: nothing is fetched per unit, per officer or
per decision (bench/progress.py times the same pages over 100,000 officers).

tests/monitoring/test_progress.py checks registration_overview() itself; these check whole
pages: session, user, schedule, burn-up, template and all."""

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from agencies.models import Agency, Officer
from agencies.policy import Role
from auth_gateway.policy import Decision, Method
from tests.conftest import force_sign_in, streamed_body
from tests.factories import (
    LoginDecisionFactory,
    OfficerFactory,
    SoftTokenFactory,
    TokenKeyFactory,
    UnitFactory,
)
from tokens.models import SoftTokenStatus, TokenKeyState

pytestmark = pytest.mark.django_db
AT = dt.datetime(2025, 3, 1, 3, 0, tzinfo=dt.UTC)  # in the registration window

PAGES = [
    ("/manage/progress/", "alice"),
    ("/manage/progress/", "bob"),  # bob's own department
    ("/manage/progress/03004/", "alice"),
    ("/manage/progress/03004/", "bob"),
    ("/manage/progress/0300400001/", "alice"),
    ("/manage/progress/0300400001/", "bob"),
    ("/manage/officer-list/", "alice"),
    ("/manage/officer-list/?state=not_started", "bob"),
    ("/manage/officer-list.csv", "alice"),
    ("/manage/officer-list.csv", "bob"),
    ("/manage/legacy-logins/", "alice"),
    ("/manage/legacy-logins/", "bob"),
    ("/manage/token-keys/progress/", "alice"),
    ("/manage/token-keys/progress/", "bob"),
]


def decide(officer: Officer, method: Method, decision: Decision, hours_ago: int) -> None:
    LoginDecisionFactory.create(
        officer=officer, method=method, decision=decision, at=AT - dt.timedelta(hours=hours_ago)
    )


def token_key(officer: Officer, state: TokenKeyState) -> None:
    TokenKeyFactory.create(officer=officer, state=state, updated_at=AT)


def add_officer(unit: Agency, number: int) -> None:
    """Registered, half-way, or not started; with a Token Key and some logins."""
    officer = OfficerFactory.create(username=f"q{number:03d}", unit=unit)
    if number % 3 == 0:
        SoftTokenFactory.create(officer=officer)
        decide(officer, Method.SOFT_TOKEN, Decision.ALLOW, hours_ago=number % 48)
        token_key(officer, TokenKeyState.HANDED_OVER if number % 2 else TokenKeyState.RECEIVED)
    elif number % 3 == 1:
        SoftTokenFactory.create(
            officer=officer,
            status=SoftTokenStatus.PENDING,
            created_at=AT - dt.timedelta(minutes=2),
            confirmed_at=None,
        )
        decide(officer, Method.PASSWORD, Decision.ALLOW, hours_ago=number % 100)
        token_key(officer, TokenKeyState.IN_USE)
    else:
        decide(officer, Method.TOKEN_KEY, Decision.ALLOW, hours_ago=number % 150)
        decide(officer, Method.TOKEN_KEY, Decision.DENY, hours_ago=1)
        token_key(officer, TokenKeyState.IN_USE)


def small(tree: dict[str, Agency]) -> None:
    """One unit, two officers: one registered, one not (every list has a row)."""
    add_officer(tree["cgd_unit"], 0)
    add_officer(tree["cgd_unit"], 2)


def more(tree: dict[str, Agency]) -> None:
    """Officers in 13 units of 3 departments (2 ministries): 58 more."""
    units = [tree["cgd_unit"], tree["cgd_regional"], tree["customs_unit"], tree["disease_unit"]]
    for department in ("cgd", "customs", "disease"):
        for _ in range(3):
            units.append(UnitFactory.create(parent=tree[department]))
    for number in range(3, 61):
        add_officer(units[number % len(units)], number)


def queries(client: Client, url: str) -> int:
    client.get(url)  # first visit: the schedule row, the session's sign-in time
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
        assert response.status_code == 200, url
        if response.streaming:
            streamed_body(response)
    return len(captured)


@pytest.mark.parametrize(("url", "persona"), PAGES)
@time_machine.travel(AT, tick=False)
def test_queries_per_page_do_not_grow_with_the_data(
    url: str, persona: str, cgd_tree, alice: Officer, bob: Officer
) -> None:
    client = Client()
    force_sign_in(client, {"alice": alice, "bob": bob}[persona])
    small(cgd_tree)
    few = queries(client, url)
    more(cgd_tree)
    assert Officer.objects.filter(role=Role.OFFICER).count() == 60
    assert queries(client, url) == few, f"{url} as {persona}"
