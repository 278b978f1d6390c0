"""Real Chromium (Debian's package) driven by Playwright against the live test server.

Playwright never downloads a browser here: it launches /usr/bin/chromium (or $CHROMIUM_PATH).
Screenshots go to artifacts/screenshots/ for people to look at.
"""

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests make
# around it are still synchronous, so Django's async-safety guard does not apply.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: install Debian's 'chromium' package")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def phone(browser):
    """A 360 px wide phone screen, Thai locale."""
    context = browser.new_context(
        viewport={"width": 360, "height": 740}, locale="th-TH", device_scale_factor=2
    )
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def desktop(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 860}, locale="th-TH")
    page = context.new_page()
    yield page
    context.close()


# Content-Security-Policy watch: every page of the `phone` and `desktop` fixtures reports what
# the policy blocked, and the test fails at teardown if anything was. Chromium reports a
# violation twice over: a console error ("Refused to … Content Security Policy …") and a
# `securitypolicyviolation` event, which this init script hands to Python. Init scripts run
# in Playwright's own injection, so the page's CSP does not block the watcher itself.
CSP_WATCH_SCRIPT = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolation(JSON.stringify({
    directive: event.effectiveDirective || event.violatedDirective,
    blocked: event.blockedURI,
    source: event.sourceFile,
    line: event.lineNumber,
    sample: event.sample,
  }));
});
"""


def watch_csp(context, violations: list[str]) -> None:
    """Collect every CSP violation of every page in `context` into `violations`."""

    def on_console(message) -> None:
        if "Content Security Policy" in message.text:
            violations.append(f"console {message.type}: {message.text}")

    context.on("console", on_console)
    context.expose_binding(
        "__cspViolation", lambda source, report: violations.append(f"event: {report}")
    )
    context.add_init_script(CSP_WATCH_SCRIPT)


@pytest.fixture(autouse=True)
def no_csp_violations(request) -> Iterator[list[str]]:
    """Autouse: watch the pages of `phone` / `desktop` (whichever the test uses) and fail the
    test at teardown on any CSP violation. Set up before those fixtures and torn down after
    them, so that everything the page did until its context closed has been reported."""
    violations: list[str] = []
    for name in ("phone", "desktop"):
        if name in request.fixturenames:
            watch_csp(request.getfixturevalue(name).context, violations)
    yield violations
    if violations:
        pytest.fail(
            "Content-Security-Policy violations:\n"
            + "\n".join(dict.fromkeys(violations)),  # each one once, in order
            pytrace=False,
        )


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def sign_in(page, url: str, username: str) -> None:
    """Log in through the portal's form (any cookies of an earlier user dropped first)."""
    from tests.conftest import PASSWORD

    page.context.clear_cookies()
    page.goto(url + "/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_load_state()
    if "/login/code/" in page.url:
        # Privileged accounts: the code of their own soft token (tests.conftest.privileged).
        from agencies.models import Officer
        from tests.conftest import next_code

        screenshot(page, "sign-in-2-code-step")
        page.fill("#id_code", next_code(Officer.objects.by_username(username).get()))
        page.click("main button[type=submit]")
    page.wait_for_url("**/account/")
