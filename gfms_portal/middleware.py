"""Session lifetime on shared office PCs: 30 minutes idle (settings: the cookie is renewed on
each request), and at most 12 hours from sign-in whatever the activity."""

import datetime as dt
from collections.abc import Callable

from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse

from gfms_portal.clock import now

ABSOLUTE_SESSION_LIMIT = dt.timedelta(hours=12)
SIGNED_IN_AT = "signed_in_at"


class AbsoluteSessionLimit:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            at = now()
            started = request.session.get(SIGNED_IN_AT)
            if started is None:
                request.session[SIGNED_IN_AT] = at.isoformat()
            elif at - dt.datetime.fromisoformat(started) >= ABSOLUTE_SESSION_LIMIT:
                logout(request)  # a new, empty session: sign in again
        return self.get_response(request)
