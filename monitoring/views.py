"""Administrators and their officers: find an officer in your scope, reset a lost token, issue
a late-registration code, unlock an account. Scope comes from agencies.scope (404 outside)."""

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST, require_safe

from agencies.http import SignedInRequest
from agencies.models import Officer
from agencies.permissions import enforce, may_remind
from agencies.policy import can_see_agency
from agencies.scope import require_administrator
from agencies.step_up import (
    authorize_download,
    fresh_code_required,
)
from gfms_portal.clock import bangkok_date, now
from gfms_portal.digits import ascii_digits
from gfms_portal.exports import BeDate, Cell, csv_response, xlsx_response
from gfms_portal.forms import GfmisCodeField
from gfms_portal.thaidate import be_stamp
from monitoring.charts import NARROW, burnup_chart
from monitoring.forecast import refusal_notice
from monitoring.progress import (
    RegistrationCounts,
    burnup,
    legacy_users,
    logins_per_day,
    officers_in,
    refused_unregistered,
    registration_overview,
)
from registration.reminders import (
    OnDemandResult,
    registration_is_open,
    remind_now,
    reminded_today,
)
from schedule.models import Schedule
from schedule.policy import Phase, days_until_close, phase_at
from tokens.roster import RosterState

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

PAGE_SIZE = 50
LIST_LIMIT = 500


SORT_KEYS = {
    "code": lambda row: row.code,
    "total": lambda row: row.total,
    "registered": lambda row: row.registered,
    "pending": lambda row: row.pending,
    "not_started": lambda row: row.not_started,
    "percent": lambda row: (row.percent_registered, row.code),
}


def _sorted_children(
    request: SignedInRequest, children: list[RegistrationCounts]
) -> tuple[list[RegistrationCounts], str, str, str]:
    """The per-child table sorted by a column (links in the headers, no JavaScript); laggards
    first by default. An unknown column or order is named and the default kept."""
    sort = request.GET.get("sort", "percent")
    order = request.GET.get("order", "asc")
    problem = ""
    if sort not in SORT_KEYS or order not in ("asc", "desc"):
        problem = _("Unknown sort order “%(sort)s %(order)s”: showing the laggards first.") % {
            "sort": sort[:20],
            "order": order[:5],
        }
        sort, order = "percent", "asc"
    rows = sorted(children, key=SORT_KEYS[sort], reverse=order == "desc")
    return rows, sort, order, problem


@require_safe
@login_required
def manage_progress(request: SignedInRequest, code: str | None = None) -> HttpResponse:
    """Registration progress for a node and its children, drill-down to any depth, in scope:
    the burn-up against the closing day, the sortable per-child table, reminders on demand."""
    require_administrator(request.user)
    if code is not None:
        code = ascii_digits(code)  # /manage/progress/๐๓๐๐๔/ is 03004
    at = now()
    viewer = request.user.viewer
    node, summary, children = registration_overview(viewer, code, at=at)
    schedule = Schedule.load().dates
    rows, sort, order, sort_problem = _sorted_children(request, children)
    figures = burnup(
        viewer, node, summary.total, at=at, opens=schedule.opens, closes=schedule.closes
    )
    unregistered = summary.total - summary.registered
    return render(
        request,
        "monitoring/manage_progress.html",
        {
            "node": node,
            # The parent is a link only where the viewer may look (an agency administrator's
            # own node has a parent outside its subtree: its page would be a 404).
            "parent_visible": bool(
                node and node.parent and can_see_agency(viewer, node.parent.path)
            ),
            "summary": summary,
            "children": rows,
            "sort": sort,
            "order": order,
            "sort_problem": sort_problem,
            "closes": schedule.closes,
            "days_left": days_until_close(at, schedule),
            "burnup": figures,
            # Drawn twice, for a PC and for a phone; the CSS shows the one that fits.
            "chart": burnup_chart(figures),
            "chart_narrow": burnup_chart(figures, NARROW),
            "may_remind": may_remind(request.user.actor, node.path if node else None).allowed,
            "registration_open": registration_is_open(bangkok_date(at), schedule),
            "unregistered": unregistered,
            "reminded_today": reminded_today(viewer, at, node.code if node else None)
            if unregistered and may_remind(request.user.actor, None).allowed
            else 0,
            # "Will be refused from …: N officers", in the last two weeks before the day.
            "refusal_notice": refusal_notice(
                viewer, node.code if node else None, at=at, schedule=schedule
            ),
        },
    )


@require_POST
@login_required
def manage_remind(request: SignedInRequest) -> HttpResponse:
    """Remind the unregistered officers of a node (or of the whole scope) now. Safe to click
    twice: nobody gets two reminders on one day."""
    enforce(may_remind(request.user.actor, None))  # remind_now checks the node too
    code = ascii_digits(request.POST.get("unit", "")).strip() or None
    if code is not None and not (code.isascii() and code.isdigit()):
        raise Http404("no such agency")
    at = now()
    schedule = Schedule.load().dates
    back = reverse("manage_progress_node", args=[code]) if code else reverse("manage_progress")
    if not registration_is_open(bangkok_date(at), schedule):
        messages.error(request, _("Registration is not open today, so no reminder was sent."))
        return redirect(back)
    report_reminders(request, remind_now(request.user, code, at=at))
    return redirect(back)


