"""The lean check (auth_gateway.api.lean) answers exactly what the DRF view answers: the same
status, headers and body for every kind of request, and it takes only the plain ones."""

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test import Client

from agencies.models import Officer
from auth_gateway.api import lean, views
from auth_gateway.models import LoginDecision, ServiceClient
from tests.auth_gateway.conftest import IN_WINDOW, code_at
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db
CHECK = "/api/v1/auth/check"
# Headers that differ between two answers for reasons other than the path taken.
_PER_ANSWER = {
    "Date",
    "X-Request-Id",
    "Content-Security-Policy",
    "Content-Security-Policy-Report-Only",
}


@pytest.fixture
def handed_over(monkeypatch) -> Iterator[list[str]]:
    """The requests the lean view handed to the DRF view (a spy: the DRF view still runs)."""
    calls: list[str] = []
    drf_view = views.check

    def spy(request):
        calls.append(request.path)
        return drf_view(request)

    monkeypatch.setattr(lean, "_drf_check", spy)
    yield calls


def _login(moment: dt.datetime, **fields: object) -> dict[str, object]:
    return {
        "username": "charlie",
        "password": PASSWORD,
        "method": "soft_token",
        "otp": code_at(moment),
        "request_id": "rq-1",
        **fields,
    }


# Each case: (name, body for a moment, extra headers). Both paths get the same case at two
# moments a minute apart, so a code used by one is not reused by the other.
CASES: list[tuple[str, Callable[[dt.datetime], object], dict[str, str]]] = [
    ("allow", lambda at: _login(at), {}),
    ("allow, Thai digits and a space", lambda at: _login(at, otp=_thai(code_at(at))), {}),
    ("allow, Accept JSON", lambda at: _login(at), {"HTTP_ACCEPT": "application/json"}),
    ("wrong password", lambda at: _login(at, password="wrong"), {}),
    ("wrong code", lambda at: _login(at, otp="000000"), {}),
    ("unknown user", lambda at: _login(at, username="nobody"), {}),
    ("no request id", lambda at: {k: v for k, v in _login(at).items() if k != "request_id"}, {}),
    ("password method", lambda at: _login(at, method="password", otp=""), {}),
    ("missing field", lambda at: {"username": "charlie", "method": "soft_token"}, {}),
    ("not an object", lambda at: [1, 2], {}),
    ("Accept HTML", lambda at: _login(at), {"HTTP_ACCEPT": "text/html"}),
    ("no key", lambda at: _login(at), {"HTTP_AUTHORIZATION": ""}),
    ("unknown key", lambda at: _login(at), {"HTTP_AUTHORIZATION": "Bearer not-a-key"}),
    ("English", lambda at: _login(at, password="wrong"), {"HTTP_ACCEPT_LANGUAGE": "en"}),
    ("empty Accept", lambda at: _login(at), {"HTTP_ACCEPT": ""}),
    ("format in the query", lambda at: _login(at), {"QUERY_STRING": "format=xml"}),
    ("a query string", lambda at: _login(at), {"QUERY_STRING": "x=1"}),
    ("charset", lambda at: _login(at), {"CONTENT_TYPE": "application/json; charset=utf-8"}),
    ("client ip", lambda at: _login(at, client_ip="10.1.2.3"), {}),
]
PLAIN = {
    "client ip",
    "allow",
    "allow, Accept JSON",
    "wrong password",
    "wrong code",
    "unknown user",
    "no request id",
    "English",
}


def _thai(code: str) -> str:
    digits = str.maketrans("0123456789", "๐๑๒๓๔๕๖๗๘๙")
    return f"{code[:3]} {code[3:]}".translate(digits)


def _answer(client: Client, key: str, body: object, headers: dict[str, str]):
    extra: dict[str, Any] = {"HTTP_AUTHORIZATION": f"Bearer {key}", **headers}
    response = client.post(CHECK, body, content_type="application/json", **extra)
    content = response.json() if response["Content-Type"] == "application/json" else None
    sent_id = isinstance(body, dict) and "request_id" in body
    if isinstance(content, dict) and "request_id" in content and not sent_id:
        content["request_id"] = "generated"  # a fresh uuid each time
    kept = {k: v for k, v in response.headers.items() if k not in _PER_ANSWER}
    return response.status_code, kept, content


