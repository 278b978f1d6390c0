"""POST /api/v1/auth/check: the contract, the phase rules, lockout, enumeration, fail-closed."""

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test import Client

from agencies.models import Officer
from agencies.policy import LOCKED_UNTIL_UNLOCKED, Role
from audit.models import AuditEvent
from auth_gateway.models import LoginDecision
from tests.auth_gateway.conftest import AFTER_CUTOVER, IN_WINDOW, code_at, soft_token_login
from tests.conftest import PASSWORD, force_sign_in

pytestmark = pytest.mark.django_db
CHECK = "/api/v1/auth/check"


def without_request_id(body: dict) -> dict:
    return {key: value for key, value in body.items() if key != "request_id"}


# --- service keys ---------------------------------------------------------------------------------


def test_missing_wrong_and_revoked_keys_are_401(client: Client, service_key: str) -> None:
    body = {"username": "x", "password": "y", "method": "password"}
    assert client.post(CHECK, body, content_type="application/json").status_code == 401
    for header in ("Bearer nope", f"Token {service_key}", service_key, "Bearer "):
        response = client.post(
            CHECK, body, content_type="application/json", HTTP_AUTHORIZATION=header
        )
        assert response.status_code == 401, header
        assert response["WWW-Authenticate"].startswith("Bearer")
    from django.core.management import call_command

    call_command("create_service_client", "--revoke", "gfms-frontend")
    response = client.post(
        CHECK, body, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {service_key}"
    )
    assert response.status_code == 401


def test_browser_session_is_never_accepted(client: Client, alice: Officer) -> None:
    force_sign_in(client, alice)
    body = {"username": "alice", "password": PASSWORD, "method": "password"}
    assert client.post(CHECK, body, content_type="application/json").status_code == 401


# --- malformed input ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({}, {"username", "password", "method"}),
        ({"username": "a", "password": "b", "method": "fingerprint"}, {"method"}),
        ({"username": "a", "password": "b", "method": "soft_token"}, {"otp"}),
        ({"username": "a", "password": "b", "method": "soft_token", "otp": "12345"}, {"otp"}),
        ({"username": "a", "password": "b", "method": "token_key"}, {"challenge_id", "signature"}),
        (
            {
                "username": "a",
                "password": "b",
                "method": "token_key",
                "challenge_id": "x",
                "signature": "%%%",
            },
            {"challenge_id", "signature"},
        ),
        (
            {"username": "a", "password": "b", "method": "password", "client_ip": "999.1.1.1"},
            {"client_ip"},
        ),
        ({"username": "a" * 151, "password": "b", "method": "password"}, {"username"}),
        # Strings only: 0 or true are not coerced into "0" or "True".
        ({"username": 0, "password": True, "method": "password"}, {"username", "password"}),
        # Six digits (ASCII or Thai, test_api_language.py), nothing else and nothing after.
        ({"username": "a", "password": "b", "method": "soft_token", "otp": "12345a"}, {"otp"}),
        ({"username": "a", "password": "b", "method": "soft_token", "otp": "123456\n"}, {"otp"}),
        ({"username": "a", "password": "b", "method": "soft_token", "otp": "๑๒๓๔๕๖๗"}, {"otp"}),
        ({"username": "a", "password": "b", "method": "soft_token", "otp": "١٢٣٤٥٦"}, {"otp"}),
    ],
)
def test_malformed_input_is_400_with_field_errors(api, body, fields) -> None:
    response = api(CHECK, body)
    assert response.status_code == 400
    assert set(response.json()) == fields
    assert not LoginDecision.objects.exists()


def test_body_that_is_not_json_is_400(api) -> None:
    from django.test import Client as C  # noqa: F401

    response = api(CHECK, None)
    assert response.status_code == 400


# --- allow -----------------------------------------------------------------------------------------


@time_machine.travel(IN_WINDOW, tick=False)
def test_soft_token_allow_answers_the_whole_contract(api, registered: Officer) -> None:
    response = api(
        CHECK, soft_token_login("charlie", IN_WINDOW, client_ip="10.1.2.3", request_id="req-1")
    )
    assert response.status_code == 200
    body = response.json()
    assert body == {
        "decision": "allow",
        "reason": "ok",
        "phase": "window",
        "allowed_methods": ["soft_token"],
        "aal": 2,
        "officer": {
            "username": "charlie",
            "name_th": registered.name_th,
            "name_en": registered.name_en,
            "unit_code": "0300400001",
            "role": "officer",
        },
        "message": body["message"],
        "request_id": "req-1",
    }
    assert set(body["message"]) == {"th", "en"}
    decision = LoginDecision.objects.get()
    assert (decision.username, decision.method, decision.decision, decision.reason) == (
        "charlie", "soft_token", "allow", "ok",
    )  # fmt: skip
    assert decision.client_ip == "10.1.2.3"
    assert decision.request_id == "req-1"
    assert decision.client is not None and decision.client.name == "gfms-frontend"
    assert decision.unit is not None and decision.unit.code == "0300400001"


