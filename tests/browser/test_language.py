"""Thai first in a real browser: an English-language Chromium gets the Thai portal until the
person picks English, and the choice then holds on every page."""

import pytest

from tests.browser.conftest import screenshot

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


@pytest.fixture
def english_browser(browser):
    """A desktop whose browser language is American English (Accept-Language: en-US)."""
    context = browser.new_context(viewport={"width": 1280, "height": 860}, locale="en-US")
    page = context.new_page()
    yield page
    context.close()


def test_an_english_browser_gets_thai_until_english_is_chosen(live_server, english_browser):
    page = english_browser
    assert page.evaluate("navigator.language") == "en-US"
    page.goto(live_server.url + "/")
    assert page.locator("html").get_attribute("lang") == "th"
    assert page.locator("h1").inner_text() == "เข้าสู่ระบบ GFMS ด้วย Soft Token"
    page.goto(live_server.url + "/login/")
    assert page.locator("html").get_attribute("lang") == "th"
    screenshot(page, "language-en-browser-thai-page")
    with page.expect_navigation():
        page.click("button[value=en]")
    assert page.locator("html").get_attribute("lang") == "en"
    for path in ("/", "/register/", "/login/"):
        page.goto(live_server.url + path)
        assert page.locator("html").get_attribute("lang") == "en", path
    assert "Log in" in page.locator("main").inner_text()
    with page.expect_navigation():
        page.click("button[value=th]")
    assert page.locator("html").get_attribute("lang") == "th"
