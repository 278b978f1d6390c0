"""Error pages people read, in the portal's language (Thai unless English was chosen).

- `csrf_failure` (settings.CSRF_FAILURE_VIEW): Django's own page is English boilerplate about
  Referer headers; this one says what probably happened and what to do next.
- `FriendlyNotFound`: with DEBUG on (`make run`) Django answers a 404 with its technical page
  (URL patterns, settings) — to officers trying the demo too. Under DEBUG this middleware
  gives everyone but Django staff (the developers) the portal's own 404 page instead. Without
  DEBUG Django already renders templates/404.html.
"""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from gfms_portal.browser_middleware import is_api


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return render(request, "403_csrf.html", {"reason": reason}, status=403)


class FriendlyNotFound:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            settings.DEBUG
            and response.status_code == 404
            and not is_api(request)
            and response.get("Content-Type", "").startswith("text/html")
            and not getattr(getattr(request, "user", None), "is_staff", False)
        ):
            return render(request, "404.html", status=404)
        return response