@time_machine.travel(IN_WINDOW, tick=False)
def test_username_is_case_insensitive(api, registered: Officer) -> None:
    assert api(CHECK, soft_token_login("CHARLIE", IN_WINDOW)).json()["decision"] == "allow"


@time_machine.travel(IN_WINDOW, tick=False)
def test_previous_and_next_step_codes_are_accepted(api, registered: Officer) -> None:
    body = soft_token_login("charlie", IN_WINDOW, otp=code_at(IN_WINDOW, -1))
    assert api(CHECK, body).json()["reason"] == "ok"
    body = soft_token_login("charlie", IN_WINDOW, otp=code_at(IN_WINDOW, +1))
    assert api(CHECK, body).json()["reason"] == "ok"
    body = soft_token_login("charlie", IN_WINDOW, otp=code_at(IN_WINDOW, +2))
    assert api(CHECK, body).json()["reason"] == "invalid_otp"


@time_machine.travel(IN_WINDOW, tick=False)
def test_replayed_code_is_refused(api, registered: Officer) -> None:
    assert api(CHECK, soft_token_login("charlie", IN_WINDOW)).json()["reason"] == "ok"
    replay = api(CHECK, soft_token_login("charlie", IN_WINDOW)).json()
    assert (replay["decision"], replay["reason"]) == ("deny", "otp_reused")
    assert replay["officer"] is None
    assert replay["aal"] is None


@time_machine.travel(IN_WINDOW, tick=False)
def test_unregistered_officer_may_use_password_in_the_window(api, dave: Officer) -> None:
    body = api(CHECK, {"username": "dave", "password": PASSWORD, "method": "password"}).json()
    assert (body["decision"], body["reason"], body["aal"]) == ("allow", "ok", 1)
    assert body["allowed_methods"] == ["token_key", "password"]


# --- refusals by phase ----------------------------------------------------------------------------


@time_machine.travel(IN_WINDOW, tick=False)
def test_registered_officer_cannot_fall_back_to_password(api, registered: Officer) -> None:
    body = api(CHECK, {"username": "charlie", "password": PASSWORD, "method": "password"}).json()
    assert (body["decision"], body["reason"]) == ("deny", "method_not_allowed")
    assert body["allowed_methods"] == ["soft_token"]
    assert "Soft Token" in body["message"]["th"] or "OTP" in body["message"]["th"]


@time_machine.travel(AFTER_CUTOVER, tick=False)
def test_unregistered_officer_is_refused_after_cutover_with_guidance(api, dave: Officer) -> None:
    body = api(CHECK, {"username": "dave", "password": PASSWORD, "method": "password"}).json()
    assert (body["decision"], body["reason"], body["phase"]) == (
        "deny",
        "not_registered",
        "soft_token_only",
    )
    assert body["allowed_methods"] == []
    assert "12 เม.ย. 2568" in body["message"]["th"]
    assert "late-registration code" in body["message"]["en"]


@pytest.mark.parametrize(
    ("moment", "phase", "decision"),
    [
        (dt.datetime(2025, 4, 11, 16, 59, 59, tzinfo=dt.UTC), "window", "allow"),
        (dt.datetime(2025, 4, 11, 17, 0, 0, tzinfo=dt.UTC), "soft_token_only", "deny"),
        (dt.datetime(2025, 2, 9, 16, 59, 59, tzinfo=dt.UTC), "before_window", "allow"),
        (dt.datetime(2025, 2, 9, 17, 0, 0, tzinfo=dt.UTC), "window", "allow"),
    ],
)
def test_password_login_at_the_boundaries(api, dave: Officer, moment, phase, decision) -> None:
    with time_machine.travel(moment, tick=False):
        body = api(CHECK, {"username": "dave", "password": PASSWORD, "method": "password"}).json()
    assert (body["phase"], body["decision"]) == (phase, decision)


# --- enumeration and lockout ----------------------------------------------------------------------


