"""Signing in to the portal — the one sign-in path (the Django admin sends people here too).

Step 1 is the password (auth_gateway.services.portal_login: lockout under a row lock, the same
answers and time for unknown user ids, audited). Officers are then signed in. Privileged
accounts (administrators, auditors, Django staff) are signed in with one factor only: until
they confirm a code from their own soft token (step 2), `PrivilegedSessionGuard` lets them
reach nothing but that step — or, without a confirmed token, their own registration.

The session remembers when the second factor was confirmed and when a code was last typed
(`stepped_up_at`: sensitive actions need one from the last few minutes, agencies.step_up).
"""

from collections.abc import Callable

from django.contrib.auth import login as auth_login
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from agencies.step_up import (
    has_second_factor,
    is_stepped_up,
    mark_code_confirmed,
    needs_second_factor,
    safe_next,
    second_factor_token,
    with_next,
)
from audit.services import record_event
from auth_gateway.forms import PortalLoginForm
from gfms_portal.clock import now
from gfms_portal.errors import Refused
from tokens.forms import FreshCodeForm
from tokens.possession import verify_fresh_code
from tokens.services import active_soft_token

DJANGO_ADMIN = "/admin/"
# What a privileged session may reach before its second factor (prefixes of the path).
ALWAYS_OPEN = ("/login/", "/logout/", "/i18n/", "/static/", "/healthz", "/api/")
REGISTRATION_PATHS = ("/register/",)


def step_up_context(request: HttpRequest) -> dict[str, object]:
    """Template context: does a sensitive form need the code field?"""
    user = getattr(request, "user", None)
    if not needs_second_factor(user):
        return {}
    return {
        "step_up_fresh": is_stepped_up(request, now()),
        # Signed in with the password only: no links to pages it cannot reach yet.
        "second_factor_pending": not has_second_factor(request),
    }


@sensitive_post_parameters("password")
@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def login(request: HttpRequest) -> HttpResponse:
    """Step 1: user id and password."""
    form = PortalLoginForm(request, data=request.POST or None)
    target = safe_next(request)
    if request.method == "POST" and form.is_valid():
        officer = form.get_user()
        auth_login(request, officer)
        if not needs_second_factor(officer):
            return redirect(target)
        if active_soft_token(officer.pk) is None:
            # Nothing else until the account has its own token (a bootstrap link included).
            return redirect(
                target if target.startswith(REGISTRATION_PATHS) else reverse("register")
            )
        return redirect(with_next("login_code", target))
    return render(
        request,
        "registration/login.html",
        {"form": form, "next": request.POST.get("next") or request.GET.get("next") or ""},
    )


@sensitive_post_parameters("code")
@never_cache
@require_http_methods(["GET", "POST"])
def login_code(request: HttpRequest) -> HttpResponse:
    """Step 2 for privileged accounts: the current code from their own app, or a recovery
    code. A wrong code counts toward the same lockout as a wrong password."""
    user = request.user
    if not needs_second_factor(user):
        return redirect("login" if not user.is_authenticated else "account")
    target = safe_next(request)
    if has_second_factor(request):
        return redirect(target)
    token = active_soft_token(user.pk)
    if token is None:
        return redirect("register")
    form = FreshCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        at = now()
        try:
            verify_fresh_code(user, form.cleaned_data["code"], at=at)
        except Refused as error:
            with transaction.atomic():
                record_event(
                    "portal.second_factor_failed",
                    at=at,
                    actor=user,
                    officer=user,
                    data={"reason": error.code},
                )
            form.add_error("code", error.message)
        else:
            with transaction.atomic():
                record_event("portal.second_factor_passed", at=at, actor=user, officer=user)
            mark_code_confirmed(request, at, second_factor_token=token.pk)
            return redirect(target)
    return render(request, "registration/login_code.html", {"form": form, "next": target})


class PrivilegedSessionGuard:
    """Until a privileged session has confirmed its second factor, every other page sends it
    to the code step (or, without a confirmed token, to its registration). One place, so that a
    new page cannot forget it; the Django admin included."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if not needs_second_factor(user):
            return self.get_response(request)
        token = active_soft_token(user.pk)
        if has_second_factor(request):
            if token is None or token.pk != second_factor_token(request):
                # The token this session proved was reset or replaced (a stolen phone):
                # the session does not keep the factor it no longer has.
                logout(request)
                return redirect_to_login(request.get_full_path())
            if (
                request.method == "POST"
                and request.path_info.startswith(DJANGO_ADMIN)
                and not is_stepped_up(request, now())
            ):
                # Every write in the Django admin (roles, scopes, e-mails, citizen IDs…) is a
                # sensitive action: a fresh code first, then the form again.
                return redirect(with_next("account_verify", request.get_full_path()))
            return self.get_response(request)
        path = request.path_info
        if path.startswith(ALWAYS_OPEN) or (token is None and path.startswith(REGISTRATION_PATHS)):
            return self.get_response(request)
        if token is None:
            return redirect("register")
        return redirect(with_next("login_code", request.get_full_path()))
