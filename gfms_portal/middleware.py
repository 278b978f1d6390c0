"""Session lifetime on shared office PCs: 30 minutes idle (settings: the cookie is renewed on
each request), and at most 12 hours from sign-in whatever the activity. A session whose
account gets locked (wrong codes, wrong citizen IDs) ends at its next request."""

import datetime as dt
from collections.abc import Callable

from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse

from gfms_portal.clock import now

ABSOLUTE_SESSION_LIMIT = dt.timedelta(hours=12)
SIGNED_IN_AT = "signed_in_at"


class SessionGuard:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            at = now()
            started = request.session.get(SIGNED_IN_AT)
            locked = user.locked_until is not None and at < user.locked_until
            if started is None and not locked:
                request.session[SIGNED_IN_AT] = at.isoformat()
            elif locked or (
                started is not None
                and at - dt.datetime.fromisoformat(started) >= ABSOLUTE_SESSION_LIMIT
            ):
                logout(request)  # a new, empty session: sign in again
        return self.get_response(request)
