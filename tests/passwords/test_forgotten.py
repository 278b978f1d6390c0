"""A forgotten password: user id → a code to the official e-mail, typed with a code from the
soft token → a new password. Nothing tells an unknown user id from a deactivated account, an
officer without a soft token or any other account before the e-mail code is proved."""

import datetime as dt
import re

import pytest
import time_machine
from django.test import Client

from agencies.models import Officer
from audit.models import AuditEvent
from passwords import services
from passwords.models import ResetCode
from tests.auth_gateway.conftest import code_at
from tests.conftest import PASSWORD, sign_in
from tests.factories import OfficerFactory, SoftTokenFactory
from tests.passwords.conftest import AT, NEW_PASSWORD, emailed_code, emails, gateway, portal
from tokens.possession import new_recovery_codes

pytestmark = pytest.mark.django_db


def ask(client: Client, username: str):
    return client.post("/login/password/", {"username": username})


def codes(client: Client, email_code: str, token_code: str):
    return client.post(
        "/login/password/codes/", {"email_code": email_code, "token_code": token_code}
    )


def new(client: Client, password: str = NEW_PASSWORD):
    return client.post(
        "/login/password/new/", {"new_password": password, "new_password_again": password}
    )


def body_without_csrf(response) -> str:
    page = response.content.decode()
    page = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", page)
    return re.sub(r"csrftoken=[^;\"]+", "", page)


@time_machine.travel(AT, tick=False)
def test_the_whole_journey_through_the_pages(api, registered: Officer) -> None:
    client = portal()
    login_page = client.get("/login/").content.decode()
    assert 'href="/login/password/"' in login_page
    response = ask(client, "Charlie ")
    assert response.status_code == 302 and response["Location"] == "/login/password/codes/"
    (message,) = emails("password_reset_code", registered)
    assert message.to == registered.email
    response = codes(client, emailed_code(registered), code_at(AT))
    assert response.status_code == 302 and response["Location"] == "/login/password/new/"
    response = new(client)
    assert response.status_code == 302 and response["Location"] == "/login/password/done/"
    assert client.get("/login/password/done/").status_code == 200
    # At once at the gateway; the old password no longer.
    assert gateway(api, "charlie", NEW_PASSWORD, moment=AT)["decision"] == "allow"
    assert gateway(api, "charlie", PASSWORD, moment=AT, step=-1)["reason"] == "invalid_credentials"
    sign_in(portal(), "charlie", NEW_PASSWORD)
    actions = list(
        AuditEvent.objects.filter(action__startswith="password.")
        .order_by("pk")
        .values_list("action", flat=True)
    )
    assert actions == [
        "password.reset_code_sent",
        "password.reset_codes_confirmed",
        "password.reset",
    ]
    assert AuditEvent.objects.get(action="password.reset").data == {"via": "forgotten"}
    assert len(emails("password_changed", registered)) == 1
    # The confirmed reset is used up.
    assert new(client, "another long passphrase here").status_code == 410


@time_machine.travel(AT, tick=False)
def test_a_recovery_code_stands_in_for_the_app(registered: Officer) -> None:
    (recovery, *_rest) = new_recovery_codes(registered, at=AT)
    client = portal()
    ask(client, "charlie")
    assert codes(client, emailed_code(registered), recovery).status_code == 302
    assert new(client).status_code == 302
    registered.refresh_from_db()
    assert registered.check_password(NEW_PASSWORD)


@pytest.fixture
def accounts(registered: Officer, cgd_tree) -> dict[str, str]:
    """The kinds of user id the pages must not tell apart."""
    gone = OfficerFactory.create(username="gone", unit=cgd_tree["cgd_unit"], is_active=False)
    SoftTokenFactory.create(officer=gone)
    OfficerFactory.create(username="newbie", unit=cgd_tree["cgd_unit"])  # no soft token
    return {
        "registered": "charlie",
        "unknown": "nobody",
        "deactivated": "gone",
        "unregistered": "newbie",
    }


@time_machine.travel(AT, tick=False)
def test_every_kind_of_user_id_gets_the_same_pages(accounts: dict[str, str]) -> None:
    pages = {}
    for kind, username in accounts.items():
        client = portal()
        asked = ask(client, username)
        shown = client.get(asked["Location"])
        # A wrong e-mail code answers alike too (the right one is only in the mailbox).
        wrong = codes(client, "123456", "654321")
        pages[kind] = (
            asked.status_code,
            asked["Location"],
            shown.status_code,
            body_without_csrf(shown).replace(username, "USER"),
            wrong.status_code,
            body_without_csrf(wrong).replace(username, "USER"),
        )
    assert len(set(pages.values())) == 1, pages.keys()
    # What differs is only the mailbox: a code for the registered officer, the advice to ask
    # an administrator for the one without a soft token, nothing for the others.
    assert [m.to for m in emails("password_reset_code")] == ["charlie@agency.example"]
    assert [m.to for m in emails("password_reset_no_token")] == ["newbie@agency.example"]


