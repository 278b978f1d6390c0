"""The officer's registration, step by step through the portal, with real codes and e-mails."""

import datetime as dt
import re
from urllib.parse import parse_qs, unquote, urlparse

import pytest
import time_machine
from django.core import mail
from django.test import Client

from agencies.models import Officer
from audit.models import AuditEvent
from registration.models import IdentityCheck, RegistrationCode
from tests.conftest import PASSWORD, first_group
from tests.factories import RegistrationCodeFactory
from tests.totp_reference import phone_code
from tokens.models import RecoveryCode, SoftToken, SoftTokenStatus

pytestmark = pytest.mark.django_db
IN_WINDOW = dt.datetime(2025, 3, 1, 3, 0, tzinfo=dt.UTC)
BEFORE = dt.datetime(2025, 1, 20, 3, 0, tzinfo=dt.UTC)
AFTER = dt.datetime(2025, 4, 20, 3, 0, tzinfo=dt.UTC)


@pytest.fixture
def officer_client(client: Client, charlie: Officer) -> Client:
    response = client.post("/login/", {"username": "charlie", "password": PASSWORD})
    assert response.status_code == 302
    return client


def citizen_id_of(officer: Officer) -> str:
    return officer.citizen_id


def email_code(django_capture_on_commit_callbacks) -> str:
    return first_group(r"\b(\d{6})\b", str(mail.outbox[-1].body))


def through_identity(client: Client, officer: Officer, capture) -> None:
    with capture(execute=True):
        response = client.post("/register/", {"citizen_id": citizen_id_of(officer)})
    assert response.status_code == 302, response.content.decode()[:3000]
    assert response["Location"] == "/register/email/"
    code = first_group(r"\b(\d{6})\b", str(mail.outbox[-1].body))
    response = client.post("/register/email/", {"code": code})
    assert response["Location"] == "/register/warning/"


def secret_from_page(client: Client) -> tuple[str, str]:
    page = client.get("/register/qr/")
    assert page.status_code == 200
    assert "no-store" in page["Cache-Control"]
    body = page.content.decode()
    uri = first_group(r'href="(otpauth://[^"]+)"', body).replace("&amp;", "&")
    secret = parse_qs(urlparse(uri).query)["secret"][0]
    return secret, uri


@time_machine.travel(IN_WINDOW, tick=False)
def test_whole_registration_in_the_window(
    officer_client: Client, charlie: Officer, django_capture_on_commit_callbacks
) -> None:
    through_identity(officer_client, charlie, django_capture_on_commit_callbacks)
    assert officer_client.post("/register/warning/")["Location"] == "/register/qr/"
    secret, uri = secret_from_page(officer_client)
    assert unquote(urlparse(uri).path) == "/GFMS Thai:charlie"
    assert parse_qs(urlparse(uri).query) == {
        "secret": [secret], "issuer": ["GFMS Thai"], "algorithm": ["SHA1"], "digits": ["6"], "period": ["30"],
    }  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        response = officer_client.post("/register/qr/", {"code": phone_code(secret, IN_WINDOW)})
    codes_url = response["Location"]
    assert codes_url.startswith("/register/codes/?r=")
    token = SoftToken.objects.get(officer=charlie, status=SoftTokenStatus.ACTIVE)
    assert token.last_used_step == int(IN_WINDOW.timestamp()) // 30  # the confirming step is used
    codes_page = officer_client.get(codes_url).content.decode()
    codes = re.findall(r"<code>(\d{4}-\d{4}-\d{4}-\d{4}-\d{4})</code>", codes_page)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert RecoveryCode.objects.filter(officer=charlie, used_at__isnull=True).count() == 10
    assert all(
        code.replace("-", "") not in RecoveryCode.objects.values_list("code_hash", flat=True)
        for code in codes
    )
    assert "data:text/plain" in codes_page
    # Shown once: the page does not show them again, not even with the same link.
    assert officer_client.get(codes_url)["Location"] == "/register/done/"
    assert Client().get(codes_url).status_code == 302  # nor to anyone else
    assert (
        "registration_done" in [m.subject and "registered" for m in mail.outbox]
        or len(mail.outbox) == 2
    )
    actions = set(AuditEvent.objects.filter(officer=charlie).values_list("action", flat=True))
    assert {
        "registration.email_code_sent",
        "soft_token.registration_started",
        "soft_token.bound",
    } <= actions