def report_reminders(request: SignedInRequest, result: OnDemandResult) -> None:
    """What a click on a reminder button did, as a message on the next page."""
    if result.unregistered == 0:
        messages.info(request, _("Everyone here has registered: no reminder was needed."))
    elif result.claimed == 0:
        messages.info(
            request,
            _("No reminder was sent: all %(count)s officers had already been reminded today.")
            % {"count": result.unregistered},
        )
    else:
        messages.success(
            request,
            ngettext(
                "A reminder is on its way to %(count)s officer.",
                "Reminders are on their way to %(count)s officers.",
                result.claimed,
            )
            % {"count": result.claimed}
            + (
                " "
                + _("%(skipped)s had already been reminded today and were skipped.")
                % {"skipped": result.already_today}
                if result.already_today
                else ""
            ),
        )


class OfficerFilter(forms.Form):
    state = forms.ChoiceField(
        required=False,
        choices=[
            ("", gettext_lazy("Everyone")),
            ("registered", gettext_lazy("Registered")),
            ("pending", gettext_lazy("In progress")),
            ("not_started", gettext_lazy("Not started")),
            ("unregistered", gettext_lazy("Not registered (in progress or not started)")),
        ],
        label=gettext_lazy("Registration"),
    )
    legacy = forms.BooleanField(
        required=False, label=gettext_lazy("Logged in the old way in the last 7 days")
    )
    q = forms.CharField(
        required=False, max_length=100, label=gettext_lazy("Find by user id or name")
    )
    unit = GfmisCodeField(required=False, label=gettext_lazy("GFMIS code"))
    page = forms.IntegerField(required=False, min_value=1, max_value=100_000)


def _filtered(
    request: SignedInRequest,
) -> "tuple[OfficerFilter, QuerySet[WithAnnotations[Officer, RosterState]] | None]":
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
        legacy=data.get("legacy", False),
    )
    return form, officers


@require_safe
@login_required
def manage_officer_list(request: SignedInRequest) -> HttpResponse:
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
        "monitoring/manage_officer_list.html",
        {"form": form, "page": page, "query": query.urlencode()},
    )


EXPORT_HEADER = [
    "รหัสผู้ใช้",
    "ชื่อ",
    "หน่วยเบิกจ่าย",
    "เลขประจำตัวประชาชน",
    "สถานะ",
    "วันที่ลงทะเบียน",
    "อีเมล",
]
EXPORT_WIDTHS = [18, 32, 14, 20, 16, 16, 34]  # XLSX column widths, in characters


def _export_rows(
    officers: "QuerySet[WithAnnotations[Officer, RosterState]]",
) -> Iterator[Sequence[Cell]]:
    yield EXPORT_HEADER
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
            officer.unit.code if officer.unit else "",  # never empty: the roster joins the unit
            officer.masked_citizen_id,
            state,
            BeDate(officer.registered_at) if officer.registered_at else "",
            officer.email,
        ]


@require_safe
@login_required
@fresh_code_required
def manage_officer_list_export(request: SignedInRequest, fmt: str) -> HttpResponseBase:
    """The same list as CSV (UTF-8 with a BOM, so Excel shows Thai) or XLSX, streamed: constant
    memory whatever the number of officers. Bad filters or nothing to export: back to the list
    with the reason."""
    require_administrator(request.user)
    if fmt not in ("csv", "xlsx"):
        raise Http404("unknown export format")
    _form, officers = _filtered(request)
    back = f"{reverse('manage_officer_list')}?{request.GET.urlencode()}"
    if officers is None:
        messages.error(request, _("Nothing was exported: correct the filters first."))
        return redirect(back)
    if not officers.exists():
        messages.info(request, _("Nothing to export: no officer matches these filters."))
        return redirect(back)
    at = now()
    authorize_download(request, f"officer-list.{fmt}", at=at)
    filename = f"officers-{be_stamp(at)}.{fmt}"  # the Bangkok day, BE
    if fmt == "xlsx":
        return xlsx_response(
            _export_rows(officers), filename, sheet="เจ้าหน้าที่", widths=EXPORT_WIDTHS
        )
    return csv_response(_export_rows(officers), filename)


@require_safe
@login_required
def manage_legacy_logins(request: SignedInRequest) -> HttpResponse:
    """Readiness before the cutover: logins per day by method, and who still uses the legacy
    ways (Token Key, password alone) — from the gateway's decision records, in scope."""
    require_administrator(request.user)
    at = now()
    return render(
        request,
        "monitoring/manage_legacy_logins.html",
        {
            "days": logins_per_day(request.user.viewer, at=at),
            "legacy": list(legacy_users(request.user.viewer, at=at)[:LIST_LIMIT]),
            "refused": list(refused_unregistered(request.user.viewer, at=at)[:LIST_LIMIT]),
            "limit": LIST_LIMIT,
            "after_cutover": phase_at(at, Schedule.load().dates) == Phase.SOFT_TOKEN_ONLY,
        },
    )
