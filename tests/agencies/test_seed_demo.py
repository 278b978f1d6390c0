import datetime as dt
from io import StringIO

import pyotp
import pytest
import time_machine
from django.core.management import call_command
from django.test import Client

from agencies.models import Agency, Officer
from agencies.policy import Kind, Role, is_valid_citizen_id
from gfms_portal.management.commands.seed_demo import (
    DEMO_ADMIN_TOTP_SECRET,
    DEMO_PASSWORD,
    DEMO_TOTP_SECRET,
)
from schedule.models import Schedule
from schedule.policy import CIRCULAR_SCHEDULE, Phase
from tokens.demo import demo_private_key
from tokens.models import SoftToken, SoftTokenStatus, TokenKey

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 11, 26, 4, 0, tzinfo=dt.UTC)


def seed(*args: str) -> str:
    out = StringIO()
    call_command("seed_demo", "--officers", "600", *args, stdout=out)
    return out.getvalue()


@time_machine.travel(NOW, tick=False)
def test_seed_creates_a_tree_officers_in_every_state_and_prints_logins() -> None:
    output = seed()
    assert Officer.objects.filter(role=Role.OFFICER).count() == 600 + 3
    assert Agency.objects.filter(kind=Kind.UNIT).count() == 30
    assert Agency.objects.filter(kind=Kind.UNIT, region="regional").exists()
    statuses = set(SoftToken.objects.values_list("status", flat=True))
    assert statuses == {SoftTokenStatus.ACTIVE, SoftTokenStatus.PENDING}
    assert Officer.objects.filter(soft_tokens__isnull=True, role=Role.OFFICER).exists()
    for username in (
        "cgd.admin",
        "agency.admin",
        "cgd.helpdesk",
        "agency.helpdesk",
        "officer.registered",
        "officer.new",
    ):
        assert username in output
    desk = Officer.objects.get(username="agency.helpdesk")
    assert desk.role == Role.HELPDESK
    assert desk.admin_scope == Officer.objects.get(username="agency.admin").admin_scope
    assert Officer.objects.get(username="cgd.helpdesk").role == Role.CENTRAL_HELPDESK
    assert SoftToken.objects.filter(officer=desk, status=SoftTokenStatus.ACTIVE).exists()
    assert DEMO_PASSWORD in output
    officer = Officer.objects.filter(role=Role.OFFICER).first()
    assert officer is not None
    assert is_valid_citizen_id(officer.citizen_id)


@time_machine.travel(NOW, tick=False)
def test_seed_is_idempotent() -> None:
    seed()
    counts = (Agency.objects.count(), Officer.objects.count(), SoftToken.objects.count())
    assert "(0 new)" in seed()
    assert (Agency.objects.count(), Officer.objects.count(), SoftToken.objects.count()) == counts


@time_machine.travel(NOW, tick=False)
def test_if_empty_skips_a_seeded_database_but_prints_logins() -> None:
    seed()
    output = seed("--if-empty")
    assert "not seeding again" in output
    assert "cgd.admin" in output


@time_machine.travel(NOW, tick=False)
def test_demo_schedule_puts_today_in_the_window() -> None:
    seed()
    schedule = Schedule.load()
    assert schedule.is_demo
    assert schedule.phase_at(NOW) == Phase.WINDOW
    assert "banner-demo" in Client().get("/").content.decode()


@time_machine.travel(NOW, tick=False)
def test_real_dates_keep_the_circular() -> None:
    seed("--real-dates")
    schedule = Schedule.load()
    assert schedule.dates == CIRCULAR_SCHEDULE
    assert not schedule.is_demo


@time_machine.travel(NOW, tick=False)
def test_printed_central_admin_login_works() -> None:
    seed()
    client = Client()
    response = client.post("/login/", {"username": "cgd.admin", "password": DEMO_PASSWORD})
    assert response.status_code == 302
    # The password alone reaches nothing but the second step, not even the Django admin.
    assert response["Location"].startswith("/login/code/")
    assert client.get("/admin/")["Location"].startswith("/login/code/")
    code = pyotp.TOTP(DEMO_ADMIN_TOTP_SECRET).now()  # the printed secret
    assert client.post(response["Location"], {"code": code}).status_code == 302
    assert client.get("/admin/").status_code == 200


@time_machine.travel(NOW, tick=False)
def test_registered_demo_officer_has_the_printed_secret_and_demo_keys_verify() -> None:
    seed()
    token = SoftToken.objects.get(officer__username="officer.registered")
    assert token.secret == DEMO_TOTP_SECRET
    assert pyotp.TOTP(DEMO_TOTP_SECRET).now().isdigit()
    device = TokenKey.objects.first()
    assert device is not None
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    public = serialization.load_pem_public_key(device.public_key_pem.encode())
    assert isinstance(public, ec.EllipticCurvePublicKey)
    signature = demo_private_key(device.serial).sign(b"challenge", ec.ECDSA(hashes.SHA256()))
    public.verify(signature, b"challenge", ec.ECDSA(hashes.SHA256()))


@time_machine.travel(NOW, tick=False)
def test_printed_links_follow_the_portal_url(settings) -> None:
    settings.GFMS_PORTAL_URL = "http://127.0.0.1:8765/"
    output = seed()
    assert "http://127.0.0.1:8765/login/" in output
    assert "http://127.0.0.1:8765/demo/gfms-login/" in output
    assert ":8000" not in output


@time_machine.travel(NOW, tick=False)
def test_the_registered_officer_has_printed_recovery_codes_that_work() -> None:
    from gfms_portal.management.commands.seed_demo import DEMO_RECOVERY_CODES
    from tokens.possession import recovery_codes_left

    output = seed()
    officer = Officer.objects.get(username="officer.registered")
    assert recovery_codes_left(officer) == 10
    assert all(code in output for code in DEMO_RECOVERY_CODES)
    # The phone-replacement journey of the README starts with one of them.
    client = Client()
    client.force_login(officer)
    response = client.post(
        "/account/verify/", {"code": DEMO_RECOVERY_CODES[0], "next": "account_replace_phone"}
    )
    assert response["Location"] == "/account/replace-phone/"
    assert "(0 new)" in seed()  # printed again on the next make run, not re-created
    assert recovery_codes_left(officer) == 9


def test_the_in_progress_officer_says_when_its_registration_expires() -> None:
    with time_machine.travel(NOW, tick=False):
        output = seed()
    # NOW is 11:00 in Bangkok; a QR code waits 10 minutes for its first code.
    assert "in progress until 26 พ.ย. 2569 11:10 น." in output
    with time_machine.travel(NOW + dt.timedelta(minutes=11), tick=False):
        later = seed("--if-empty")
    assert "expired at 26 พ.ย. 2569 11:10 น." in later
