"""Thai digits (๐–๙) are digits in every portal form where digits are typed — beyond the citizen
ID, the e-mail code, the dates and the GFMIS filters (tested with their pages): the sign-in
code, the first code from a new phone, a recovery code, the fresh code before a sensitive act,
the days a late code is valid, Token Key serials, a courier's tracking number and the audit
log's page number."""

import datetime as dt

import pytest
import time_machine
from django.test import Client

from agencies.models import Officer
from registration.models import RegistrationCode
from schedule.services import change_schedule
from tests.conftest import PASSWORD, force_sign_in, next_code
from tests.factories import OfficerFactory, SoftTokenFactory, TokenKeyFactory
from tests.registration.test_registration_flow import secret_from_page, through_identity
from tests.totp_reference import phone_code
from tokens.custody import create_shipment, mark_shipped
from tokens.models import SoftToken, SoftTokenStatus, TokenKey, TokenKeyState
from tokens.possession import new_recovery_codes

pytestmark = pytest.mark.django_db
IN_WINDOW = dt.datetime(2025, 3, 1, 3, 0, tzinfo=dt.UTC)
THAI = str.maketrans("0123456789", "๐๑๒๓๔๕๖๗๘๙")


def thai(text: str) -> str:
    return text.translate(THAI)


@time_machine.travel(IN_WINDOW, tick=False)
def test_the_sign_in_code_in_thai_digits(client: Client, bob: Officer) -> None:
    response = client.post("/login/", {"username": "bob", "password": PASSWORD})
    assert response["Location"].startswith("/login/code/")
    response = client.post(response["Location"], {"code": thai(next_code(bob))})
    assert response.status_code == 302 and not response["Location"].startswith("/login/")


@time_machine.travel(IN_WINDOW, tick=False)
def test_the_first_code_from_the_phone_in_thai_digits(
    client: Client, charlie: Officer, django_capture_on_commit_callbacks
) -> None:
    client.post("/login/", {"username": "charlie", "password": PASSWORD})
    through_identity(client, charlie, django_capture_on_commit_callbacks)
    client.post("/register/warning/")
    secret, _uri = secret_from_page(client)
    typed = thai(phone_code(secret, IN_WINDOW))
    response = client.post("/register/qr/", {"code": f"{typed[:3]} {typed[3:]}"})
    assert response.status_code == 302 and "/register/codes/" in response["Location"]
    assert SoftToken.objects.filter(officer=charlie, status=SoftTokenStatus.ACTIVE).exists()


@time_machine.travel(IN_WINDOW, tick=False)
def test_a_recovery_code_in_thai_digits(client: Client, charlie: Officer) -> None:
    SoftTokenFactory.create(officer=charlie)
    codes = new_recovery_codes(charlie, at=IN_WINDOW)
    client.post("/login/", {"username": "charlie", "password": PASSWORD})
    response = client.post(
        "/account/verify/?next=/account/replace-phone/", {"code": thai(codes[0])}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert response["Location"].endswith("/account/replace-phone/")


def test_the_fresh_code_before_a_reset_and_the_days_of_a_late_code(
    client: Client, alice: Officer, bob: Officer, charlie: Officer
) -> None:
    somchai = OfficerFactory.create(username="somchai", unit=charlie.unit)
    SoftTokenFactory.create(officer=somchai)
    with time_machine.travel(IN_WINDOW, tick=False):
        client.post("/login/", {"username": "bob", "password": PASSWORD})
        client.post("/login/code/", {"code": next_code(bob)})
    # Ten minutes later the step-up has gone stale: the reset asks for a code, typed in Thai.
    later = IN_WINDOW + dt.timedelta(minutes=10)
    with time_machine.travel(later, tick=False):
        response = client.post(
            "/manage/officers/somchai/",
            {
                "action": "reset",
                "reason": "โทรศัพท์หาย",
                "delivery": "in_person",
                "step_up_code": thai(next_code(bob)),
            },
        )
        assert response.status_code in (200, 302), response.status_code
        assert not SoftToken.objects.filter(officer=somchai, status=SoftTokenStatus.ACTIVE).exists()
    # After the close: a late-registration code valid ๓ days.
    closed = dt.datetime(2025, 5, 1, 3, 0, tzinfo=dt.UTC)
    with time_machine.travel(closed, tick=False):
        change_schedule(
            at=closed,
            actor=alice,
            stepped_up_at=closed,
            opens=dt.date(2025, 2, 10),
            closes=dt.date(2025, 4, 11),
            soft_token_only_from=dt.date(2025, 6, 1),
            return_due=dt.date(2025, 7, 30),
        )
        force_sign_in(client, bob)
        response = client.post(
            "/manage/officers/charlie/", {"action": "late", "days": "๓", "delivery": "in_person"}
        )
        assert response.status_code in (200, 302), response.content.decode()[:2000]
        late = RegistrationCode.objects.get(officer=charlie, kind="late")
        assert late.expires_at - late.issued_at == dt.timedelta(days=3)


@time_machine.travel(IN_WINDOW, tick=False)
def test_token_key_serials_and_page_numbers_in_thai_digits(
    client: Client, bob: Officer, erin: Officer, charlie: Officer
) -> None:
    TokenKeyFactory.create(serial="DEMO-TK-0042", officer=charlie)
    force_sign_in(client, bob)
    response = client.post(
        "/manage/token-keys/", {"action": "hand_over", "serials": thai("DEMO-TK-0042")}
    )
    assert response.status_code in (200, 302)
    assert TokenKey.objects.get(serial="DEMO-TK-0042").state == TokenKeyState.HANDED_OVER
    TokenKeyFactory.create(serial="DEMO-TK-0043", officer=charlie)
    client.post("/manage/token-keys/", {"action": "damaged", "serial": thai("DEMO-TK-0043")})
    assert TokenKey.objects.get(serial="DEMO-TK-0043").state == TokenKeyState.DAMAGED
    shipment = create_shipment(thai("DEMO-TK-0042"), actor=bob, at=IN_WINDOW)
    mark_shipped(
        shipment, courier="EMS", tracking_number=thai("EM123456789TH"), actor=bob, at=IN_WINDOW
    )
    shipment.refresh_from_db()
    assert shipment.tracking_number == "EM123456789TH"
    force_sign_in(client, erin)
    page = client.get("/manage/audit-log/", {"page": "๑"})
    assert page.status_code == 200 and 'data-testid="filter-errors"' not in page.content.decode()
