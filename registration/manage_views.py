"""Administrators and their officers: find an officer in your scope, reset a lost token, issue
a late-registration code, unlock an account. Scope comes from agencies.scope (404 outside)."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from agencies.models import Officer
from agencies.policy import Role
from agencies.scope import officers_visible_to, require_administrator
from auth_gateway.services import unlock_officer
from gfms_portal.clock import now
from gfms_portal.exports import csv_response
from registration.forms import LateCodeForm, ResetForm
from registration.models import Schedule
from registration.policy import days_until_close
from registration.progress import enrollment_overview, legacy_users, logins_per_day, officers_in
from registration.services import (
    Delivery,
    RegistrationError,
    issue_late_registration_code,
    open_once,
    recovery_codes_left,
    registration_access,
    reset_soft_token,
    seal_once,
)
from tokens.services import active_soft_token

ACTING_ROLES = (Role.AGENCY_ADMIN, Role.CENTRAL_ADMIN)
PAGE_SIZE = 50


def may_act_on(admin: Officer, officer: Officer) -> bool:
    """Agency administrators act on officers; central administrators on anyone; nobody on
    their own account (that goes through the officer's own pages)."""
    if admin.pk == officer.pk or admin.role not in ACTING_ROLES:
        return False
    return admin.role == Role.CENTRAL_ADMIN or officer.role == Role.OFFICER


@require_safe
@login_required
def manage_officers(request: HttpRequest) -> HttpResponse:
    require_administrator(request.user)
    query = request.GET.get("q", "").strip()[:100]
    officers = officers_visible_to(request.user.viewer).select_related("unit").order_by("username")
    if query:
        officers = officers.filter(
            Q(username__icontains=query) | Q(name_th__icontains=query) | Q(name_en__icontains=query)
        )
    return render(
        request,
        "registration/manage_officers.html",
        {"officers": officers[:PAGE_SIZE], "query": query, "page_size": PAGE_SIZE},
    )


def _visible_officer(request: HttpRequest, username: str) -> Officer:
    officer = (
        officers_visible_to(request.user.viewer)
        .filter(username=username)
        .select_related("unit")
        .first()
    )
    if officer is None:
        raise Http404("no such officer in your scope")
    return officer


@never_cache
@require_http_methods(["GET", "POST"])
@login_required
def manage_officer(request: HttpRequest, username: str) -> HttpResponse:
    require_administrator(request.user)
    officer = _visible_officer(request, username)
    at = now()
    reset_form = ResetForm(request.POST if request.POST.get("action") == "reset" else None)
    late_form = LateCodeForm(request.POST if request.POST.get("action") == "late" else None)
    if request.method == "POST":
        if not may_act_on(request.user, officer):
            raise PermissionDenied
        action = request.POST.get("action")
        issued_code = None
        try:
            if action == "reset" and reset_form.is_valid():
                issued_code = reset_soft_token(
                    officer,
                    actor=request.user,
                    reason=reset_form.cleaned_data["reason"],
                    delivery=Delivery(reset_form.cleaned_data["delivery"]),
                    at=at,
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
                )
                messages.success(request, _("The late-registration code was issued."))
            elif action == "unlock":
                unlock_officer(officer, actor=request.user, at=at)
                messages.success(request, _("The account was unlocked."))
                return redirect("manage_officer", username=officer.username)
        except RegistrationError as error:
            messages.error(request, error.message)
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
            "issued_code": issued_code,
            "can_act": may_act_on(request.user, officer),
        },
    )


@require_safe
@login_required
def manage_progress(request: HttpRequest, code: str | None = None) -> HttpResponse:
    """Enrollment progress for a node and its children, drill-down to any depth, in scope."""
    require_administrator(request.user)
    at = now()
    node, summary, children = enrollment_overview(request.user.viewer, code, at=at)
    schedule = Schedule.load().dates
    return render(
        request,
        "registration/manage_progress.html",
        {
            "node": node,
            "summary": summary,
            "children": children,
            "closes": schedule.closes,
            "days_left": days_until_close(at, schedule),
        },
    )


class OfficerFilter(forms.Form):
    state = forms.ChoiceField(
        required=False,
        choices=[
            ("", gettext_lazy("Everyone")),
            ("registered", gettext_lazy("Registered")),
            ("pending", gettext_lazy("In progress")),
            ("not_started", gettext_lazy("Not started")),
        ],
    )
    q = forms.CharField(
        required=False, max_length=100, label=gettext_lazy("Find by user id or name")
    )
    unit = forms.RegexField(
        required=False, regex=r"^\d{2}(\d{3}(\d{5})?)?$", label=gettext_lazy("GFMIS code")
    )
    page = forms.IntegerField(required=False, min_value=1, max_value=100_000)


def _filtered(request: HttpRequest):  # type: ignore[no-untyped-def]
    form = OfficerFilter(request.GET or None)
    if form.is_bound and not form.is_valid():
        return form, None
    data = form.cleaned_data if form.is_bound else {}
    officers = officers_in(
        request.user.viewer,
        at=now(),
        state=data.get("state", ""),
        query=data.get("q", ""),
        code=data.get("unit") or None,
    )
    return form, officers


@require_safe
@login_required
def manage_officer_list(request: HttpRequest) -> HttpResponse:
    """Officers in scope with their registration state: filters, search, pages of 50."""
    require_administrator(request.user)
    form, officers = _filtered(request)
    page = None
    if officers is not None:
        page = Paginator(officers, PAGE_SIZE).get_page(
            (form.cleaned_data.get("page") if form.is_bound else None) or 1
        )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "registration/manage_officer_list.html",
        {"form": form, "page": page, "query": query.urlencode()},
    )


@require_safe
@login_required
def manage_officer_list_csv(request: HttpRequest) -> HttpResponse:
    """The same list as CSV, streamed: constant memory whatever the number of officers."""
    require_administrator(request.user)
    _form, officers = _filtered(request)
    if officers is None:
        raise Http404("bad filter")

    def rows():  # type: ignore[no-untyped-def]
        yield ["รหัสผู้ใช้", "ชื่อ", "หน่วยเบิกจ่าย", "เลขประจำตัวประชาชน", "สถานะ", "อีเมล"]
        for officer in officers.iterator(chunk_size=2000):
            state = (
                "ลงทะเบียนแล้ว"
                if officer.is_registered
                else "กำลังลงทะเบียน"
                if officer.is_pending
                else "ยังไม่เริ่ม"
            )
            yield [
                officer.username,
                officer.name_th,
                officer.unit.code,
                officer.masked_citizen_id,
                state,
                officer.email,
            ]

    return csv_response(rows(), "officers.csv")


@require_safe
@login_required
def manage_legacy_logins(request: HttpRequest) -> HttpResponse:
    """Readiness before the cutover: logins per day by method, and who still uses the legacy
    ways (Token Key, password alone) — from the gateway's decision records, in scope."""
    require_administrator(request.user)
    at = now()
    return render(
        request,
        "registration/manage_legacy_logins.html",
        {
            "days": logins_per_day(request.user.viewer, at=at),
            "legacy": list(legacy_users(request.user.viewer, at=at)[:500]),
        },
    )
