"""Real Chromium (Debian's package) driven by Playwright against the live test server.

Playwright never downloads a browser here: it launches /usr/bin/chromium (or $CHROMIUM_PATH).
Screenshots go to artifacts/screenshots/ for people to look at.
"""

import functools
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts" / "screenshots"
# axe-core, a test dependency from npm (package.json; `make test` runs `npm ci`), never vendored.
AXE_JS = ROOT / "node_modules" / "axe-core" / "axe.min.js"
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


def watch_hosts(context, live_url: str, elsewhere: list[str]) -> None:
    """Collect every request of every page in `context` to a host other than the portal's
    (blob: and data: URLs never leave the browser)."""
    ours = urlsplit(live_url).netloc

    def on_request(request) -> None:
        parts = urlsplit(request.url)
        if parts.scheme not in ("blob", "data", "about") and parts.netloc != ours:
            elsewhere.append(request.url)

    context.on("request", on_request)


# The page fixtures the watchers attach to (whichever the test uses).
PAGE_FIXTURES = ("phone", "desktop", "screen")


@pytest.fixture(autouse=True)
def no_csp_violations(request) -> Iterator[list[str]]:
    """Autouse: watch the pages of `phone` / `desktop` / `screen` (whichever the test uses)
    and fail the test at teardown on any CSP violation or any request to a host other than
    the portal's. Set up before those fixtures and torn down after them, so that everything
    the page did until its context closed has been reported."""
    violations: list[str] = []
    elsewhere: list[str] = []
    for name in PAGE_FIXTURES:
        if name in request.fixturenames:
            context = request.getfixturevalue(name).context
            watch_csp(context, violations)
            watch_hosts(context, request.getfixturevalue("live_server").url, elsewhere)
    yield violations
    if violations:
        pytest.fail(
            "Content-Security-Policy violations:\n"
            + "\n".join(dict.fromkeys(violations)),  # each one once, in order
            pytrace=False,
        )
    if elsewhere:
        pytest.fail(
            "Requests to a host other than the portal's:\n" + "\n".join(dict.fromkeys(elsewhere)),
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


# The two screen sizes every page is checked at: an office PC and a phone.
SIZES = {
    "desktop": {"width": 1366, "height": 768},
    "phone": {"width": 390, "height": 844},
}


@pytest.fixture(params=list(SIZES))
def screen(request, browser):
    """A page at each size in SIZES, in a browser whose language is English (the portal must
    still be Thai). The test runs once per size; `screen.size_name` says which."""
    size = request.param
    context = browser.new_context(
        viewport=SIZES[size],
        locale="en-US",
        extra_http_headers={"Accept-Language": "en-US,en;q=0.9"},
        device_scale_factor=2 if size == "phone" else 1,
        is_mobile=size == "phone",
        has_touch=size == "phone",
    )
    page = context.new_page()
    page.size_name = size  # our own tag on the page: check_page names screenshots by it
    yield page
    context.close()


@functools.cache
def axe_source() -> str:
    """axe-core's script, read once per test run."""
    if not AXE_JS.exists():
        pytest.fail(f"{AXE_JS} is missing: run `npm ci` (make test does)", pytrace=False)
    return AXE_JS.read_text(encoding="utf-8")


def axe_violations(page) -> list[str]:
    """axe-core's violations on the page as it is now (WCAG 2.x A/AA and best practices).
    The script is evaluated through the DevTools protocol, which the page's CSP does not
    govern, so the CSP watcher sees nothing of it."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(axe_source())
    results = page.evaluate(
        """async () => {
          const r = await axe.run(document, {resultTypes: ["violations"]});
          return r.violations.map(v => ({
            id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.slice(0, 5).map(n => n.target.join(" ") + " :: " + n.failureSummary),
          }));
        }"""
    )
    return [
        f"{v['id']} ({v['impact']}): {v['help']}\n    " + "\n    ".join(v["nodes"]) for v in results
    ]


# A CE year (19xx or 20xx) standing alone in the text of a Thai page. BE years are 25xx.
CE_YEAR = re.compile(r"(?<![0-9๐-๙])(?:19|20)[0-9]{2}(?![0-9๐-๙])")
# Where a CE year may appear: explicitly labelled ISO columns/values (data-iso), and codes
# (recovery codes, secrets, serials) which are digits, not dates.
NOT_DATES = "[data-iso], code, kbd, script, style"

VISIBLE_TEXT = """(skip) => {
  const clone = document.body.cloneNode(true);
  clone.querySelectorAll(skip).forEach(e => e.remove());
  return clone.innerText;
}"""


def check_page(page, name: str, *, lang: str = "th") -> None:
    """What every page must be, at every size: in the expected language (Thai unless said),
    no wider than the screen, clean under axe-core, no CE date in its visible text (Thai
    pages); then a screenshot in artifacts/screenshots/<name>-<size>.png."""
    page.wait_for_load_state("load")
    size = getattr(page, "size_name", "page")
    problems: list[str] = []
    if (actual := page.locator("html").get_attribute("lang")) != lang:
        problems.append(f"html lang is {actual!r}, not {lang!r}")
    width = page.viewport_size["width"]
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    if scroll_width > width:
        wide = page.evaluate(WIDEST_ELEMENTS, width)
        problems.append(f"scrollWidth {scroll_width} > {width} px: {wide}")
    if lang == "th":
        text = page.evaluate(VISIBLE_TEXT, NOT_DATES)
        if years := sorted(set(CE_YEAR.findall(text))):
            lines = [line for line in text.splitlines() if CE_YEAR.search(line)]
            problems.append(f"CE years {years} in the visible text: {lines[:5]}")
    problems += axe_violations(page)
    screenshot(page, f"{name}-{size}")
    assert not problems, f"{page.url} ({size}):\n" + "\n".join(problems)


# The elements sticking out past the right edge, innermost first (for the failure message).
WIDEST_ELEMENTS = """(width) => [...document.querySelectorAll("body *")]
  .filter(e => e.getBoundingClientRect().right > width + 0.5)
  .filter(e => ![...e.children].some(c => c.getBoundingClientRect().right > width + 0.5))
  .slice(0, 5)
  .map(e => `${e.tagName.toLowerCase()}${e.className ? "." + e.className : ""}`
    + ` right=${Math.round(e.getBoundingClientRect().right)}`)"""
