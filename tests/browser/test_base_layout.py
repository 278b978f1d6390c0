"""The base layout on a 360 px phone and by keyboard alone, with the Thai web font we serve."""

import pytest

from tests.browser.conftest import screenshot
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def test_home_fits_a_phone_and_uses_our_thai_font(live_server, phone) -> None:
    phone.goto(live_server.url + "/")
    phone.wait_for_load_state("networkidle")
    assert phone.locator("html").get_attribute("lang") == "th"
    assert phone.locator("h1").inner_text() == "เข้าสู่ระบบ GFMS ด้วย Soft Token"
    # Nothing wider than the screen: no sideways scrolling on a phone.
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    # The page's Thai text is rendered with Sarabun, loaded from our own static files.
    assert phone.evaluate("document.fonts.check('16px Sarabun', 'ทดสอบ')")
    loaded = phone.evaluate(
        "[...document.fonts].filter(f => f.status === 'loaded').map(f => f.family)"
    )
    assert any("Sarabun" in family for family in loaded)
    screenshot(phone, "home-phone-th")


def test_keyboard_only_login_and_language_switch(live_server, desktop, charlie) -> None:
    page = desktop
    page.goto(live_server.url + "/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    assert page.locator(".skip-link").is_visible()
    # Tab to the login link and follow it with Enter.
    for _ in range(5):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.getAttribute('href')") == "/login/":
            break
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith("/login/")
    # The user id field has focus (autofocus lands after load on a busy machine: wait for it).
    page.wait_for_function("document.activeElement && document.activeElement.id === 'id_username'")
    page.keyboard.type("charlie")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url("**/account/")
    assert "charlie" in page.locator("main").inner_text()
    screenshot(page, "account-desktop-th")
    # Switch to English with the keyboard: focus the English button and press Enter.
    page.locator("button[value=en]").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("h1").inner_text() == "My account"
