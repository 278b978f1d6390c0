"""The officer's whole registration as a person does it, in Chromium: sign in, citizen ID,
e-mail code, warning, QR code — read from the screen and decoded with a QR library, codes
from an independent TOTP implementation — recovery codes, then a GFMS login through the
gateway with a fresh code. A screenshot of every step."""

import datetime as dt
import io
import json
import re
import urllib.request
from urllib.parse import parse_qs, urlparse

import pytest
import zxingcpp
from django.core import mail
from PIL import Image

from auth_gateway.services import create_service_client
from tests.browser.conftest import screenshot
from tests.conftest import PASSWORD, first_group
from tests.totp_reference import phone_code
from tokens.models import RecoveryCode, SoftToken, SoftTokenStatus

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


@pytest.fixture
def open_window(settings):
    """Today inside the registration window (the live server uses the real clock)."""
    from django.core.management import call_command

    today = dt.datetime.now(dt.UTC).date()
    call_command(
        "set_schedule",
        "--opens", str(today - dt.timedelta(days=30)),
        "--closes", str(today + dt.timedelta(days=30)),
        "--soft-token-only-from", str(today + dt.timedelta(days=31)),
        "--return-due", str(today + dt.timedelta(days=80)),
        stdout=io.StringIO(),
    )  # fmt: skip


def decode_qr(png: bytes) -> str:
    results = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    assert results, "no QR code found in the screenshot"
    return results[0].text


