"""Step-up: a person acting on others proves, with a code typed in the last few minutes, that
the session is still theirs. Checked by each sensitive service itself (not only by its view),
so that a new caller cannot forget it.

`stepped_up_at` is when this session last confirmed a code (the sign-in's second step counts):
the portal keeps it in the session and hands it to the service. Commands run on the server by
an operator are not portal sessions and call the services with `actor_label` instead.
"""

import datetime as dt
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeGuard
from urllib.parse import urlencode

from django.db import transaction
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy

from agencies.models import Officer
from agencies.permissions import enforce, may_export_personal_data
from agencies.policy import Role, is_privileged, is_step_up_fresh
from audit.services import record_event
from gfms_portal.clock import now

STEP_UP_NEEDED = gettext_lazy(
    "This action needs a fresh code: type the current code from your app (or a recovery code) "
    "in the form and send it again."
)
SECOND_FACTOR_KEY = "second_factor_at"
STEP_UP_KEY = "stepped_up_at"
SECOND_FACTOR_TOKEN_KEY = "second_factor_token"  # noqa: S105  (a session key name)


def needs_second_factor(user: object) -> TypeGuard[Officer]:
    """A signed-in privileged account (agencies.policy.PRIVILEGED_ROLES)."""
    return isinstance(user, Officer) and is_privileged(Role(user.role))


def _stamp(request: HttpRequest, key: str) -> dt.datetime | None:
    value = request.session.get(key)
    return dt.datetime.fromisoformat(value) if value else None


def has_second_factor(request: HttpRequest) -> bool:
    return _stamp(request, SECOND_FACTOR_KEY) is not None


def stepped_up_at(request: HttpRequest) -> dt.datetime | None:
    """When this session last confirmed a fresh code (None: never)."""
    return _stamp(request, STEP_UP_KEY)


def is_stepped_up(request: HttpRequest, at: dt.datetime) -> bool:
    return is_step_up_fresh(stepped_up_at(request), at=at)


def mark_code_confirmed(
    request: HttpRequest, at: dt.datetime, *, second_factor_token: int | None = None
) -> None:
    """A code was just confirmed: a fresh step-up, and — at sign-in or on registering the
    token (`second_factor_token`, its id) — the session's second factor, with a new session
    key as at any privilege change. The token id is kept: a session does not outlive a reset
    or replacement of the token it proved (auth_gateway.signin.PrivilegedSessionGuard)."""
    if second_factor_token is not None:
        if not has_second_factor(request):
            request.session.cycle_key()
            request.session[SECOND_FACTOR_KEY] = at.isoformat()
        # A new phone confirmed in this session: it is the token the session now holds.
        request.session[SECOND_FACTOR_TOKEN_KEY] = second_factor_token
    request.session[STEP_UP_KEY] = at.isoformat()


def second_factor_token(request: HttpRequest) -> int | None:
    """The soft token this session's second factor was proved with."""
    return request.session.get(SECOND_FACTOR_TOKEN_KEY)


def with_next(name: str, target: str) -> str:
    return f"{reverse(name)}?{urlencode({'next': target})}"


def fresh_code_required(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """For downloads (GET): without a code from the last few minutes, ask for one and come
    back. The service called by the view checks it again."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponseBase:
        if needs_second_factor(request.user) and not is_stepped_up(request, now()):
            return redirect(with_next("account_verify", request.get_full_path()))
        return view(request, *args, **kwargs)

    return wrapper


def authorize_export(
    actor: Any, *, export: str, stepped_up_at: dt.datetime | None, at: dt.datetime, **details: Any
) -> None:
    """An export of personal data (names, user ids, e-mails, audit trails) needs a fresh code
    and leaves a trace: who downloaded which list, with which filters."""
    enforce(may_export_personal_data(actor.actor, at=at, stepped_up_at=stepped_up_at))
    with transaction.atomic():
        record_event(
            "export.downloaded",
            at=at,
            actor=actor,
            data={"export": export, **{k: v for k, v in details.items() if v not in ("", None)}},
        )


def authorize_download(request: HttpRequest, export: str, *, at: dt.datetime) -> None:
    """authorize_export for a download view: this session's step-up and the filters of its
    query string."""
    authorize_export(
        request.user,
        export=export,
        stepped_up_at=stepped_up_at(request),
        at=at,
        filters=request.GET.urlencode()[:500],
    )


def safe_next(request: HttpRequest, default: str = "account") -> str:
    """The local page to continue to (never another host)."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return resolve_url(default)
