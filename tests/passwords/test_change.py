"""Changing one's own password, signed in: current password + a fresh code → new password,
audited, e-mailed, other sessions signed out, the gateway takes the new one at once."""

import pytest
import time_machine
from django.test import Client

from agencies.models import Officer
from audit.models import AuditEvent
from tests.conftest import PASSWORD, sign_in
from tests.passwords.conftest import AT, NEW_PASSWORD, emails, gateway, portal
from tokens import totp
from tokens.possession import new_recovery_codes

pytestmark = pytest.mark.django_db
URL = "/account/password/"


def code_now(step: int = 0) -> str:
    from tests.factories import DEMO_SECRET

    return totp.code_at_step(DEMO_SECRET, totp.time_step(AT) + step)


def change(client: Client, **fields: str):
    data = {
        "current_password": PASSWORD,
        "code": code_now(),
        "new_password": NEW_PASSWORD,
        "new_password_again": NEW_PASSWORD,
    } | fields
    return client.post(URL, data)


@time_machine.travel(AT, tick=False)
def test_changing_the_password_works_everywhere_at_once(api, registered: Officer) -> None:
    here, elsewhere = sign_in(portal(), "charlie"), sign_in(portal(), "charlie")
    response = change(here)
    assert response.status_code == 302 and response["Location"] == "/account/"
    # This session goes on; the other one is signed out.
    assert here.get("/account/").status_code == 200
    assert elsewhere.get("/account/")["Location"].startswith("/login/")
    # The gateway: the new password at once, the old one no more.
    assert gateway(api, "charlie", NEW_PASSWORD, moment=AT)["decision"] == "allow"
    old = gateway(api, "charlie", PASSWORD, moment=AT, step=-1)
    assert (old["decision"], old["reason"]) == ("deny", "invalid_credentials")
    # The portal too.
    assert (
        portal().post("/login/", {"username": "charlie", "password": PASSWORD}).status_code == 200
    )
    sign_in(portal(), "charlie", NEW_PASSWORD)
    # Audited and e-mailed to the official address, in Thai.
    event = AuditEvent.objects.get(action="password.changed")
    assert (event.actor, event.officer) == (registered, registered)
    (message,) = emails("password_changed")
    assert message.to == registered.email
    assert "รหัสผ่าน" in message.subject
    assert NEW_PASSWORD not in message.body_text


@time_machine.travel(AT, tick=False)
def test_a_recovery_code_stands_in_for_the_app(registered: Officer) -> None:
    (code, *_rest) = new_recovery_codes(registered, at=AT)
    client = sign_in(portal(), "charlie")
    assert change(client, code=code).status_code == 302
    registered.refresh_from_db()
    assert registered.check_password(NEW_PASSWORD)


@time_machine.travel(AT, tick=False)
def test_a_wrong_current_password_changes_nothing_and_counts_toward_the_lockout(
    registered: Officer,
) -> None:
    client = sign_in(portal(), "charlie")
    response = change(client, current_password="not my password at all")
    assert response.status_code == 200
    assert "current password" in response.content.decode() or "รหัสผ่านปัจจุบัน" in (
        response.content.decode()
    )
    registered.refresh_from_db()
    assert registered.check_password(PASSWORD)
    assert registered.failed_logins == 1
    assert AuditEvent.objects.filter(action="password.change_refused").count() == 1
    assert not emails("password_changed")


@time_machine.travel(AT, tick=False)
def test_a_wrong_code_changes_nothing(registered: Officer) -> None:
    client = sign_in(portal(), "charlie")
    assert change(client, code="000000" if code_now() != "000000" else "111111").status_code == 200
    registered.refresh_from_db()
    assert registered.check_password(PASSWORD)
    assert registered.failed_logins == 1  # a wrong code is a guess like any other


@time_machine.travel(AT, tick=False)
def test_a_password_against_the_rules_is_refused_before_anything_is_used_up(
    registered: Officer,
) -> None:
    client = sign_in(portal(), "charlie", PASSWORD)
    response = change(client, new_password="charlie2025", new_password_again="charlie2025")
    assert response.status_code == 200
    page = response.content.decode()
    assert 'aria-invalid="true"' in page
    registered.refresh_from_db()
    assert registered.check_password(PASSWORD)
    # The code was not consumed: it still changes the password.
    assert change(client).status_code == 302


@time_machine.travel(AT, tick=False)
def test_the_two_new_passwords_must_match(registered: Officer) -> None:
    client = sign_in(portal(), "charlie")
    response = change(client, new_password_again=NEW_PASSWORD + "x")
    assert response.status_code == 200
    registered.refresh_from_db()
    assert registered.check_password(PASSWORD)


@time_machine.travel(AT, tick=False)
def test_without_a_soft_token_the_password_cannot_be_changed(charlie: Officer) -> None:
    client = sign_in(portal(), "charlie")
    assert change(client).status_code == 200
    charlie.refresh_from_db()
    assert charlie.check_password(PASSWORD)


def test_the_page_needs_a_signed_in_officer(client: Client) -> None:
    assert client.get(URL)["Location"].startswith("/login/")


@time_machine.travel(AT, tick=False)
def test_the_gateway_takes_the_password_however_the_keyboard_spells_sara_am(
    api, registered: Officer, settings
) -> None:
    """With the project's hasher (Argon2id over NFKC): ำ set as one character, typed at GFMS
    as nikhahit + sara aa (some phone keyboards), is the same password."""
    settings.PASSWORD_HASHERS = ["passwords.hashers.Argon2idNfkcHasher"]
    registered.set_password(PASSWORD)
    registered.save(update_fields=["password"])
    sara_am = "ทำงานที่กรมทุกวันจันทร์และอังคาร"
    client = sign_in(portal(), "charlie")
    assert change(client, new_password=sara_am, new_password_again=sara_am).status_code == 302
    split = sara_am.replace("\u0e33", "\u0e4d\u0e32")
    assert split != sara_am
    assert gateway(api, "charlie", split, moment=AT)["decision"] == "allow"
