"""Administrators and hardware Token Keys: hand-over, lost reports, shipments with a manifest,
reception at CGD. Thin adapters over tokens.custody; scope from agencies.scope (404 outside)."""

from collections.abc import Iterator, Sequence

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_safe

from agencies.http import SignedInRequest
from agencies.permissions import (
    ACTING,
    StepUpRequired,
    may_cancel_shipment,
    may_pack,
    may_receive,
    may_ship,
)
from agencies.scope import agencies_visible_to, require_administrator
from agencies.step_up import STEP_UP_NEEDED, authorize_download, fresh_code_required
from gfms_portal.clock import now
from gfms_portal.errors import Refused
from gfms_portal.exports import BeDate, Cell, csv_response, xlsx_response
from gfms_portal.thaidate import be_stamp
from schedule.models import Schedule
from tokens.custody import (
    CustodyError,
    cancel_shipment,
    create_shipment,
    discrepancies,
    hand_over,
    mark_shipped,
    receive_late,
    receive_shipment,
    report_damaged,
    report_lost,
    resolve_discrepancy,
)
from tokens.models import Shipment, ShipmentItem, ShipmentStatus, TokenKey, TokenKeyState
from tokens.models import TokenKeyState as S
from tokens.policy import effective_state, is_overdue
from tokens.returns import outstanding_devices, return_progress
from tokens.step_up import step_up_proof

LIST_LIMIT = 500


class SerialsForm(forms.Form):
    serials = forms.CharField(
        label=gettext_lazy("Serials (scan or type, one per line)"),
        widget=forms.Textarea(
            attrs={"rows": 6, "autocomplete": "off", "autocapitalize": "characters"}
        ),
        max_length=20_000,
    )


class DamagedForm(forms.Form):
    serial = forms.CharField(label=gettext_lazy("Serial"), max_length=64)


