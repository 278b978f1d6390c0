"""/api/docs/ in Chromium: ReDoc renders from our own static files under the Content-Security-
Policy (the autouse watcher in conftest.py fails the test on any violation), and the page asks
no host but ours. Also: the watcher itself notices a violation."""

from urllib.parse import urlsplit

import pytest

from tests.browser.conftest import screenshot

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def test_redoc_renders_under_the_csp_from_this_server_only(live_server, desktop) -> None:
    ours = urlsplit(live_server.url).netloc
    elsewhere: list[str] = []

    def on_request(request) -> None:
        parts = urlsplit(request.url)
        # blob: (ReDoc's search worker) and data: (icons) never leave the browser.
        if parts.scheme not in ("blob", "data") and parts.netloc != ours:
            elsewhere.append(request.url)

    desktop.context.on("request", on_request)
    desktop.goto(live_server.url + "/api/docs/")
    # An operation's summary from the schema, rendered by ReDoc into the menu and the body.
    title = desktop.get_by_role("heading", name="Decide one GFMS login")
    title.wait_for(state="visible", timeout=20_000)
    desktop.wait_for_load_state("networkidle")
    # ReDoc's own styles applied (its <style> elements carry the response's nonce): the
    # three-panel layout puts the menu at the left edge and the docs beside it.
    menu = desktop.locator(".menu-content")
    assert menu.is_visible()
    assert menu.bounding_box()["x"] == 0
    assert title.bounding_box()["x"] > menu.bounding_box()["width"]
    assert desktop.evaluate("document.querySelectorAll('style[data-styled]').length") > 0
    # The search box works: it runs in ReDoc's blob: worker.
    desktop.get_by_placeholder("Search...").fill("challenge")
    desktop.locator("[data-role='search:results']").first.wait_for(timeout=10_000)
    assert elsewhere == []
    screenshot(desktop, "api-docs-desktop")


def test_the_watcher_reports_a_violation(live_server, desktop, no_csp_violations) -> None:
    desktop.goto(live_server.url + "/")
    desktop.evaluate(
        "document.body.insertAdjacentHTML('beforeend', '<p style=\"color: red\">injected</p>')"
    )
    desktop.wait_for_function("document.readyState === 'complete'")
    desktop.wait_for_timeout(200)  # the report is queued as a task after the insertion
    assert any("style-src" in violation for violation in no_csp_violations), no_csp_violations
    no_csp_violations.clear()  # seen: this test itself passes
