import datetime as dt
from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from agencies.http import SignedInRequest
from agencies.step_up import (
    is_stepped_up,
    mark_code_confirmed,
    needs_second_factor,
    safe_next,
    stepped_up_at,
    with_next,
)
from gfms_portal.clock import now
from gfms_portal.errors import Refused
from gfms_portal.thaidate import format_bangkok_time
from registration.forms import CitizenIdForm, CodeForm
from registration.models import IdentityCheck, RegistrationCode
from registration.services import (
    RegistrationError,
    check_identity,
    confirm_registration,
    find_registration_code,
    open_bootstrap_link,
    open_once,
    pending_token,
    registration_access,
    resend_from,
    seal_once,
    start_registration,
    start_replacement,
    verify_email_code,
)
from schedule.models import Schedule
from schedule.policy import days_until_close, registration_ends_at
from tokens.forms import FreshCodeForm
from tokens.possession import regenerate_recovery_codes
from tokens.provisioning import grouped, provisioning_uri, qr_svg
from tokens.roster import PENDING_TOKEN_LIFETIME
from tokens.services import active_soft_token
from tokens.step_up import confirm_step_up


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    schedule = Schedule.load()
    at = now()
    return render(
        request,
        "registration/home.html",
        {
            "dates": schedule.dates,
            "days_left": days_until_close(at, schedule.dates),
            "registration_ends_at": registration_ends_at(schedule.dates),
        },
    )


# --- the officer's registration ---------------------------------------------------------------------
# The flow's state lives in database rows (identity check, pending token, registration code);
# the session only remembers which rows belong to this browser, and every step re-checks them.

CHECK_KEY = "registration_check_id"
PENDING_KEY = "registration_token_id"
CODE_KEY = "registration_code_id"
RECOVERY_KEY = "registration_recovery_codes"


def _registration_code(request: SignedInRequest, at: dt.datetime) -> RegistrationCode | None:
    code_id = request.session.get(CODE_KEY)
    if code_id is None:
        return None
    return RegistrationCode.objects.filter(
        pk=code_id,
        officer=request.user,
        used_at__isnull=True,
        revoked_at__isnull=True,
        expires_at__gt=at,
    ).first()


@never_cache
@require_http_methods(["GET", "POST"])
@login_required
def register(request: SignedInRequest) -> HttpResponse:
    """Step 1: who may register now, and the citizen ID check."""
    officer = request.user
    at = now()
    if active_soft_token(officer.pk) is not None:
        messages.info(
            request,
            _("You already have a soft token. To use a new phone, choose “Replace my phone”."),
        )
        return redirect("account")
    access = registration_access(officer, at=at)
    form = CitizenIdForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            if not access.allowed:
                if not form.cleaned_data["registration_code"]:
                    raise RegistrationError(
                        "code_needed",
                        _(
                            "Registration is closed: type the registration code your administrator gave you."
                        ),
                    )
                code = find_registration_code(
                    officer, form.cleaned_data["registration_code"], at=at
                )
                request.session[CODE_KEY] = code.pk
            check = check_identity(officer, form.cleaned_data["citizen_id"], at=at)
        except Refused as error:
            form.add_error(None, error.message)
        else:
            request.session[CHECK_KEY] = check.pk
            email = mask_email(officer.email)
            if check.created_at < at:
                # The code sent less than a minute ago still works and no new e-mail went out
                # (one code a minute: registration.services.EMAIL_RESEND_AFTER).
                messages.info(
                    request,
                    _(
                        "No new e-mail was sent: the code we sent to %(email)s less than a "
                        "minute ago still works. If it has not arrived, look in the spam folder; "
                        "you can ask for a new code from %(time)s."
                    )
                    % {"email": email, "time": format_bangkok_time(resend_from(check))},
                )
            else:
                messages.success(
                    request, _("We sent a 6-digit code to %(email)s.") % {"email": email}
                )
            return redirect("register_email")
    schedule = Schedule.load().dates
    return render(
        request,
        "registration/register.html",
        {
            "form": form,
            "access": access,
            "dates": schedule,
            "registered": active_soft_token(officer.pk) is not None,
        },
    )