@time_machine.travel(IN_WINDOW, tick=False)
def test_wrong_citizen_id_counts_toward_lockout_and_typos_do_not(
    officer_client: Client, charlie: Officer
) -> None:
    response = officer_client.post("/register/", {"citizen_id": "1101700207031"})  # bad check digit
    assert "check digit" in response.content.decode() or "หลักตรวจสอบ" in response.content.decode()
    assert Officer.objects.get(pk=charlie.pk).failed_logins == 0
    other = "1101700207030" if citizen_id_of(charlie) != "1101700207030" else "1234567890121"
    response = officer_client.post("/register/", {"citizen_id": other})
    assert response.status_code == 200
    assert Officer.objects.get(pk=charlie.pk).failed_logins == 1
    assert not IdentityCheck.objects.exists()


@time_machine.travel(IN_WINDOW, tick=False)
def test_citizen_id_with_thai_digits_and_dashes(
    officer_client: Client, charlie: Officer, django_capture_on_commit_callbacks
) -> None:
    thai = citizen_id_of(charlie).translate(str.maketrans("0123456789", "๐๑๒๓๔๕๖๗๘๙"))
    typed = f"{thai[0]}-{thai[1:5]}-{thai[5:10]}-{thai[10:12]}-{thai[12]}"
    with django_capture_on_commit_callbacks(execute=True):
        response = officer_client.post("/register/", {"citizen_id": typed})
    assert response["Location"] == "/register/email/"


def test_email_code_expires_and_dies_after_five_wrong_tries(
    officer_client: Client, charlie: Officer, django_capture_on_commit_callbacks
) -> None:
    with time_machine.travel(IN_WINDOW, tick=False) as clock:
        with django_capture_on_commit_callbacks(execute=True):
            officer_client.post("/register/", {"citizen_id": citizen_id_of(charlie)})
        code = first_group(r"\b(\d{6})\b", str(mail.outbox[-1].body))
        wrong = "000000" if code != "000000" else "111111"
        for _ in range(5):
            officer_client.post("/register/email/", {"code": wrong})
        response = officer_client.post("/register/email/", {"code": code})
        assert response.status_code == 200  # the right code no longer works
        assert IdentityCheck.objects.get().verified_at is None
        # A fresh code, typed with spaces and Thai digits after 11 minutes: expired.
        with django_capture_on_commit_callbacks(execute=True):
            officer_client.post("/register/", {"citizen_id": citizen_id_of(charlie)})
        code = first_group(r"\b(\d{6})\b", str(mail.outbox[-1].body))
        clock.move_to(IN_WINDOW + dt.timedelta(minutes=11))
        response = officer_client.post("/register/email/", {"code": code})
        assert response.status_code == 200
        assert IdentityCheck.objects.filter(verified_at__isnull=False).count() == 0