def test_every_kind_of_user_id_waits_the_same_floor(accounts, settings, monkeypatch) -> None:
    """The same code path for every answer: each one waits out the password floor (the
    wait itself is tested in tests/auth_gateway/test_password_floor.py)."""
    waits: list[str] = []
    monkeypatch.setattr(services, "wait_out_password_floor", lambda started: waits.append("w"))
    with time_machine.travel(AT, tick=False):
        for username in accounts.values():
            services.request_reset_code(username, at=AT)
            with pytest.raises(services.PasswordError) as refused:
                services.confirm_reset_codes(
                    username, email_code="123456", token_code="654321", at=AT
                )
            assert refused.value.code == "reset_codes_refused"
    assert waits == ["w"] * 2 * len(accounts)


@time_machine.travel(AT, tick=False)
def test_the_code_expires_after_ten_minutes(registered: Officer) -> None:
    client = portal()
    ask(client, "charlie")
    code = emailed_code(registered)
    with time_machine.travel(AT + dt.timedelta(minutes=10), tick=False):
        response = codes(client, code, code_at(AT + dt.timedelta(minutes=10)))
    assert response.status_code == 200
    assert ResetCode.objects.get().verified_at is None


@time_machine.travel(AT, tick=False)
def test_five_wrong_tries_kill_the_code(registered: Officer) -> None:
    client = portal()
    ask(client, "charlie")
    code = emailed_code(registered)
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(services.RESET_CODE_TRIES):
        assert codes(client, wrong, code_at(AT)).status_code == 200
    assert codes(client, code, code_at(AT)).status_code == 200
    assert ResetCode.objects.get().verified_at is None


@time_machine.travel(AT, tick=False)
def test_a_wrong_app_code_after_the_right_email_code_says_so_and_counts(
    registered: Officer,
) -> None:
    client = portal()
    ask(client, "charlie")
    code = emailed_code(registered)
    wrong_app = code_at(AT, 5)
    response = codes(client, code, wrong_app)
    assert response.status_code == 200
    registered.refresh_from_db()
    assert registered.failed_logins == 1  # the shared lockout (tokens.possession)
    assert ResetCode.objects.get().attempts == 1
    # The same e-mail code still works with the right app code.
    assert codes(client, code, code_at(AT)).status_code == 302


@time_machine.travel(AT, tick=False)
def test_codes_are_limited_per_account(registered: Officer) -> None:
    client = portal()
    ask(client, "charlie")
    ask(client, "charlie")  # within a minute: the same code, no second e-mail
    assert len(emails("password_reset_code")) == 1
    for minute in range(1, 6):
        with time_machine.travel(AT + dt.timedelta(minutes=2 * minute), tick=False):
            ask(client, "charlie")
    assert len(emails("password_reset_code")) == services.RESET_EMAILS_PER_HOUR
    with time_machine.travel(AT + dt.timedelta(minutes=61), tick=False):
        ask(client, "charlie")
    assert len(emails("password_reset_code")) == services.RESET_EMAILS_PER_HOUR + 1
    # Only the newest code works.
    assert ResetCode.objects.filter(expires_at__gt=AT + dt.timedelta(minutes=61)).count() == 1


@time_machine.travel(AT, tick=False)
def test_the_new_password_must_follow_the_rules_and_the_reset_waits(registered: Officer) -> None:
    client = portal()
    ask(client, "charlie")
    codes(client, emailed_code(registered), code_at(AT))
    response = new(client, "charlie-2025-2025")
    assert response.status_code == 200 and 'aria-invalid="true"' in response.content.decode()
    assert new(client).status_code == 302


@time_machine.travel(AT, tick=False)
def test_the_confirmed_reset_expires(registered: Officer) -> None:
    client = portal()
    ask(client, "charlie")
    codes(client, emailed_code(registered), code_at(AT))
    with time_machine.travel(AT + dt.timedelta(minutes=11), tick=False):
        assert new(client).status_code == 410
    registered.refresh_from_db()
    assert registered.check_password(PASSWORD)


@time_machine.travel(AT, tick=False)
def test_the_codes_page_without_a_user_id_starts_again(client: Client, db) -> None:
    assert client.get("/login/password/codes/")["Location"] == "/login/password/"
    assert client.get("/login/password/new/").status_code == 410


@time_machine.travel(AT, tick=False)
def test_a_reset_clears_the_lockout_count(registered: Officer) -> None:
    Officer.objects.filter(pk=registered.pk).update(failed_logins=7)
    client = portal()
    ask(client, "charlie")
    codes(client, emailed_code(registered), code_at(AT))
    new(client)
    registered.refresh_from_db()
    assert registered.failed_logins == 0