@time_machine.travel(IN_WINDOW, tick=False)
def test_unknown_wrong_password_and_locked_answer_identically(
    api, registered: Officer, dave: Officer
) -> None:
    Officer.objects.filter(pk=dave.pk).update(locked_until=IN_WINDOW + dt.timedelta(minutes=10))
    attempts = [
        {"username": "nobody", "password": "guess", "method": "soft_token", "otp": "123456"},
        {"username": "charlie", "password": "guess", "method": "soft_token", "otp": "123456"},
        {"username": "dave", "password": "guess", "method": "soft_token", "otp": "123456"},
    ]
    answers = [api(CHECK, attempt | {"request_id": "same"}) for attempt in attempts]
    assert {a.status_code for a in answers} == {200}
    bodies = [a.json() for a in answers]
    assert bodies[0] == bodies[1] == bodies[2]
    assert bodies[0]["reason"] == "invalid_credentials"
    assert bodies[0]["allowed_methods"] == []


@time_machine.travel(IN_WINDOW, tick=False)
def test_inactive_officer_looks_unknown(api, dave: Officer) -> None:
    Officer.objects.filter(pk=dave.pk).update(is_active=False)
    body = api(CHECK, {"username": "dave", "password": PASSWORD, "method": "password"}).json()
    assert body["reason"] == "invalid_credentials"


def test_lockout_escalates_and_only_success_resets(
    api, registered: Officer, django_capture_on_commit_callbacks
) -> None:
    from django.core import mail

    wrong = {"username": "charlie", "password": "wrong", "method": "soft_token", "otp": "000000"}
    with time_machine.travel(IN_WINDOW, tick=False) as clock:
        for _ in range(9):
            assert api(CHECK, wrong).json()["reason"] == "invalid_credentials"
        assert Officer.objects.get(pk=registered.pk).locked_until is None
        with django_capture_on_commit_callbacks(execute=True):
            api(CHECK, wrong)  # the 10th failure locks for 15 minutes
        officer = Officer.objects.get(pk=registered.pk)
        assert officer.failed_logins == 10
        assert officer.locked_until == IN_WINDOW + dt.timedelta(minutes=15)
        assert AuditEvent.objects.filter(action="officer.locked", officer=registered).count() == 1
        # The officer hears of the lock by e-mail, with its end in Bangkok time.
        assert mail.outbox[-1].to == [registered.email]
        assert "10:15" in mail.outbox[-1].body
        # Locked: even the right password and code answer like a wrong password (no oracle),
        # and attempts while locked are not counted.
        right = api(CHECK, soft_token_login("charlie", IN_WINDOW)).json()
        wrong_answer = api(CHECK, wrong).json()
        assert right["reason"] == "invalid_credentials"
        assert without_request_id(right) == without_request_id(wrong_answer)
        assert Officer.objects.get(pk=registered.pk).failed_logins == 10
        assert LoginDecision.objects.filter(reason="locked").count() == 2  # the record knows
        # After the lock, ten more failures (20 in all) lock for 30 minutes.
        clock.move_to(IN_WINDOW + dt.timedelta(minutes=16))
        for _ in range(10):
            api(CHECK, wrong)
        officer = Officer.objects.get(pk=registered.pk)
        assert officer.failed_logins == 20
        assert officer.locked_until == IN_WINDOW + dt.timedelta(minutes=16 + 30)
        # After that lock, a success resets everything.
        moment = IN_WINDOW + dt.timedelta(minutes=47)
        clock.move_to(moment)
        assert api(CHECK, soft_token_login("charlie", moment)).json()["decision"] == "allow"
        officer = Officer.objects.get(pk=registered.pk)
        assert (officer.failed_logins, officer.locked_until) == (0, None)


def test_hundredth_failure_locks_until_an_administrator_unlocks(
    api, dave: Officer, alice: Officer
) -> None:
    from agencies.lockout import unlock_officer

    Officer.objects.filter(pk=dave.pk).update(failed_logins=99)
    with time_machine.travel(IN_WINDOW, tick=False):
        api(CHECK, {"username": "dave", "password": "wrong", "method": "password"})
        assert Officer.objects.get(pk=dave.pk).locked_until == LOCKED_UNTIL_UNLOCKED
    later = IN_WINDOW + dt.timedelta(days=30)
    with time_machine.travel(later, tick=False):
        body = api(CHECK, {"username": "dave", "password": PASSWORD, "method": "password"}).json()
        assert body["reason"] == "invalid_credentials"
        unlock_officer(Officer.objects.get(pk=dave.pk), actor=alice, at=later, stepped_up_at=later)
        body = api(CHECK, {"username": "dave", "password": PASSWORD, "method": "password"}).json()
    assert body["decision"] == "allow"
    assert AuditEvent.objects.get(action="officer.unlocked").actor == alice