class LostForm(forms.Form):
    serial = forms.CharField(label=gettext_lazy("Serial"), max_length=64)
    statement = forms.CharField(
        label=gettext_lazy("What happened"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
    )


class ShipForm(forms.Form):
    courier = forms.CharField(label=gettext_lazy("Courier"), max_length=100)
    tracking_number = forms.CharField(label=gettext_lazy("Tracking number"), max_length=64)


def _report(request: HttpRequest, error: CustodyError) -> None:
    for problem in error.problems:
        messages.error(request, problem)


@require_http_methods(["GET", "POST"])
@login_required
def manage_token_keys(request: SignedInRequest) -> HttpResponse:
    require_administrator(request.user)
    at = now()
    hand_over_form = SerialsForm(
        request.POST if request.POST.get("action") == "hand_over" else None
    )
    lost_form = LostForm(request.POST if request.POST.get("action") == "lost" else None)
    damaged_form = DamagedForm(request.POST if request.POST.get("action") == "damaged" else None)
    if request.method == "POST" and _may_record(request):
        try:
            if hand_over_form.is_valid():
                done = hand_over(hand_over_form.cleaned_data["serials"], actor=request.user, at=at)
                messages.success(
                    request,
                    _("%(n)d Token Key(s) recorded as handed to the parent agency.")
                    % {"n": len(done)},
                )
                return redirect("manage_token_keys")
            if damaged_form.is_valid():
                report_damaged(damaged_form.cleaned_data["serial"], actor=request.user, at=at)
                messages.success(request, _("Recorded as damaged; it still goes back to CGD."))
                return redirect("manage_token_keys")
            if lost_form.is_valid():
                report_lost(
                    lost_form.cleaned_data["serial"],
                    lost_form.cleaned_data["statement"],
                    actor=request.user,
                    at=at,
                )
                messages.success(request, _("The loss was recorded."))
                return redirect("manage_token_keys")
        except CustodyError as error:
            _report(request, error)
    schedule = Schedule.load().dates
    devices = list(
        TokenKey.objects.filter(unit__in=agencies_visible_to(request.user.viewer).values("pk"))
        .select_related("officer", "unit")
        .order_by("unit__code", "serial")[: LIST_LIMIT + 1]
    )
    truncated = len(devices) > LIST_LIMIT
    devices = devices[:LIST_LIMIT]
    rows = [
        (device, TokenKeyState(effective_state(device.state, at=at, schedule=schedule)))
        for device in devices
    ]
    return render(
        request,
        "tokens/manage_token_keys.html",
        {
            "rows": rows,
            "hand_over_form": hand_over_form,
            "lost_form": lost_form,
            "damaged_form": damaged_form,
            "truncated": truncated,
            "list_limit": LIST_LIMIT,
            "can_act": _may_record(request),
        },
    )


def _may_record(request: SignedInRequest) -> bool:
    """Hand-over, damage and loss forms: the administrators who act (per key, custody asks
    agencies.permissions.may_hand_over again)."""
    return request.user.actor.role in ACTING


def _visible_shipments(request: SignedInRequest) -> QuerySet[Shipment]:
    return Shipment.objects.filter(
        sender__in=agencies_visible_to(request.user.viewer).values("pk")
    ).select_related("sender")


@require_http_methods(["GET", "POST"])
@login_required
def manage_shipments(request: SignedInRequest) -> HttpResponse:
    require_administrator(request.user)
    form = SerialsForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            shipment = create_shipment(form.cleaned_data["serials"], actor=request.user, at=now())
        except CustodyError as error:
            _report(request, error)
        else:
            return redirect("manage_shipment", shipment_id=shipment.pk)
    return render(
        request,
        "tokens/manage_shipments.html",
        {
            "shipments": _visible_shipments(request)[:200],
            "form": form,
            "can_pack": may_pack(request.user.actor).allowed,
        },
    )


def _visible_shipment(request: SignedInRequest, shipment_id: int) -> Shipment:
    shipment = _visible_shipments(request).filter(pk=shipment_id).first()
    if shipment is None:
        raise Http404("no such shipment in your scope")
    return shipment


@require_http_methods(["GET", "POST"])
@login_required
def manage_shipment(request: SignedInRequest, shipment_id: int) -> HttpResponse:
    require_administrator(request.user)
    shipment = _visible_shipment(request, shipment_id)
    ship_form = ShipForm(request.POST if request.POST.get("action") == "ship" else None)
    receive_form = SerialsForm(request.POST if request.POST.get("action") == "receive" else None)
    if request.method == "POST":
        at = now()
        try:
            if ship_form.is_valid():
                mark_shipped(shipment, actor=request.user, at=at, **ship_form.cleaned_data)
                messages.success(request, _("Marked as shipped."))
                return redirect("manage_shipment", shipment_id=shipment.pk)
            if request.POST.get("action") == "cancel":
                cancel_shipment(shipment, actor=request.user, at=at)
                messages.success(request, _("The draft shipment was cancelled."))
                return redirect("manage_shipments")
            if receive_form.is_valid():
                result = receive_shipment(
                    shipment, receive_form.cleaned_data["serials"], actor=request.user, at=at
                )
                messages.success(
                    request,
                    _("Received %(received)d; missing %(missing)d; unexpected %(unexpected)d.")
                    % {
                        "received": len(result.received),
                        "missing": len(result.missing),
                        "unexpected": len(result.unexpected),
                    },
                )
                return redirect("manage_shipment", shipment_id=shipment.pk)
        except CustodyError as error:
            _report(request, error)
    return render(
        request,
        "tokens/manage_shipment.html",
        {
            "shipment": shipment,
            "items": _visible_items(request, shipment),
            "ship_form": ship_form,
            "receive_form": receive_form,
            "can_ship": may_ship(request.user.actor, shipment.sender.path).allowed
            and shipment.status == ShipmentStatus.DRAFT,
            "can_receive": may_receive(request.user.actor).allowed
            and shipment.status == ShipmentStatus.SHIPPED,
            "can_cancel": may_cancel_shipment(request.user.actor, shipment.sender.path).allowed
            and shipment.status == ShipmentStatus.DRAFT,
        },
    )


def _visible_items(request: SignedInRequest, shipment: Shipment) -> list[ShipmentItem]:
    """The shipment's lines; an unexpected device of another agency shows only its serial to
    anyone but CGD."""
    visible = {a["pk"] for a in agencies_visible_to(request.user.viewer).values("pk")}
    items = list(shipment.items.select_related("token_key__unit").order_by("serial"))
    for item in items:
        if item.token_key is not None and item.token_key.unit_id not in visible:
            item.token_key = None
    return items


@require_safe
@login_required
def manage_shipment_manifest(request: SignedInRequest, shipment_id: int) -> HttpResponse:
    require_administrator(request.user)
    shipment = _visible_shipment(request, shipment_id)
    # Imported here: WeasyPrint needs Pango, which only the PDF needs (the portal starts without).
    from tokens.manifest import manifest_pdf

    response = HttpResponse(manifest_pdf(shipment), content_type="application/pdf")
    response["Content-Disposition"] = (
        f'inline; filename="manifest-{shipment.sender.code}-{shipment.pk}.pdf"'
    )
    return response


# --- progress and exports ---------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@login_required
def manage_token_key_progress(request: SignedInRequest) -> HttpResponse:
    require_administrator(request.user)
    at = now()
    if request.method == "POST":
        try:
            if request.POST.get("action") == "late":
                receive_late(request.POST.get("serial", ""), actor=request.user, at=at)
                messages.success(request, _("Recorded as received."))
            elif request.POST.get("action") == "resolve":
                resolve_discrepancy(
                    int(request.POST.get("item") or 0),
                    note=request.POST.get("note", ""),
                    actor=request.user,
                    at=at,
                    stepped_up_at=step_up_proof(request, at),
                )
                messages.success(request, _("The discrepancy is resolved."))
        except (CustodyError, ValueError) as error:
            if isinstance(error, CustodyError):
                _report(request, error)
        except Refused as error:  # a wrong step-up code
            messages.error(request, error.message)
        except StepUpRequired:
            messages.error(request, STEP_UP_NEEDED)
        return redirect("manage_token_key_progress")
    schedule = Schedule.load().dates
    progress = return_progress(request.user.viewer)
    visible = agencies_visible_to(request.user.viewer).values("pk")
    flagged = [
        item for item in discrepancies() if item.shipment.sender_id in {a["pk"] for a in visible}
    ]
    return render(
        request,
        "tokens/manage_token_key_progress.html",
        {
            "progress": progress,
            "due": schedule.return_due,
            "overdue": any(
                is_overdue(S.IN_USE, at=at, schedule=schedule) and row.outstanding + row.in_transit
                for row in progress
            ),
            "discrepancies": flagged,
            "can_follow_up": may_receive(request.user.actor).allowed,
            "past_due": is_overdue(S.IN_USE, at=at, schedule=schedule),
        },
    )


EXPORT_HEADERS = ["หมายเลขเครื่อง", "ผู้ถือครอง", "รหัสผู้ใช้", "หน่วยเบิกจ่าย", "ต้นสังกัด", "สถานะ", "แก้ไขล่าสุด"]
EXPORT_WIDTHS = [18, 32, 18, 14, 12, 22, 16]  # XLSX column widths, in characters


def _export_rows(request: SignedInRequest) -> Iterator[Sequence[Cell]]:
    yield EXPORT_HEADERS
    for device in outstanding_devices(request.user.viewer):
        # Text cells are made safe from formulas by the export itself (gfms_portal.exports).
        yield [
            device.serial,
            device.officer.name_th if device.officer else "",
            device.officer.username if device.officer else "",
            device.unit.code,
            device.unit.parent.code if device.unit.parent else "",
            str(S(device.state).label),
            BeDate(device.updated_at),
        ]


@require_safe
@login_required
@fresh_code_required
def manage_token_keys_export(request: SignedInRequest, fmt: str) -> HttpResponseBase:
    """Outstanding devices in scope, streamed: CSV in UTF-8 with a BOM (Excel shows Thai), or
    XLSX written row by row."""
    require_administrator(request.user)
    if fmt not in ("csv", "xlsx"):
        raise Http404("unknown export format")
    at = now()
    authorize_download(request, f"token-keys-outstanding.{fmt}", at=at)
    filename = f"token-keys-outstanding-{be_stamp(at)}.{fmt}"  # the Bangkok day, BE
    if fmt == "csv":
        return csv_response(_export_rows(request), filename)
    if fmt == "xlsx":
        return xlsx_response(
            _export_rows(request), filename, sheet="Token Keys", widths=EXPORT_WIDTHS
        )
    raise Http404("unknown export format")
