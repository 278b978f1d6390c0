"""Every main page carries the security headers, and its Content-Security-Policy allows no inline
script or style ('unsafe-inline'); the pages' markup has none either, so nothing is blocked.
Only /api/docs/ widens its own policy: a per-response style nonce and blob: workers for ReDoc.
(tests/browser/ checks the same pages in Chromium: no CSP violation is reported.)"""

import re

import pytest
from django.test import Client

from agencies.models import Officer
from auth_gateway.api.docs import DOCS_POLICY
from tests.conftest import sign_in

pytestmark = pytest.mark.django_db

ANONYMOUS_PAGES = ["/", "/login/", "/demo/gfms-login/", "/no-such-page/"]
OFFICER_PAGES = ["/account/", "/register/"]
ADMINISTRATOR_PAGES = [
    "/account/",
    "/manage/progress/",
    "/manage/officer-list/",
    "/manage/legacy-logins/",
    "/manage/schedule/",
    "/manage/audit-log/",
    "/manage/officers/",
    "/manage/officers/charlie/",
    "/manage/token-keys/",
    "/manage/token-keys/progress/",
    "/manage/shipments/",
]
API = ["/api/schema/", "/api/v1/health", "/healthz"]

# What CSP blocks in served markup: inline scripts (a <script> without src, other than a JSON
# data block), <style> elements, style="" attributes and on…="" event handlers.
INLINE = re.compile(
    r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/(?:ld\+)?json\")[^>]*>"
    r"|<style\b"
    r"|\sstyle\s*="
    r"|\son[a-z]+\s*=",
    re.IGNORECASE,
)


def policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    directives = {}
    for part in header.split(";"):
        name, *sources = part.split()
        directives[name] = sources
    return directives


def assert_headers(response, path: str) -> dict[str, list[str]]:
    assert response["Referrer-Policy"] == "same-origin", path
    assert response["Cross-Origin-Opener-Policy"] == "same-origin", path
    assert "camera=()" in response["Permissions-Policy"], path
    directives = policy(response)
    for name in ("script-src", "style-src"):
        assert "'unsafe-inline'" not in directives[name], (path, name)
        assert "'unsafe-eval'" not in directives[name], (path, name)
    assert directives["object-src"] == ["'none'"], path
    assert directives["frame-ancestors"] == ["'none'"], path
    return directives


@pytest.fixture
def demo_frontend(settings):
    settings.GFMS_DEMO_FRONTEND = True


def test_anonymous_pages_carry_the_security_headers(
    client: Client, demo_frontend, charlie: Officer
) -> None:
    for path in ANONYMOUS_PAGES:
        response = client.get(path)
        assert response.status_code in (200, 404), path
        directives = assert_headers(response, path)
        assert directives["script-src"] == ["'self'"], path
        assert directives["style-src"] == ["'self'"], path
        assert "worker-src" not in directives, path
        assert not INLINE.findall(response.content.decode()), path


def test_officer_pages_carry_the_security_headers(client: Client, charlie: Officer) -> None:
    client.force_login(charlie)
    for path in OFFICER_PAGES:
        response = client.get(path)
        assert response.status_code == 200, path
        assert policy(response)["style-src"] == ["'self'"], path
        assert_headers(response, path)
        assert not INLINE.findall(response.content.decode()), path


def sign_in_administrator(client: Client, officer: Officer) -> None:
    """A signed-in administrator, through the real second-factor step (the persona fixtures
    give privileged accounts their soft token)."""
    sign_in(client, officer.username)


def test_administrator_pages_carry_the_security_headers(
    client: Client, alice: Officer, charlie: Officer
) -> None:
    sign_in_administrator(client, alice)
    for path in ADMINISTRATOR_PAGES:
        response = client.get(path)
        assert response.status_code == 200, path
        directives = assert_headers(response, path)
        assert directives["style-src"] == ["'self'"], path
        assert not INLINE.findall(response.content.decode()), (
            path,
            INLINE.findall(response.content.decode()),
        )


def test_django_admin_has_the_headers(client: Client, alice: Officer) -> None:
    sign_in_administrator(client, alice)
    response = client.get("/admin/")
    assert response.status_code == 200
    assert_headers(response, "/admin/")


def test_api_answers_have_the_headers(client: Client) -> None:
    for path in API:
        assert_headers(client.get(path), path)


def test_the_api_docs_widen_only_their_own_policy_with_a_nonce(client: Client) -> None:
    response = client.get("/api/docs/")
    assert response.status_code == 200
    directives = assert_headers(response, "/api/docs/")
    assert directives["script-src"] == ["'self'"]
    nonce = next(source for source in directives["style-src"] if source.startswith("'nonce-"))
    assert directives["style-src"] == ["'self'", nonce]
    assert directives["worker-src"] == ["'self'", "blob:"]
    assert DOCS_POLICY["worker-src"] == ["'self'", "blob:"]
    body = response.content.decode()
    assert not INLINE.findall(body)
    # The scripts that hand the nonce to ReDoc carry this response's nonce, and no other host
    # is named (the stock template loads Google's fonts).
    value = nonce.removeprefix("'nonce-").removesuffix("'")
    assert body.count(f'nonce="{value}"') == 2
    assert "https://" not in body and "http://" not in body
    # A fresh nonce every time.
    assert policy(client.get("/api/docs/"))["style-src"][1] != nonce


def test_no_served_template_has_inline_script_style_or_handlers() -> None:
    # Also the pages the tests above do not reach (the registration steps, the shipments):
    # the template sources themselves. The manifest is rendered to PDF by WeasyPrint, never
    # served, and keeps its <style>; e-mails are plain text.
    from django.conf import settings

    root = settings.BASE_DIR / "templates"
    offending = {
        str(path.relative_to(root)): INLINE.findall(path.read_text())
        for path in root.rglob("*.html")
        if path.relative_to(root).as_posix() != "tokens/manifest.html"
    }
    assert {name: found for name, found in offending.items() if found} == {}
    # The check itself sees what it looks for.
    manifest = (root / "tokens" / "manifest.html").read_text()
    assert INLINE.findall(manifest)


def test_the_machine_api_skips_the_browser_middleware_but_keeps_the_headers(
    api, client: Client, charlie: Officer
) -> None:
    """No session, CSRF or messages machinery for /api/v1/ (gfms_portal.browser_middleware):
    even with a browser session's cookie in the request, the API answer sets no cookie and
    does not vary on it — and carries the security headers as every page does."""
    client.force_login(charlie)  # a session cookie now travels with every request
    response = api("/api/v1/auth/methods", {"username": "nobody"}, method="get")
    assert response.status_code == 200
    assert not response.cookies
    assert "Cookie" not in response.get("Vary", "")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert "Permissions-Policy" in response
    # Its length is said, as CommonMiddleware says it for pages (else gunicorn chunks it).
    assert response["Content-Length"] == str(len(response.content))
    page = client.get("/account/")  # the same session on a page: renewed there
    assert page.status_code == 200
    assert "sessionid" in page.cookies


def test_browser_pages_still_get_the_session_and_csrf_machinery(client: Client, cgd_tree) -> None:
    response = client.get("/login/")
    assert response.status_code == 200
    assert "csrftoken" in response.cookies
    assert "Cookie" in response.get("Vary", "")