@never_cache
@require_http_methods(["GET", "POST"])
@login_required
def register_bootstrap(request: SignedInRequest, token: str) -> HttpResponse:
    """The first central administrator's registration link (manage.py bootstrap_admin): it
    stands in for the citizen ID and e-mail code, then the usual QR step follows. Opening the
    link only shows a button: the one-time link is used by the POST (a link preview or a
    prefetching client must not use it up)."""
    if request.method != "POST":
        return render(request, "registration/register_bootstrap.html")
    try:
        check = open_bootstrap_link(request.user, token, at=now())
    except Refused as error:
        messages.error(request, error.message)
        return redirect("register")
    request.session[CHECK_KEY] = check.pk
    return redirect("register_warning")


@require_http_methods(["GET", "POST"])
@login_required
def register_email(request: SignedInRequest) -> HttpResponse:
    """Step 2: the code sent to the official e-mail."""
    check_id = request.session.get(CHECK_KEY)
    check = (
        IdentityCheck.objects.filter(pk=check_id, officer=request.user).first()
        if check_id is not None
        else None
    )
    if check is None:
        return redirect("register")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            verify_email_code(check, form.cleaned_data["code"], at=now())
        except Refused as error:
            form.add_error("code", error.message)
        else:
            return redirect("register_warning")
    return render(
        request,
        "registration/register_email.html",
        {
            "form": form,
            "email": mask_email(request.user.email),
            # "Start again" sends a new code only a minute after the last one.
            "resend_from": resend_from(check) if resend_from(check) > now() else None,
        },
    )


@require_http_methods(["GET", "POST"])
@login_required
def register_warning(request: SignedInRequest) -> HttpResponse:
    """Step 3: what changes after registration; agreeing makes the secret."""
    if request.method == "POST":
        at = now()
        if _live_pending(request, at):
            return redirect("register_qr")  # a double-clicked button: the QR exists already
        try:
            token, _secret = start_registration(
                request.user,
                check_id=request.session.get(CHECK_KEY),
                at=at,
                registration_code=_registration_code(request, at),
            )
        except Refused as error:
            messages.error(request, error.message)
            return redirect("register")
        request.session[PENDING_KEY] = token.pk
        return redirect("register_qr")
    return render(request, "registration/register_warning.html")


@never_cache
@require_http_methods(["GET", "POST"])
@login_required
def register_qr(request: SignedInRequest) -> HttpResponse:
    """Step 4: the QR code and the key; confirm with the current code."""
    officer = request.user
    at = now()
    if request.session.get(RECOVERY_KEY):
        # Confirmed a moment ago (a double-click, or the back button): the codes come next.
        return redirect(f"{reverse('register_codes')}?r={request.session[RECOVERY_KEY]}")
    try:
        token = pending_token(officer, request.session.get(PENDING_KEY), at=at)
    except Refused as error:
        messages.error(request, error.message)
        return redirect("register")  # a registered officer goes on to the account page
    secret = token.secret
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            codes = confirm_registration(
                officer,
                token_id=token.pk,
                typed_code=form.cleaned_data["code"],
                at=at,
                registration_code=_registration_code(request, at),
            )
        except Refused as error:
            form.add_error("code", error.message)
        else:
            for key in (CHECK_KEY, PENDING_KEY, CODE_KEY):
                request.session.pop(key, None)
            if needs_second_factor(officer):
                # The first code of a token just registered with identity proofing (or a
                # bootstrap link) and the password: this session has both factors.
                mark_code_confirmed(request, at, second_factor_token=token.pk)
            return _show_recovery_codes(request, codes, at)
    uri = provisioning_uri(officer.username, secret)
    return render(
        request,
        "registration/register_qr.html",
        {
            "form": form,
            "qr_svg": mark_safe(qr_svg(uri)),  # noqa: S308  (drawn by us from our own data)
            "otpauth_uri": uri,
            "grouped_secret": grouped(secret),
            "expires_at": token.created_at + PENDING_TOKEN_LIFETIME,
            "replacing": token.is_replacement,
        },
    )