@pytest.mark.parametrize(("name", "body", "headers"), CASES, ids=[c[0] for c in CASES])
def test_the_lean_view_answers_what_the_drf_view_answers(
    name, body, headers, api, service_key, registered: Officer, settings, handed_over
) -> None:
    answers = []
    for lean_on, moment in ((True, IN_WINDOW), (False, IN_WINDOW + dt.timedelta(minutes=2))):
        settings.GFMS_GATEWAY_LEAN_VIEW = lean_on
        Officer.objects.filter(pk=registered.pk).update(failed_logins=0, locked_until=None)
        with time_machine.travel(moment, tick=False):
            answers.append(_answer(Client(), service_key, body(moment), headers))
    assert answers[0] == answers[1]
    # The lean view took the plain requests itself and handed over the rest (and the DRF
    # path's request, with the switch off).
    assert len(handed_over) == (1 if name in PLAIN else 2)


def test_the_same_decision_records_on_both_paths(
    service_key, registered: Officer, settings
) -> None:
    for lean_on, moment in ((True, IN_WINDOW), (False, IN_WINDOW + dt.timedelta(minutes=2))):
        settings.GFMS_GATEWAY_LEAN_VIEW = lean_on
        with time_machine.travel(moment, tick=False):
            for body in (_login(moment), _login(moment), _login(moment, otp="000000")):
                _answer(Client(), service_key, body, {})
    rows = list(
        LoginDecision.objects.order_by("id").values_list(
            "decision",
            "reason",
            "method",
            "officer",
            "unit",
            "client",
            "client_ip",
            "request_id",
            "phase",
            "clock_offset_steps",
        )
    )
    assert rows[:3] == rows[3:]
    assert [r[1] for r in rows[:3]] == ["ok", "otp_reused", "invalid_otp"]


def test_over_quota_the_lean_view_hands_over_and_the_answer_is_429(
    service_key, registered: Officer, handed_over
) -> None:
    ServiceClient.objects.update(requests_per_minute=2)
    with time_machine.travel(IN_WINDOW, tick=False):
        statuses = [
            _answer(Client(), service_key, _login(IN_WINDOW, password="wrong"), {})[0]
            for _ in range(3)
        ]
    assert statuses == [200, 200, 429]
    assert len(handed_over) == 1  # only the refused one


_FAILED: dict[bool, tuple[int, dict[str, str], object]] = {}


@pytest.mark.parametrize("lean_on", [True, False])
def test_a_database_failure_during_the_check_is_the_same_503_on_both_paths(
    lean_on, service_key, registered: Officer, settings, handed_over
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("SQLite's in-memory test database cannot be made unreachable")
    settings.GFMS_GATEWAY_LEAN_VIEW = lean_on
    with time_machine.travel(IN_WINDOW, tick=False):
        # The key is looked up (and kept for a few seconds) while the database is there.
        assert _answer(Client(), service_key, _login(IN_WINDOW, password="x"), {})[0] == 200
        original = dict(connection.settings_dict)
        connection.close()
        connection.settings_dict["PORT"] = "1"  # nothing listens there
        try:
            status, headers, body = _answer(Client(), service_key, _login(IN_WINDOW), {})
        finally:
            connection.close()
            connection.settings_dict.clear()
            connection.settings_dict.update(original)
    assert status == 503 and headers["Retry-After"] == "5"
    assert isinstance(body, dict) and set(body) == {"detail"}
    # The lean view answered its own failure; with the switch off the DRF view answered.
    assert len(handed_over) == (0 if lean_on else 2)
    _FAILED[lean_on] = (status, headers, body)
    if len(_FAILED) == 2:  # both ran in this process: the same answer
        assert _FAILED[True] == _FAILED[False]


def test_the_schema_still_documents_the_check(client: Client) -> None:
    schema = client.get("/api/schema/").content.decode()
    assert "auth_check" in schema and "/api/v1/auth/check" in schema
