"""The password pages: change (signed in), forgotten (public: /login/password/…, so that the
edge's per-address limit on sign-in posts covers it too), the administrator's link, and the
administrator's button. Thin: each calls one service and shows its answer."""

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from agencies.http import SignedInRequest
from agencies.permissions import StepUpRequired
from agencies.scope import get_visible_officer, require_administrator
from agencies.step_up import STEP_UP_NEEDED
from gfms_portal.clock import now
from gfms_portal.errors import Refused
from passwords import services
from passwords.forms import (
    ForgottenPasswordForm,
    NewPasswordForm,
    PasswordChangeForm,
    ResetCodesForm,
)
from tokens.step_up import step_up_proof

# Session keys of the forgotten-password flow: the user id as typed (whatever it is), then
# the confirmed reset; the administrator's link once opened (out of the URL and its Referer).
USERNAME_KEY = "password_reset_username"
RESET_KEY = "password_reset_id"
LINK_KEY = "password_reset_link"
SECRET_FIELDS = ("current_password", "new_password", "new_password_again", "code", "token_code")


@sensitive_post_parameters(*SECRET_FIELDS)
@never_cache
@require_http_methods(["GET", "POST"])
@login_required
def password_change(request: SignedInRequest) -> HttpResponse:
    form = PasswordChangeForm(request.POST or None, officer=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            services.change_password(
                request.user,
                current=form.cleaned_data["current_password"],
                code=form.cleaned_data["code"],
                new=form.cleaned_data["new_password"],
                at=now(),
            )
        except Refused as error:
            form.add_error(None, error.message)
        else:
            # This session goes on (with a new key); every other one of the account ends.
            update_session_auth_hash(request, request.user)
            messages.success(
                request,
                _(
                    "Your password was changed. Use the new one from now on, in GFMS too; "
                    "your other sessions were signed out."
                ),
            )
            return redirect("account")
    return render(request, "passwords/password_change.html", {"form": form})


@sensitive_post_parameters("username")
@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def password_forgotten(request: HttpRequest) -> HttpResponse:
    form = ForgottenPasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        username = form.cleaned_data["username"].strip()
        services.request_reset_code(username, at=now())
        request.session[USERNAME_KEY] = username
        request.session.pop(RESET_KEY, None)
        return redirect("password_forgotten_codes")
    return render(request, "passwords/password_forgotten.html", {"form": form})


@sensitive_post_parameters(*SECRET_FIELDS)
@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def password_forgotten_codes(request: HttpRequest) -> HttpResponse:
    username = request.session.get(USERNAME_KEY)
    if not username:
        return redirect("password_forgotten")
    form = ResetCodesForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            reset_id = services.confirm_reset_codes(
                username,
                email_code=form.cleaned_data["email_code"],
                token_code=form.cleaned_data["token_code"],
                at=now(),
            )
        except Refused as error:
            form.add_error(None, error.message)
        else:
            request.session.cycle_key()  # the reset belongs to this session key, fresh
            request.session[RESET_KEY] = reset_id
            return redirect("password_forgotten_new")
    return render(
        request, "passwords/password_forgotten_codes.html", {"form": form, "username": username}
    )


@sensitive_post_parameters(*SECRET_FIELDS)
@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def password_forgotten_new(request: HttpRequest) -> HttpResponse:
    at = now()
    reset = services.confirmed_reset(request.session.get(RESET_KEY), at=at)
    if reset is None:
        return render(
            request,
            "passwords/password_refused.html",
            {"message": _("This password reset has expired or was already used. Start again.")},
            status=410,
        )
    form = NewPasswordForm(request.POST or None, officer=reset.officer)
    if request.method == "POST" and form.is_valid():
        try:
            services.finish_reset(reset.pk, new=form.cleaned_data["new_password"], at=at)
        except Refused as error:
            form.add_error(None, error.message)
        else:
            for key in (USERNAME_KEY, RESET_KEY):
                request.session.pop(key, None)
            return redirect("password_done")
    return render(request, "passwords/password_new.html", {"form": form, "forgotten": True})


@never_cache
@require_http_methods(["GET"])
def password_link(request: HttpRequest) -> HttpResponse:
    """The administrator's e-mailed link (`?t=<token>`: a query string, which the access logs
    never keep). Opening it uses nothing up (mail scanners open links too): the link's id —
    not the token — goes into a fresh session, and the page without the token asks for the
    password."""
    link = services.find_reset_link(request.GET.get("t", ""), at=now())
    if link is None:
        return _link_refused(request)
    request.session.cycle_key()
    request.session[LINK_KEY] = link.pk
    return redirect("password_link_new")


def _link_refused(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "passwords/password_refused.html",
        {
            "message": _(
                "This link is wrong, already used, replaced by a newer one or expired (links "
                "work for one hour, once). Ask your agency administrator for a new one."
            )
        },
        status=410,
    )


@sensitive_post_parameters(*SECRET_FIELDS)
@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def password_link_new(request: HttpRequest) -> HttpResponse:
    at = now()
    link_id = request.session.get(LINK_KEY)
    link = services.live_reset_link(link_id, at=at)
    if link is None:
        return _link_refused(request)
    form = NewPasswordForm(request.POST or None, officer=link.officer)
    if request.method == "POST" and form.is_valid():
        try:
            services.finish_link_reset(link_id, new=form.cleaned_data["new_password"], at=at)
        except Refused as error:
            form.add_error(None, error.message)
        else:
            request.session.pop(LINK_KEY, None)
            return redirect("password_done")
    return render(request, "passwords/password_new.html", {"form": form, "forgotten": False})


@never_cache
@require_http_methods(["GET"])
def password_done(request: HttpRequest) -> HttpResponse:
    return render(request, "passwords/password_done.html")


@sensitive_post_parameters("step_up_code")
@require_POST
@login_required
def manage_officer_password_reset(request: SignedInRequest, username: str) -> HttpResponse:
    """The administrator's button on the officer's page: e-mail the officer a one-time link.
    POST with the CSRF token and `step_up_code` (when the session's code is not fresh)."""
    require_administrator(request.user)
    officer = get_visible_officer(request.user.viewer, username)
    at = now()
    try:
        proof = step_up_proof(request, at)
        services.start_password_reset(officer, actor=request.user, at=at, stepped_up_at=proof)
    except Refused as error:
        messages.error(request, error.message)
    except StepUpRequired:
        messages.error(request, STEP_UP_NEEDED)
    else:
        messages.success(
            request,
            _(
                "A one-time link to set a new password was sent to the officer's official "
                "e-mail (valid one hour). You never see it, nor the password."
            ),
        )
    return redirect("manage_officer", username=officer.username)
