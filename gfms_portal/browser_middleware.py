"""Middleware for people in browsers, skipped for the machine API (`/api/v1/`).

The GFMS front-end calls the gateway on every login with a bearer key: it has no session, no
CSRF token, no messages and no signed-in user, and running that machinery for it cost about a
tenth of each check. (CSRF stays as Django ships it: `check --deploy` looks for it by name,
and the API's views are exempt, which it sees at once.) Each class here is a subclass of the named middleware: itself for every other path, and for
the API it passes the request straight on (its hooks too). Security headers, CSP, the language
and clickjacking protection run for the API as for everything else (settings.MIDDLEWARE).
"""

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.module_loading import import_string

API_PREFIX = "/api/v1/"
HOOKS = ("process_view", "process_exception", "process_template_response")


def is_api(request: HttpRequest) -> bool:
    return request.path_info.startswith(API_PREFIX)


def _unless_api(hook: Callable[..., Any]) -> Callable[..., Any]:
    def run(self: Any, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        return None if is_api(request) else hook(self, request, *args, **kwargs)

    return run


def browser_only(dotted_path: str) -> type:
    """A subclass of the middleware at `dotted_path` (Django's own checks look for it) that
    passes API requests straight on, its hooks included."""
    base = import_string(dotted_path)

    def __call__(self: Any, request: HttpRequest) -> HttpResponse:
        if is_api(request):
            response: HttpResponse = self.get_response(request)
            return response
        return base.__call__(self, request)

    namespace: dict[str, Any] = {
        "__call__": __call__,
        "__doc__": f"{dotted_path}, except for the API.",
    }
    for hook in HOOKS:
        if hasattr(base, hook):
            namespace[hook] = _unless_api(getattr(base, hook))
    return type(f"BrowserOnly{base.__name__}", (base,), namespace)


WhiteNoiseMiddleware = browser_only("whitenoise.middleware.WhiteNoiseMiddleware")
SessionMiddleware = browser_only("django.contrib.sessions.middleware.SessionMiddleware")
_BrowserOnlyCommon = browser_only("django.middleware.common.CommonMiddleware")


class CommonMiddleware(_BrowserOnlyCommon):  # type: ignore[misc,valid-type]  # made by browser_only
    """django.middleware.common.CommonMiddleware, except for the API — which still gets the
    one thing of it every client needs: a Content-Length (without it gunicorn answers
    chunked, which costs the caller a second parse and some proxies a buffer)."""

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response: HttpResponse = super().__call__(request)
        if is_api(request) and not response.streaming and not response.has_header("Content-Length"):
            response.headers["Content-Length"] = str(len(response.content))
        return response


AuthenticationMiddleware = browser_only("django.contrib.auth.middleware.AuthenticationMiddleware")
SessionGuard = browser_only("gfms_portal.middleware.SessionGuard")
PrivilegedSessionGuard = browser_only("auth_gateway.signin.PrivilegedSessionGuard")
MessageMiddleware = browser_only("django.contrib.messages.middleware.MessageMiddleware")
