"""The audit-log viewer: central administrators and auditors read every audit event, filtered by
officer, actor, event type, agency and Bangkok days, in pages of 50 or exported whole (CSV,
XLSX) with the same filters. Everyone else gets 404, like anything outside a scope."""

from collections.abc import Iterator, Sequence

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from agencies.http import SignedInRequest
from agencies.models import Officer
from agencies.permissions import enforce, may_read_audit_log
from agencies.step_up import authorize_download, fresh_code_required
from audit.labels import EVENT_LABELS, event_label, raw_data
from audit.models import AuditEvent
from gfms_portal.clock import BANGKOK, now
from gfms_portal.exports import BeDateTime, Cell, csv_response, xlsx_response
from gfms_portal.thaidate import be_stamp
from monitoring.audit_forms import AuditLogFilter
from monitoring.audit_search import find_events
from monitoring.audit_sentences import actor_name, describe_event

PAGE_SIZE = 50
XLSX_MAX_ROWS = 1_048_575  # one Excel sheet holds 1,048,576 rows, the header included
EXPORT_HEADER = [
    "เลขที่",
    "วันเวลา",
    "วันเวลา (ISO 8601)",
    "รหัสเหตุการณ์",
    "เหตุการณ์",
    "ผู้ดำเนินการ",
    "ผู้ดำเนินการ (รหัส)",
    "รหัสผู้ใช้ของผู้ปฏิบัติงาน",
    "ชื่อผู้ปฏิบัติงาน",
    "รหัสหน่วยงาน",
    "ชื่อหน่วยงาน",
    "รายละเอียด",
    "ข้อมูลดิบ (JSON, เวลา ISO 8601)",
]
EXPORT_WIDTHS = [8, 20, 26, 28, 32, 30, 20, 18, 28, 14, 30, 70, 60]  # XLSX, in characters


def _require_reader(user: Officer) -> None:
    """Central administrators and auditors; agency administrators and officers get 404."""
    enforce(may_read_audit_log(user.actor))


@require_safe
@login_required
def audit_log(request: SignedInRequest) -> HttpResponse:
    _require_reader(request.user)
    return _render_page(request, AuditLogFilter(request.GET))


def _filtered_events(
    request: SignedInRequest,
) -> tuple[AuditLogFilter, QuerySet[AuditEvent] | None]:
    """The filter form and the events it selects (None when the filters are wrong)."""
    _require_reader(request.user)
    form = AuditLogFilter(request.GET)
    return form, find_events(form.criteria()) if form.is_valid() else None


@require_safe
@login_required
@fresh_code_required
def audit_log_csv(request: SignedInRequest) -> HttpResponseBase:
    """Every matching event, streamed row by row: constant memory whatever the size."""
    form, events = _filtered_events(request)
    if events is None:
        return _render_page(request, form, status=400)
    authorize_download(request, "audit-log.csv", at=now())
    return csv_response(_export_rows(events), f"{_export_name()}.csv")


@require_safe
@login_required
@fresh_code_required
def audit_log_xlsx(request: SignedInRequest) -> HttpResponseBase:
    form, events = _filtered_events(request)
    if events is None:
        return _render_page(request, form, status=400)
    authorize_download(request, "audit-log.xlsx", at=now())
    count = events.count()
    if count > XLSX_MAX_ROWS:
        # A workbook cut at Excel's limit would look complete; say so instead.
        form.add_error(
            None,
            _(
                "%(count)s events are more than one Excel sheet holds (%(limit)s). "
                "Narrow the filters or export CSV."
            )
            % {"count": f"{count:,}", "limit": f"{XLSX_MAX_ROWS:,}"},
        )
        return _render_page(request, form, status=400)
    return xlsx_response(
        _export_rows(events),
        f"{_export_name()}.xlsx",
        sheet="บันทึกการตรวจสอบ",
        widths=EXPORT_WIDTHS,
    )


def _render_page(
    request: SignedInRequest, form: AuditLogFilter, *, status: int = 200
) -> HttpResponse:
    page, rows = None, []
    if form.is_valid():
        page = Paginator(find_events(form.criteria()), PAGE_SIZE).get_page(
            form.cleaned_data["page"] or 1
        )
        rows = [
            (event, event_label(event.action), actor_name(event), describe_event(event))
            for event in page
        ]
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "monitoring/audit_log.html",
        {
            "form": form,
            "page": page,
            "rows": rows,
            "query": query.urlencode(),
            "filtered": any(value for key, value in query.items()),
        },
        status=status,
    )


def _export_rows(events: QuerySet[AuditEvent]) -> Iterator[Sequence[Cell]]:
    # The headers are Thai, so are the labels, sentences and dates, whatever the page's
    # language; the codes, the ISO time and the raw JSON are there for machines (labelled).
    with translation.override("th"):
        labels = {code: str(label) for code, label in EVENT_LABELS.items()}
        yield EXPORT_HEADER
        for event in events.iterator(chunk_size=2000):
            officer, agency = event.officer, event.agency
            if agency is None and officer is not None:
                agency = officer.unit
            yield [
                str(event.pk),
                BeDateTime(event.at),
                event.at.astimezone(BANGKOK).isoformat(timespec="seconds"),
                event.action,
                labels.get(event.action, event.action),
                actor_name(event),
                event.actor.username if event.actor is not None else event.actor_label,
                officer.username if officer else "",
                officer.name_th if officer else "",
                agency.code if agency else "",
                agency.name_th if agency else "",
                describe_event(event),
                raw_data(event.data),
            ]


def _export_name() -> str:
    return f"audit-log-{be_stamp(now(), with_time=True)}"  # Bangkok time, BE
