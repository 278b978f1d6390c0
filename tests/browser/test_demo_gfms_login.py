"""The demo GFMS login page, driven in Chromium: it calls the gateway over HTTP like a real
front-end. Each demo officer logs in, and each phase shows the right refusal."""

from io import StringIO

import pyotp
import pytest
from django.core.management import call_command

from gfms_portal.management.commands.seed_demo import DEMO_PASSWORD, DEMO_TOTP_SECRET
from tests.browser.conftest import screenshot

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


@pytest.fixture
def demo(settings, live_server):
    settings.GFMS_DEMO_FRONTEND = True
    call_command("seed_demo", "--officers", "40", stdout=StringIO())
    return live_server.url + "/demo/gfms-login/"


def open_user(page, url: str, username: str) -> None:
    page.goto(url)
    page.fill("#demo-username", username)
    page.click("text=ดำเนินการต่อ")


def answer(page) -> tuple[str, str]:
    return page.inner_text("[data-testid=reason]"), page.inner_text("[data-testid=message-th]")


def test_each_demo_officer_in_the_window(demo: str, desktop) -> None:
    page = desktop
    # Registered: soft token only, with a real code from the demo secret.
    open_user(page, demo, "officer.registered")
    assert page.inner_text("[data-testid=phase]") == "window"
    # In words first (Thai), the API's code beside them for the integrator.
    assert page.inner_text("[data-testid=phase-label]") == "ช่วงลงทะเบียน"
    assert "Soft Token" in page.inner_text("[data-testid=methods-label]")
    # The same offer for everyone (who has registered is not revealed before the password).
    assert page.inner_text("[data-testid=methods]") == "soft_token, token_key, password"
    page.fill("#st-password", DEMO_PASSWORD)
    page.fill("#st-otp", pyotp.TOTP(DEMO_TOTP_SECRET).now())
    page.click("#form-soft_token button[type=submit]")
    assert answer(page)[0] == "ok"
    assert page.inner_text("[data-testid=reason-label]") == "อนุญาต"
    screenshot(page, "demo-login-soft-token-allowed")

    # Not registered: password still works in the window (AAL1)...
    open_user(page, demo, "officer.new")
    assert page.inner_text("[data-testid=methods]") == "soft_token, token_key, password"
    page.fill("#pw-password", DEMO_PASSWORD)
    page.click("#form-password button[type=submit]")
    assert answer(page)[0] == "ok"
    assert "AAL1" in page.inner_text("[data-testid=decision]")

    # ...and so does the Token Key, signed with the demo key.
    open_user(page, demo, "officer.new")
    page.fill("#tk-serial", "DEMO-TK-0001")
    page.click("#form-token_key button[type=submit]")
    page.fill("#tk-password", DEMO_PASSWORD)
    page.click("#form-token_key button[type=submit]")
    assert answer(page)[0] == "ok"
    screenshot(page, "demo-login-token-key-allowed")

    # A registered officer trying the password alone is refused with guidance.
    open_user(page, demo, "officer.registered")
    page.click("text=ลองใช้วิธีที่ไม่ได้เสนอ")
    page.select_option("#other-method", "password")
    page.fill("#other-password", DEMO_PASSWORD)
    page.click("#form-other button[type=submit]")
    reason, message = answer(page)
    assert reason == "method_not_allowed"
    assert "Soft Token" in message


def test_refusals_after_the_cutover(demo: str, phone) -> None:
    page = phone
    page.goto(demo)
    page.click("button[name=phase][value=soft_token_only]")
    open_user(page, demo, "officer.new")
    assert page.inner_text("[data-testid=phase]") == "soft_token_only"
    # After the cutover the form offers the soft token to everyone; the answer says the rest.
    assert page.inner_text("[data-testid=methods]") == "soft_token"
    page.click("text=ลองใช้วิธีที่ไม่ได้เสนอ")
    page.fill("#other-password", DEMO_PASSWORD)
    page.click("#form-other button[type=submit]")
    reason, message = answer(page)
    assert reason == "not_registered"
    assert "รหัสลงทะเบียนล่าช้า" in message  # "late-registration code"
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(page, "demo-login-refused-after-cutover-phone")

    # The registered officer still gets in.
    open_user(page, demo, "officer.registered")
    page.fill("#st-password", DEMO_PASSWORD)
    page.fill("#st-otp", pyotp.TOTP(DEMO_TOTP_SECRET).now())
    page.click("#form-soft_token button[type=submit]")
    assert answer(page)[0] == "ok"


def test_wrong_password_looks_like_unknown_user(demo: str, desktop) -> None:
    page = desktop
    open_user(page, demo, "officer.new")
    page.fill("#pw-password", "wrong password")
    page.click("#form-password button[type=submit]")
    assert answer(page)[0] == "invalid_credentials"


def test_demo_is_off_unless_enabled(settings, client) -> None:
    settings.GFMS_DEMO_FRONTEND = False
    assert client.get("/demo/gfms-login/").status_code == 404
