"""Tomorrow's refusals, forecast (monitoring.forecast): before the soft-token-only day, who still
logs in the old way without a soft token; after it, who was refused for want of one. Per
agency with drill-down, a trend, the list, a reminder to exactly those officers, exports."""

import datetime as dt
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.functional import lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST, require_safe

from agencies.http import SignedInRequest
from agencies.models import Officer
from agencies.permissions import enforce, may_remind, may_see_forecast
from agencies.policy import can_see_agency
from agencies.step_up import authorize_download, fresh_code_required
from auth_gateway.policy import Method
from gfms_portal.clock import bangkok_date, now
from gfms_portal.digits import ascii_digits
from gfms_portal.exports import BeDateTime, Cell, csv_response, xlsx_response
from gfms_portal.thaidate import be_stamp
from monitoring.charts import NARROW, daily_chart
from monitoring.forecast import (
    DEFAULT_DAYS,
    MAX_DAYS,
    SORTS,
    LastLogin,
    RefusedNow,
    RefusedState,
    Rows,
    forecast_overview,
    forecast_trend,
    is_after_cutover,
    overview_node,
    refused_overview,
    refused_since_cutover,
    refused_trend,
    sorted_officers,
    will_be_refused,
    with_last_legacy_login,
    with_last_refusal,
)
from monitoring.views import report_reminders
from registration.reminders import registration_is_open, remind_now
from schedule.models import Schedule
from schedule.policy import MigrationSchedule

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

PAGE_SIZE = 50
DAYS_PROBLEM = lazy(
    lambda: _("Type a whole number of days from 1 to %(max)s.") % {"max": MAX_DAYS}, str
)()


def _require_reader(request: SignedInRequest) -> None:
    """Who may open the page (agencies.permissions.may_see_forecast): every reader of officers,
    the help desk included; their scope decides the rows, and a node outside it is a 404."""
    enforce(may_see_forecast(request.user.actor))