def test_officer_registers_with_a_phone(live_server, phone, charlie, open_window) -> None:
    page = phone
    page.goto(live_server.url + "/login/")
    page.fill("#id_username", "charlie")
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url("**/account/")
    page.click("text=ลงทะเบียนเลย")
    page.wait_for_url("**/register/")
    screenshot(page, "register-1-citizen-id")

    # Step 1: the citizen ID, typed with dashes as on the card.
    cid = charlie.citizen_id
    page.fill("#id_citizen_id", f"{cid[0]}-{cid[1:5]}-{cid[5:10]}-{cid[10:12]}-{cid[12]}")
    page.click("main button[type=submit]")
    page.wait_for_url("**/register/email/")
    screenshot(page, "register-2-email-code")

    # Step 2: the code from the e-mail.
    assert mail.outbox, "the identity e-mail was not sent"
    code = first_group(r"\b(\d{6})\b", str(mail.outbox[-1].body))
    page.fill("#id_code", code)
    page.click("main button[type=submit]")
    page.wait_for_url("**/register/warning/")
    assert "Soft Token เท่านั้น" in page.inner_text("main")
    screenshot(page, "register-3-warning")

    # Step 3 → 4: the QR code, read off the screen like a phone camera would.
    page.click("main button[type=submit]")
    page.wait_for_url("**/register/qr/")
    screenshot(page, "register-4-qr")
    uri = decode_qr(page.locator("[data-testid=qr]").screenshot())
    parsed = urlparse(uri)
    assert parsed.scheme == "otpauth" and parsed.netloc == "totp"
    assert parsed.path == "/GFMS%20Thai:charlie"
    query = parse_qs(parsed.query)
    secret = query["secret"][0]
    assert (
        query["issuer"] == ["GFMS Thai"] and query["digits"] == ["6"] and query["period"] == ["30"]
    )
    # The key shown for typing is the same secret, in groups of four.
    assert page.inner_text("[data-testid=secret]").replace(" ", "") == secret
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    # Step 4: confirm with the phone's current code.
    page.fill("#id_code", phone_code(secret, dt.datetime.now(dt.UTC)))
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r".*/register/codes/\?r=.+"))
    codes = page.locator("[data-testid=recovery-codes] code").all_inner_texts()
    assert len(codes) == 10
    assert all(re.fullmatch(r"\d{4}-\d{4}-\d{4}-\d{4}-\d{4}", c) for c in codes)
    screenshot(page, "register-5-recovery-codes")
    assert RecoveryCode.objects.filter(officer=charlie, used_at__isnull=True).count() == 10

    page.click("text=บันทึกแล้ว — เสร็จสิ้น")
    page.wait_for_url("**/register/done/")
    screenshot(page, "register-6-done")
    assert SoftToken.objects.get(officer=charlie, status=SoftTokenStatus.ACTIVE)
    assert any("ลงทะเบียน Soft Token ของ GFMS เรียบร้อยแล้ว" in m.subject for m in mail.outbox)

    # The officer logs in to GFMS through the gateway with a fresh code (the next time step:
    # the confirming one is used up).
    _client, key = create_service_client("journey", at=dt.datetime.now(dt.UTC), actor_label="test")
    body = json.dumps(
        {
            "username": "charlie",
            "password": PASSWORD,
            "method": "soft_token",
            "otp": phone_code(secret, dt.datetime.now(dt.UTC), offset=1),
        }
    ).encode()
    request = urllib.request.Request(  # noqa: S310
        live_server.url + "/api/v1/auth/check",
        data=body,
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        answer = json.loads(response.read())
    assert (answer["decision"], answer["reason"], answer["aal"]) == ("allow", "ok", 2)
    # ...and the confirming code itself cannot be replayed at the gateway.
    replay = dict(json.loads(body), otp=phone_code(secret, dt.datetime.now(dt.UTC), offset=1))
    request = urllib.request.Request(  # noqa: S310
        live_server.url + "/api/v1/auth/check",
        data=json.dumps(replay).encode(),
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        assert json.loads(response.read())["reason"] == "otp_reused"

    # A lost phone: replace it with one of the saved recovery codes.
    page.goto(live_server.url + "/account/")
    screenshot(page, "register-7-status")
    page.click("text=เปลี่ยนโทรศัพท์")
    page.wait_for_url("**/account/verify/**")
    page.fill("#id_code", codes[3])
    page.click("main button[type=submit]")
    page.wait_for_url("**/account/replace-phone/")
    screenshot(page, "register-8-replace-phone")
    page.click("main button[type=submit]")
    page.wait_for_url("**/register/qr/")
    new_uri = decode_qr(page.locator("[data-testid=qr]").screenshot())
    new_secret = parse_qs(urlparse(new_uri).query)["secret"][0]
    assert new_secret != secret
    page.fill("#id_code", phone_code(new_secret, dt.datetime.now(dt.UTC)))
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r".*/register/codes/\?r=.+"))
    screenshot(page, "register-9-new-recovery-codes")
    active = SoftToken.objects.get(officer=charlie, status=SoftTokenStatus.ACTIVE)
    assert active.secret == new_secret
    assert RecoveryCode.objects.filter(officer=charlie, used_at__isnull=False).count() == 1


def test_registration_steps_work_by_keyboard_alone(
    live_server, desktop, charlie, open_window
) -> None:
    page = desktop
    page.goto(live_server.url + "/login/")
    # The user id field has focus (autofocus): wait for it, a loaded machine may lag.
    page.wait_for_function("document.activeElement && document.activeElement.id === 'id_username'")
    page.keyboard.type("charlie")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "/login/" not in page.url, "the keyboard sign-in did not go through"
    page.goto(live_server.url + "/register/")
    page.locator("#id_citizen_id").focus()
    page.keyboard.type(charlie.citizen_id)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith("/register/email/")
    code = first_group(r"\b(\d{6})\b", str(mail.outbox[-1].body))
    page.locator("#id_code").focus()
    page.keyboard.type(code)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith("/register/warning/")
    # Tab to the one button on the warning page and press it.
    page.locator("main button[type=submit]").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith("/register/qr/")
    secret = page.inner_text("[data-testid=secret]").replace(" ", "")
    page.locator("#id_code").focus()
    page.keyboard.type(phone_code(secret, dt.datetime.now(dt.UTC)))
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "/register/codes/" in page.url
    assert page.evaluate("document.activeElement !== null")
