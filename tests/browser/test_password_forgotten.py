"""The forgotten password as a person goes through it on a 390-px phone, in Chromium: the
link on the sign-in page, the user id, the code from the e-mail with a code from the app, the
new password (a rule refused first, in Thai), then a sign-in with it. axe-core on every page."""

import datetime as dt

import pytest
from django.core import mail

from tests.browser.conftest import check_page
from tests.conftest import first_group
from tests.factories import DEMO_SECRET, SoftTokenFactory
from tests.totp_reference import phone_code

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]
NEW_PASSWORD = "ฝนตกที่เชียงใหม่ทุกเย็นวันศุกร์"


@pytest.mark.parametrize("screen", ["phone"], indirect=True)
def test_an_officer_resets_a_forgotten_password(live_server, screen, charlie) -> None:
    SoftTokenFactory.create(officer=charlie)
    page = screen
    page.goto(live_server.url + "/login/")
    page.click("[data-testid=forgot-password]")
    page.wait_for_url("**/login/password/")
    check_page(page, "password-1-user-id")

    page.fill("#id_username", "charlie")
    page.click("main button[type=submit]")
    page.wait_for_url("**/login/password/codes/")
    check_page(page, "password-2-codes")
    assert "charlie" in page.inner_text("[data-testid=code-sent]")

    (message,) = [m for m in mail.outbox if m.to == [charlie.email]]
    page.fill("#id_email_code", first_group(r"(\d{6})", str(message.body)))
    page.fill("#id_token_code", phone_code(DEMO_SECRET, dt.datetime.now(dt.UTC)))
    page.click("main button[type=submit]")
    page.wait_for_url("**/login/password/new/")
    check_page(page, "password-3-new")

    # A password made of the user id is refused, saying why, in Thai.
    page.fill("#id_new_password", "charlie-2568-2568")
    page.fill("#id_new_password_again", "charlie-2568-2568")
    page.click("main button[type=submit]")
    error = page.locator("#id_new_password_error").inner_text()
    assert "รหัสผู้ใช้" in error
    check_page(page, "password-3-new-refused")

    page.fill("#id_new_password", NEW_PASSWORD)
    page.fill("#id_new_password_again", NEW_PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url("**/login/password/done/")
    check_page(page, "password-4-done")

    page.click("main a.button")
    page.wait_for_url("**/login/")
    page.fill("#id_username", "charlie")
    page.fill("#id_password", NEW_PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url("**/account/")