@time_machine.travel(IN_WINDOW, tick=False)
def test_policy_refusals_do_not_count_as_failures(api, registered: Officer) -> None:
    for _ in range(12):
        api(CHECK, {"username": "charlie", "password": PASSWORD, "method": "password"})
    assert Officer.objects.get(pk=registered.pk).failed_logins == 0


@time_machine.travel(IN_WINDOW, tick=False)
def test_wrong_codes_count_as_failures(api, registered: Officer) -> None:
    api(CHECK, soft_token_login("charlie", IN_WINDOW, otp=code_at(IN_WINDOW, 5)))
    assert Officer.objects.get(pk=registered.pk).failed_logins == 1


# --- secrets never leak ---------------------------------------------------------------------------


@time_machine.travel(IN_WINDOW, tick=False)
def test_no_secret_in_decision_records_audit_or_logs(api, registered: Officer, caplog) -> None:
    code = code_at(IN_WINDOW)
    api(CHECK, soft_token_login("charlie", IN_WINDOW))
    api(
        CHECK,
        {"username": "charlie", "password": "wrong-secret-pw", "method": "soft_token", "otp": code},
    )
    stored = " ".join(str(row) for row in LoginDecision.objects.values_list()) + " ".join(
        str(row) for row in AuditEvent.objects.values_list()
    )
    citizen_id = registered.citizen_id
    for secret in (PASSWORD, "wrong-secret-pw", code, citizen_id):
        assert secret not in stored
        assert secret not in caplog.text


# --- fail closed ----------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_decision_that_cannot_be_recorded_is_503_and_not_allow(api, registered: Officer) -> None:
    table = LoginDecision._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE {table} RENAME TO {table}_away")
    try:
        with time_machine.travel(IN_WINDOW, tick=False):
            response = api(CHECK, soft_token_login("charlie", IN_WINDOW))
    finally:
        connection.close()
        with connection.cursor() as cursor:
            cursor.execute(f"ALTER TABLE {table}_away RENAME TO {table}")
    assert response.status_code == 503
    assert "allow" not in response.content.decode().replace("not allowed", "")
    # The code was not consumed either: the transaction rolled back with the failed record.
    with time_machine.travel(IN_WINDOW, tick=False):
        assert api(CHECK, soft_token_login("charlie", IN_WINDOW)).json()["decision"] == "allow"


@pytest.mark.django_db(transaction=True)
def test_unreachable_database_is_503(api, registered: Officer, settings) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("SQLite's in-memory test database cannot be made unreachable (CI: PostgreSQL)")
    original = dict(connection.settings_dict)
    connection.close()
    connection.settings_dict["PORT"] = "1"  # nothing listens there
    try:
        with time_machine.travel(IN_WINDOW, tick=False):
            response = api(CHECK, soft_token_login("charlie", IN_WINDOW))
    finally:
        connection.close()
        connection.settings_dict.clear()
        connection.settings_dict.update(original)
    assert response.status_code == 503
    assert response["Retry-After"] == "5"


@pytest.mark.parametrize("moment", [IN_WINDOW, AFTER_CUTOVER])
def test_an_administrator_logs_in_to_gfms_with_the_soft_token_only(api, alice, bob, moment) -> None:
    """The gateway's answer for privileged accounts follows the registered officer's rule —
    in the window too, where unregistered officers may still use a password."""
    from tests.factories import OfficerFactory

    OfficerFactory.create(
        username="new.admin", role=Role.AGENCY_ADMIN, unit=None, admin_scope=bob.admin_scope
    )
    with time_machine.travel(moment, tick=False):
        password = api(
            "/api/v1/auth/check", {"username": "alice", "password": PASSWORD, "method": "password"}
        ).json()
        no_token = api(
            "/api/v1/auth/check",
            {"username": "new.admin", "password": PASSWORD, "method": "password"},
        ).json()
        allowed = api("/api/v1/auth/check", soft_token_login("alice", moment)).json()
    assert (password["reason"], password["allowed_methods"]) == (
        "method_not_allowed",
        ["soft_token"],
    )
    assert (no_token["reason"], no_token["allowed_methods"]) == ("not_registered", [])
    assert (allowed["decision"], allowed["officer"]["role"]) == ("allow", "central_admin")
    assert Officer.objects.get(username="alice").failed_logins == 0