def _show_recovery_codes(
    request: SignedInRequest, codes: list[str], at: dt.datetime
) -> HttpResponse:
    """Seal the codes for one view and send the browser there. The id goes in the URL (and,
    for a double-click, in the session): parallel requests cannot lose or repeat them."""
    reveal_id = seal_once(request.user, "recovery_codes", "\n".join(codes), at=at)
    request.session[RECOVERY_KEY] = reveal_id
    return redirect(f"{reverse('register_codes')}?r={reveal_id}")


@never_cache
@require_safe
@login_required
def register_codes(request: SignedInRequest) -> HttpResponse:
    """Step 5: the ten recovery codes, shown once."""
    at = now()
    request.session.pop(RECOVERY_KEY, None)
    text = open_once(request.user, request.GET.get("r"), "recovery_codes", at=at)
    if not text:
        return redirect("register_done")
    codes = text.split("\n")
    token = active_soft_token(request.user.pk)
    download = render_to_string(
        "registration/recovery_codes.txt", {"codes": codes, "officer": request.user, "at": at}
    )
    return render(
        request,
        "registration/register_codes.html",
        {
            "codes": codes,
            "issued_at": at,
            # Shown right after the confirmation: the active token is the one just confirmed.
            "replacing": bool(token and token.is_replacement),
            "download_href": "data:text/plain;charset=utf-8," + quote(download),
        },
    )


@require_safe
@login_required
def register_done(request: SignedInRequest) -> HttpResponse:
    token = active_soft_token(request.user.pk)
    if token is None:
        return redirect("register")
    return render(request, "registration/register_done.html", {"token": token})


def _live_pending(request: SignedInRequest, at: dt.datetime) -> bool:
    try:
        pending_token(request.user, request.session.get(PENDING_KEY), at=at)
    except Refused:
        return False
    return True


def mask_email(email: str) -> str:
    """ "somchai.j@cgd.go.th" → "so•••••@cgd.go.th": enough to recognise, not to harvest."""
    local, _sep, domain = email.partition("@")
    return f"{local[:2]}{'•' * max(1, len(local) - 2)}@{domain}"


# --- the officer's status page actions (sensitive: a fresh code first) ------------------------------


@require_http_methods(["GET", "POST"])
@login_required
def account_verify(request: SignedInRequest) -> HttpResponse:
    """A fresh code (or a recovery code) before a sensitive action, then back to it."""
    target = safe_next(request)
    form = FreshCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        at = now()
        try:
            confirm_step_up(request, form.cleaned_data["code"], at)
        except Refused as error:
            form.add_error("code", error.message)
        else:
            return redirect(target)
    return render(request, "registration/account_verify.html", {"form": form, "next": target})


@require_http_methods(["GET", "POST"])
@login_required
def account_recovery_codes(request: SignedInRequest) -> HttpResponse:
    at = now()
    if not is_stepped_up(request, at):
        return redirect(with_next("account_verify", request.path))
    if request.method == "POST":
        try:
            codes = regenerate_recovery_codes(
                request.user, at=at, stepped_up_at=stepped_up_at(request)
            )
        except Refused as error:
            messages.error(request, error.message)
            return redirect("account")
        return _show_recovery_codes(request, codes, at)
    return render(request, "registration/account_recovery_codes.html")


@require_http_methods(["GET", "POST"])
@login_required
def account_replace_phone(request: SignedInRequest) -> HttpResponse:
    at = now()
    if not is_stepped_up(request, at):
        return redirect(with_next("account_verify", request.path))
    if request.method == "POST":
        try:
            token, _secret = start_replacement(
                request.user, at=at, stepped_up_at=stepped_up_at(request)
            )
        except Refused as error:
            messages.error(request, error.message)
            return redirect("account")
        request.session[PENDING_KEY] = token.pk
        request.session.pop(CODE_KEY, None)  # a leftover registration code is not for this
        return redirect("register_qr")
    return render(request, "registration/account_replace_phone.html")