@time_machine.travel(IN_WINDOW, tick=False)
def test_email_code_with_spaces_and_thai_digits(
    officer_client: Client, charlie: Officer, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        officer_client.post("/register/", {"citizen_id": citizen_id_of(charlie)})
    code = first_group(r"\b(\d{6})\b", str(mail.outbox[-1].body))
    typed = " ".join(code.translate(str.maketrans("0123456789", "๐๑๒๓๔๕๖๗๘๙")))
    assert (
        officer_client.post("/register/email/", {"code": typed})["Location"] == "/register/warning/"
    )


def test_pending_token_expires_after_ten_minutes(
    officer_client: Client, charlie: Officer, django_capture_on_commit_callbacks
) -> None:
    with time_machine.travel(IN_WINDOW, tick=False) as clock:
        through_identity(officer_client, charlie, django_capture_on_commit_callbacks)
        officer_client.post("/register/warning/")
        secret, _uri = secret_from_page(officer_client)
        later = IN_WINDOW + dt.timedelta(minutes=10)
        clock.move_to(later)
        response = officer_client.post("/register/qr/", {"code": phone_code(secret, later)})
        assert response["Location"] == "/register/"
    assert not SoftToken.objects.filter(officer=charlie, status=SoftTokenStatus.ACTIVE).exists()


@time_machine.travel(IN_WINDOW, tick=False)
def test_clock_skew_is_explained(
    officer_client: Client, charlie: Officer, django_capture_on_commit_callbacks
) -> None:
    through_identity(officer_client, charlie, django_capture_on_commit_callbacks)
    officer_client.post("/register/warning/")
    secret, _uri = secret_from_page(officer_client)
    response = officer_client.post(
        "/register/qr/",
        {"code": phone_code(secret, IN_WINDOW, offset=6)},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    body = response.content.decode()
    assert "3 minutes fast" in body or "เร็วไปประมาณ 3 นาที" in body
    response = officer_client.post(
        "/register/qr/", {"code": phone_code(secret, IN_WINDOW, offset=-4)}
    )
    assert "2" in response.content.decode()
    assert not SoftToken.objects.filter(officer=charlie, status=SoftTokenStatus.ACTIVE).exists()


@time_machine.travel(IN_WINDOW, tick=False)
def test_two_tabs_share_one_qr_code(
    officer_client: Client, charlie: Officer, django_capture_on_commit_callbacks
) -> None:
    through_identity(officer_client, charlie, django_capture_on_commit_callbacks)
    officer_client.post("/register/warning/")
    first_tab, _ = secret_from_page(officer_client)
    # The same browser, another tab, through the steps again: the same pending token.
    assert officer_client.post("/register/warning/")["Location"] == "/register/qr/"
    second_tab, _ = secret_from_page(officer_client)
    assert first_tab == second_tab
    assert SoftToken.objects.filter(officer=charlie, status=SoftTokenStatus.PENDING).count() == 1


@time_machine.travel(IN_WINDOW, tick=False)
def test_two_browsers_leave_one_consistent_token(
    charlie: Officer, django_capture_on_commit_callbacks
) -> None:
    office_pc, laptop = Client(), Client()
    for browser in (office_pc, laptop):
        browser.post("/login/", {"username": "charlie", "password": PASSWORD})
    through_identity(office_pc, charlie, django_capture_on_commit_callbacks)
    office_pc.post("/register/warning/")
    first_secret, _ = secret_from_page(office_pc)
    through_identity(laptop, charlie, django_capture_on_commit_callbacks)
    laptop.post("/register/warning/")
    second_secret, _ = secret_from_page(laptop)
    assert first_secret != second_secret
    # The older QR no longer works; the newer one does.
    assert (
        office_pc.post("/register/qr/", {"code": phone_code(first_secret, IN_WINDOW)})["Location"]
        == "/register/"
    )
    assert not SoftToken.objects.filter(officer=charlie, status=SoftTokenStatus.ACTIVE).exists()
    with django_capture_on_commit_callbacks(execute=True):
        laptop.post("/register/qr/", {"code": phone_code(second_secret, IN_WINDOW)})
    assert SoftToken.objects.filter(officer=charlie, status=SoftTokenStatus.ACTIVE).count() == 1
    assert SoftToken.objects.filter(officer=charlie, status=SoftTokenStatus.PENDING).count() == 0
    # The back button after confirming and viewing the codes: back to the start, which says
    # the officer is registered.
    laptop.get(laptop.get("/register/qr/")["Location"])  # the codes, once
    assert laptop.get("/register/qr/")["Location"] == "/register/"


@time_machine.travel(BEFORE, tick=False)
def test_before_the_window_says_when_it_opens(officer_client: Client) -> None:
    body = officer_client.get("/register/").content.decode()
    assert "10 กุมภาพันธ์ 2568" in body
    assert 'name="citizen_id"' not in body


@time_machine.travel(AFTER, tick=False)
def test_after_the_window_a_late_registration_code_is_needed(
    officer_client: Client, charlie: Officer, alice: Officer, django_capture_on_commit_callbacks
) -> None:
    response = officer_client.post("/register/", {"citizen_id": citizen_id_of(charlie)})
    assert response.status_code == 200
    assert not IdentityCheck.objects.exists()
    RegistrationCodeFactory.create(
        officer=charlie, code="LATE2568CODE", issued_by=alice, issued_at=AFTER
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = officer_client.post(
            "/register/",
            {"citizen_id": citizen_id_of(charlie), "registration_code": "late 2568 code"},
        )
    assert response["Location"] == "/register/email/"
    code = first_group(r"\b(\d{6})\b", str(mail.outbox[-1].body))
    officer_client.post("/register/email/", {"code": code})
    officer_client.post("/register/warning/")
    secret, _ = secret_from_page(officer_client)
    with django_capture_on_commit_callbacks(execute=True):
        officer_client.post("/register/qr/", {"code": phone_code(secret, AFTER)})
    assert SoftToken.objects.filter(officer=charlie, status=SoftTokenStatus.ACTIVE).exists()
    assert RegistrationCode.objects.get().used_at == AFTER


def test_registration_needs_login(client: Client) -> None:
    assert client.get("/register/")["Location"].startswith("/login/")


@time_machine.travel(IN_WINDOW, tick=False)
def test_a_registered_officer_cannot_replace_the_token_by_identity_check_alone(
    officer_client: Client,
    charlie: Officer,
    django_capture_on_commit_callbacks,
) -> None:
    from tests.factories import SoftTokenFactory

    SoftTokenFactory.create(officer=charlie)
    assert officer_client.get("/register/")["Location"] == "/account/"
    assert (
        officer_client.post("/register/", {"citizen_id": citizen_id_of(charlie)})["Location"]
        == "/account/"
    )
    assert not IdentityCheck.objects.exists()


@time_machine.travel(IN_WINDOW, tick=False)
def test_double_clicks_leave_one_consistent_state(
    officer_client: Client, charlie: Officer, django_capture_on_commit_callbacks
) -> None:
    cid = citizen_id_of(charlie)
    with django_capture_on_commit_callbacks(execute=True):
        first = officer_client.post("/register/", {"citizen_id": cid})
        second = officer_client.post("/register/", {"citizen_id": cid})
    assert first["Location"] == second["Location"] == "/register/email/"
    assert IdentityCheck.objects.count() == 1 and len(mail.outbox) == 1  # one e-mail, one code
    code = first_group(r"\b(\d{6})\b", str(mail.outbox[-1].body))
    officer_client.post("/register/email/", {"code": code})
    assert officer_client.post("/register/warning/")["Location"] == "/register/qr/"
    assert officer_client.post("/register/warning/")["Location"] == "/register/qr/"
    assert SoftToken.objects.filter(officer=charlie, status=SoftTokenStatus.PENDING).count() == 1
    secret, _ = secret_from_page(officer_client)
    code = phone_code(secret, IN_WINDOW)
    with django_capture_on_commit_callbacks(execute=True):
        first_to = officer_client.post("/register/qr/", {"code": code})["Location"]
        # The second click of a double-click still leads to the same recovery codes.
        second_to = officer_client.post("/register/qr/", {"code": code})["Location"]
    assert first_to == second_to and first_to.startswith("/register/codes/?r=")
    assert len(re.findall(r"<code>\d{4}-", officer_client.get(second_to).content.decode())) == 10
    assert SoftToken.objects.filter(officer=charlie, status=SoftTokenStatus.ACTIVE).count() == 1


@time_machine.travel(IN_WINDOW, tick=False)
def test_the_confirming_code_cannot_be_replayed_at_the_gateway(
    officer_client: Client, charlie: Officer, django_capture_on_commit_callbacks
) -> None:
    from auth_gateway.services import create_service_client

    through_identity(officer_client, charlie, django_capture_on_commit_callbacks)
    officer_client.post("/register/warning/")
    secret, _ = secret_from_page(officer_client)
    code = phone_code(secret, IN_WINDOW)
    with django_capture_on_commit_callbacks(execute=True):
        officer_client.post("/register/qr/", {"code": code})
    _client, key = create_service_client("gfms", at=IN_WINDOW, actor_label="test")
    answer = (
        Client()
        .post(
            "/api/v1/auth/check",
            {"username": "charlie", "password": PASSWORD, "method": "soft_token", "otp": code},
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {key}",
        )
        .json()
    )
    assert (answer["decision"], answer["reason"]) == ("deny", "otp_reused")
