"""Administrators and their officers: find an officer in your scope, reset a lost token, issue
a late-registration code, unlock an account. Scope comes from agencies.scope (404 outside)."""

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from agencies.http import SignedInRequest
from agencies.lockout import unlock_officer
from agencies.models import Officer
from agencies.permissions import StepUpRequired, Verdict, enforce, may_reset_soft_token
from agencies.scope import officers_visible_to, require_administrator
from agencies.step_up import STEP_UP_NEEDED, stepped_up_at
from gfms_portal.clock import now
from gfms_portal.errors import Refused
from registration.forms import LateCodeForm, ResetForm
from registration.services import (
    Delivery,
    issue_late_registration_code,
    open_once,
    register_again,
    registration_access,
    reset_soft_token,
    seal_once,
)
from tokens.possession import recovery_codes_left
from tokens.services import active_soft_token
from tokens.step_up import step_up_proof

PAGE_SIZE = 50


@require_safe
@login_required
def manage_officer_search(request: SignedInRequest) -> HttpResponse:
    require_administrator(request.user)
    query = request.GET.get("q", "").strip()[:100]
    officers = officers_visible_to(request.user.viewer).select_related("unit").order_by("username")
    if query:
        officers = officers.filter(
            Q(username__icontains=query) | Q(name_th__icontains=query) | Q(name_en__icontains=query)
        )
    return render(
        request,
        "registration/manage_officer_search.html",
        {"officers": officers[:PAGE_SIZE], "query": query, "page_size": PAGE_SIZE},
    )


def _visible_officer(request: SignedInRequest, username: str) -> Officer:
    officer = (
        officers_visible_to(request.user.viewer)
        .filter(username=username)
        .select_related("unit")
        .first()
    )
    if officer is None:
        raise Http404("no such officer in your scope")
    return officer


def _may_act(request: SignedInRequest, officer: Officer, at: dt.datetime) -> Verdict:
    """Reset, late code and unlock share one rule (agencies.permissions)."""
    return may_reset_soft_token(
        request.user.actor, officer.subject, at=at, stepped_up_at=stepped_up_at(request)
    )


@never_cache
@require_http_methods(["GET", "POST"])
@login_required
def manage_officer(request: SignedInRequest, username: str) -> HttpResponse:
    require_administrator(request.user)
    officer = _visible_officer(request, username)
    at = now()
    reset_form = ResetForm(request.POST if request.POST.get("action") == "reset" else None)
    late_form = LateCodeForm(request.POST if request.POST.get("action") == "late" else None)
    if request.method == "POST":
        # The services decide (with the fresh code); an auditor's POST stops here.
        if not (verdict := _may_act(request, officer, at)).permitted:
            enforce(verdict)
        action = request.POST.get("action")
        issued_code = None
        try:
            proof = step_up_proof(request, at)
            if action == "reset" and reset_form.is_valid():
                issued_code = reset_soft_token(
                    officer,
                    actor=request.user,
                    reason=reset_form.cleaned_data["reason"],
                    delivery=Delivery(reset_form.cleaned_data["delivery"]),
                    at=at,
                    stepped_up_at=proof,
                )
                messages.success(
                    request, _("The soft token was reset and the officer was told by e-mail.")
                )
            elif action == "late" and late_form.is_valid():
                issued_code = issue_late_registration_code(
                    officer,
                    actor=request.user,
                    days=late_form.cleaned_data["days"],
                    delivery=Delivery(late_form.cleaned_data["delivery"]),
                    at=at,
                    stepped_up_at=proof,
                )
                messages.success(request, _("The late-registration code was issued."))
            elif action == "unlock" and not (
                officer.locked_until is not None and officer.locked_until > at
            ):
                # Offered only for a locked account; a stale page's button changes nothing.
                messages.info(request, _("This account is not locked: there is nothing to unlock."))
                return redirect("manage_officer", username=officer.username)
            elif action == "unlock":
                unlock_officer(officer, actor=request.user, at=at, stepped_up_at=proof)
                messages.success(request, _("The account was unlocked."))
                return redirect("manage_officer", username=officer.username)
        except Refused as error:
            messages.error(request, error.message)
        except StepUpRequired:
            messages.error(request, STEP_UP_NEEDED)
        if issued_code and request.POST.get("delivery") == Delivery.EMAIL:
            # Sent by e-mail: never shown here.
            messages.info(request, _("The code was sent to the officer's official e-mail."))
        elif issued_code:
            # Shown once on the next page view, then gone (a refresh does not re-submit).
            reveal_id = seal_once(request.user, "issued_code", issued_code, at=at)
            return redirect(f"{reverse('manage_officer', args=[officer.username])}?r={reveal_id}")
        if not (reset_form.errors or late_form.errors):
            return redirect("manage_officer", username=officer.username)
    issued_code = open_once(request.user, request.GET.get("r"), "issued_code", at=at)
    token = active_soft_token(officer.pk)
    return render(
        request,
        "registration/manage_officer.html",
        {
            "officer": officer,
            "token": token,
            "codes_left": recovery_codes_left(officer) if token else None,
            "locked": officer.locked_until is not None and officer.locked_until > at,
            "reset_form": reset_form,
            "late_form": late_form,
            "access": registration_access(officer, at=at),
            "again": register_again(officer, at=at),
            "issued_code": issued_code,
            "can_act": _may_act(request, officer, at).permitted,
        },
    )