class ForecastFilter(forms.Form):
    days = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_DAYS,
        initial=DEFAULT_DAYS,
        label=gettext_lazy("Days counted back from today"),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "size": 4}),  # Thai digits too
        error_messages={
            "invalid": DAYS_PROBLEM,
            "min_value": DAYS_PROBLEM,
            "max_value": DAYS_PROBLEM,
        },
    )
    q = forms.CharField(
        required=False, max_length=100, label=gettext_lazy("Find by user id or name")
    )
    state = forms.ChoiceField(
        required=False,
        choices=[
            ("", gettext_lazy("Everyone refused")),
            (RefusedState.WITHOUT_CODE, gettext_lazy("No registration code yet")),
            (RefusedState.WITH_CODE, gettext_lazy("Has a registration code")),
            (RefusedState.REGISTERED, gettext_lazy("Registered now")),
        ],
        label=gettext_lazy("Now"),
    )
    sort = forms.ChoiceField(required=False, choices=[(key, key) for key in SORTS])
    order = forms.ChoiceField(required=False, choices=[("asc", "asc"), ("desc", "desc")])
    page = forms.IntegerField(required=False, min_value=1, max_value=100_000)

    def __init__(self, *args: Any, after: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if after:
            self.fields["days"].label = gettext_lazy("Days shown in the chart")
        else:
            del self.fields["state"]  # who was refused is only known after the day

    def value(self, name: str, default: Any = "") -> Any:
        data = self.cleaned_data if self.is_bound else {}
        return data.get(name) or default


def _code(raw: str | None) -> str | None:
    """A node's GFMIS code from a path or a field (Thai digits too); anything else is a 404."""
    code = ascii_digits(raw or "").strip() or None
    if code is not None and not (code.isascii() and code.isdigit()):
        raise Http404("no such agency")
    return code


def _sorted(form: ForecastFilter, officers: Rows) -> Rows:
    sort, order = _order(form)
    return sorted_officers(officers, sort, order)


def _order(form: ForecastFilter) -> tuple[str, str]:
    """By unit and user id unless asked (as the officer list); the latest login first when
    sorting by it. (By unit, only the page's 50 officers have their last login looked up.)"""
    sort = form.value("sort", "unit")
    return sort, form.value("order", "desc" if sort == "last" else "asc")


def _will_be_refused(
    request: SignedInRequest, form: ForecastFilter, code: str | None, *, at: dt.datetime
) -> "QuerySet[WithAnnotations[Officer, LastLogin]]":
    days = form.value("days", DEFAULT_DAYS)
    officers = will_be_refused(
        request.user.viewer, at=at, days=days, code=code, query=form.value("q")
    )
    return _sorted(form, with_last_legacy_login(officers, at=at, days=days))


def _refused(
    request: SignedInRequest,
    form: ForecastFilter,
    code: str | None,
    *,
    at: dt.datetime,
    schedule: MigrationSchedule,
) -> "QuerySet[WithAnnotations[Officer, RefusedNow]]":
    officers = refused_since_cutover(
        request.user.viewer,
        at=at,
        schedule=schedule,
        code=code,
        query=form.value("q"),
        state=form.value("state"),
    )
    return _sorted(form, with_last_refusal(officers, at=at, schedule=schedule))


@require_safe
@login_required
def manage_forecast(request: SignedInRequest, code: str | None = None) -> HttpResponse:
    """Before the day: who will be refused, per agency (drill-down), day by day, by name. After
    it: who was refused, and whether each has a way in now."""
    _require_reader(request)
    code = _code(code)
    at = now()
    schedule = Schedule.load().dates
    after = is_after_cutover(at, schedule)
    viewer = request.user.viewer
    form = ForecastFilter(request.GET or None, after=after)
    context: dict[str, Any] = {
        "form": form,
        "after": after,
        "cutover": schedule.soft_token_only_from,
        "closes": schedule.closes,
    }
    if form.is_bound and not form.is_valid():
        context["node"] = overview_node(viewer, code)
        return render(request, "monitoring/manage_forecast.html", context)
    days = form.value("days", DEFAULT_DAYS)
    if after:
        node, refused, refused_rows = refused_overview(viewer, code, at=at, schedule=schedule)
        trend = refused_trend(viewer, code, at=at, days=days, schedule=schedule)
        context.update(summary=refused, children=refused_rows)
        flagged = refused.refused
    else:
        node, forecast, forecast_rows = forecast_overview(viewer, code, at=at, days=days)
        trend = forecast_trend(viewer, code, at=at, days=days)
        context.update(summary=forecast, children=forecast_rows)
        flagged = forecast.will_be_refused
    officers: QuerySet[Officer] = (
        _refused(request, form, code, at=at, schedule=schedule)
        if after
        else _will_be_refused(request, form, code, at=at)
    )
    paginator = Paginator(officers, PAGE_SIZE)
    if not form.value("q") and not form.value("state"):
        # The same officers as the summary's count: not counted a second time.
        paginator.count = flagged  # Paginator.count is a cached_property: set, it is not run
    page = paginator.get_page(form.value("page", 1))
    query = request.GET.copy()
    query.pop("page", None)
    sort_query = query.copy()
    for key in ("sort", "order"):
        sort_query.pop(key, None)
    node_code = node.code if node else None
    context.update(
        {
            "node": node,
            "parent_visible": bool(
                node and node.parent and can_see_agency(viewer, node.parent.path)
            ),
            "flagged": flagged,
            "days": days,
            "trend": trend,
            "trend_first": trend[0].day if trend else None,
            "trend_last": trend[-1].day if trend else None,
            "chart": daily_chart(trend),
            "chart_narrow": daily_chart(trend, NARROW),
            "page": page,
            "query": query.urlencode(),
            "sort_query": sort_query.urlencode(),
            "sort": _order(form)[0],
            "order": _order(form)[1],
            "export_query": _export_query(request, node_code),
            "may_remind": not after
            and flagged > 0
            and may_remind(request.user.actor, node.path if node else None).allowed,
            "registration_open": registration_is_open(bangkok_date(at), schedule),
        }
    )
    return render(request, "monitoring/manage_forecast.html", context)


def _export_query(request: SignedInRequest, code: str | None) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    if code:
        query["unit"] = code
    return query.urlencode()


def _back(code: str | None, query: str = "") -> str:
    url = reverse("manage_forecast_node", args=[code]) if code else reverse("manage_forecast")
    return f"{url}?{query}" if query else url


@require_POST
@login_required
def manage_forecast_remind(request: SignedInRequest) -> HttpResponse:
    """E-mail a reminder to exactly the officers who will be refused (the node's, the window's).
    One reminder per officer per Bangkok day, whoever asks (registration.reminders)."""
    enforce(may_remind(request.user.actor, None))  # remind_now checks the node too
    code = _code(request.POST.get("unit"))
    form = ForecastFilter({"days": request.POST.get("days", "")}, after=False)
    if not form.is_valid():
        messages.error(request, str(DAYS_PROBLEM))
        return redirect(_back(code))
    days = form.value("days", DEFAULT_DAYS)
    back = _back(code, f"days={days}")
    at = now()
    schedule = Schedule.load().dates
    if is_after_cutover(at, schedule) or not registration_is_open(bangkok_date(at), schedule):
        messages.error(request, _("Registration is not open today, so no reminder was sent."))
        return redirect(back)
    officers = will_be_refused(request.user.viewer, at=at, days=days, code=code)
    report_reminders(
        request, remind_now(request.user, code, at=at, only=officers, selection="forecast")
    )
    return redirect(back)


# --- exports ------------------------------------------------------------------------------------

METHOD_TH = {
    Method.SOFT_TOKEN: "Soft Token",
    Method.TOKEN_KEY: "Token Key",
    Method.PASSWORD: "รหัสผ่านอย่างเดียว",
}
BEFORE_HEADER = [
    "รหัสผู้ใช้",
    "ชื่อ",
    "หน่วยเบิกจ่าย",
    "เข้าระบบแบบเดิมครั้งล่าสุด",
    "วิธีที่ใช้",
    "สถานะการลงทะเบียน",
]
BEFORE_WIDTHS = [18, 32, 14, 22, 20, 18]
AFTER_HEADER = [
    "รหัสผู้ใช้",
    "ชื่อ",
    "หน่วยเบิกจ่าย",
    "ถูกปฏิเสธครั้งล่าสุด",
    "วิธีที่ใช้",
    "ตอนนี้",
    "รหัสลงทะเบียนใช้ได้ถึง",
]
AFTER_WIDTHS = [18, 32, 14, 22, 20, 26, 22]


def _officer_cells(row: dict[str, Any]) -> list[Cell]:
    """The columns both exports start with: who, where, and the last login that counts."""
    return [
        row["username"],
        row["name_th"],
        row["unit__code"] or "",
        BeDateTime(row["last_at"]) if row["last_at"] else "",
        METHOD_TH.get(row["last_method"], row["last_method"] or ""),
    ]


def _before_rows(
    officers: "QuerySet[WithAnnotations[Officer, LastLogin]]",
) -> Iterator[Sequence[Cell]]:
    yield BEFORE_HEADER
    rows = officers.values(
        "username", "name_th", "unit__code", "last_at", "last_method", "is_pending"
    )
    for row in rows.iterator(chunk_size=2000):
        yield [*_officer_cells(row), "กำลังลงทะเบียน" if row["is_pending"] else "ยังไม่เริ่ม"]


def _after_rows(
    officers: "QuerySet[WithAnnotations[Officer, RefusedNow]]",
) -> Iterator[Sequence[Cell]]:
    yield AFTER_HEADER
    rows = officers.values(
        "username",
        "name_th",
        "unit__code",
        "last_at",
        "last_method",
        "is_registered",
        "has_code",
        "code_expires_at",
    )
    for row in rows.iterator(chunk_size=2000):
        state = (
            "ลงทะเบียนแล้ว"
            if row["is_registered"]
            else "มีรหัสลงทะเบียนล่าช้าแล้ว"
            if row["has_code"]
            else "ยังไม่มีรหัสลงทะเบียน"
        )
        yield [
            *_officer_cells(row),
            state,
            BeDateTime(row["code_expires_at"])
            if row["code_expires_at"] and not row["is_registered"]
            else "",
        ]


@require_safe
@login_required
@fresh_code_required
def manage_forecast_export(request: SignedInRequest, fmt: str) -> HttpResponseBase:
    """The page's list as CSV or XLSX (the officer list's streamed exports), with a fresh code:
    names and user ids are personal data."""
    _require_reader(request)
    if fmt not in ("csv", "xlsx"):
        raise Http404("unknown export format")
    code = _code(request.GET.get("unit"))
    at = now()
    schedule = Schedule.load().dates
    after = is_after_cutover(at, schedule)
    form = ForecastFilter(request.GET or None, after=after)
    query = request.GET.copy()
    query.pop("unit", None)
    back = _back(code, query.urlencode())
    if form.is_bound and not form.is_valid():
        messages.error(request, _("Nothing was exported: correct the filters first."))
        return redirect(back)
    overview_node(request.user.viewer, code)  # 404 outside the scope, before anything else
    rows: Iterator[Sequence[Cell]]
    if after:
        refused = _refused(request, form, code, at=at, schedule=schedule)
        found, rows = refused.exists(), _after_rows(refused)
    else:
        will = _will_be_refused(request, form, code, at=at)
        found, rows = will.exists(), _before_rows(will)
    if not found:
        messages.info(request, _("Nothing to export: no officer matches these filters."))
        return redirect(back)
    authorize_download(request, f"forecast.{fmt}", at=at)
    name = "refused" if after else "will-be-refused"
    filename = f"{name}-{be_stamp(at)}.{fmt}"
    if fmt == "xlsx":
        return xlsx_response(
            rows,
            filename,
            sheet="ถูกปฏิเสธ" if after else "จะถูกปฏิเสธ",
            widths=AFTER_WIDTHS if after else BEFORE_WIDTHS,
        )
    return csv_response(rows, filename)
