"""One screen per officer, for the help desk and the administrators in scope
(/manage/officers/<user>/): who the officer is, their state, a diagnosis with the next step,
the timeline of everything that happened to them, and the acts — unlock, a new e-mail code,
a reset, a late-registration code, a citizen-ID check — each offered by its own rule in
agencies.permissions and decided again by its service.

It lives in `monitoring` because it reads every app's rows (the gateway's decisions, the
outbox, the audit trail); the acts stay with the apps whose rows they change. The wording is
monitoring.officer_story's; this module only loads plain values for it, in a bounded number
of queries whatever the length of the story.
"""

import datetime as dt
from dataclasses import dataclass

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from agencies.citizen_id_check import check_citizen_id
from agencies.http import SignedInRequest
from agencies.lockout import unlock_officer
from agencies.models import Officer
from agencies.permissions import (
    DESK,
    StepUpRequired,
    Verdict,
    codes_by_email_only,
    enforce,
    may_check_citizen_id,
    may_issue_late_code,
    may_resend_email_code,
    may_reset_soft_token,
    may_start_password_reset,
    may_unlock,
)
from agencies.policy import Role, is_privileged
from agencies.scope import get_visible_officer, require_administrator
from agencies.step_up import STEP_UP_NEEDED, stepped_up_at
from audit.models import AuditEvent
from auth_gateway.models import LoginDecision
from auth_gateway.policy import Decision
from gfms_portal.clock import now
from gfms_portal.errors import Refused
from monitoring.audit_sentences import describe_event
from monitoring.officer_story import (
    RECENT_DECISIONS,
    TIMELINE_LIMIT,
    Audience,
    Diagnosis,
    EmailRecord,
    Facts,
    Line,
    LoginRecord,
    ReminderRecord,
    Tone,
    diagnose,
    email_lines,
    login_sentence,
    reminder_line,
    timeline,
)
from outbox.models import OutboxMessage
from registration.forms import LateCodeForm, ResetForm
from registration.models import IdentityCheck, RegistrationCode, RegistrationReminder
from registration.services import (
    RESEND_FOR_STARTED_WITHIN,
    Delivery,
    issue_late_registration_code,
    open_once,
    register_again,
    registration_access,
    resend_email_code,
    reset_soft_token,
    seal_once,
)
from schedule.models import Schedule
from tokens.models import SoftToken, SoftTokenStatus, TokenKey, TokenKeyState
from tokens.possession import recovery_codes_left
from tokens.roster import PENDING_TOKEN_LIFETIME
from tokens.services import active_soft_token
from tokens.step_up import step_up_proof

# A Token Key the officer still holds (not yet handed over, shipped, received or written off).
HELD = (TokenKeyState.IN_USE, TokenKeyState.DUE_FOR_RETURN)
PENDING_WORTH_SAYING = dt.timedelta(hours=24)


class CitizenIdCheckForm(forms.Form):
    citizen_id = forms.CharField(
        label=gettext_lazy("Citizen ID the caller reads out"),
        max_length=40,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )


@dataclass(frozen=True)
class Offers:
    """Which acts this viewer may offer on this officer (each service decides again)."""

    reset: Verdict
    late: Verdict
    unlock: Verdict
    resend: Verdict
    check: Verdict
    password_reset: Verdict


def _offers(request: SignedInRequest, officer: Officer, at: dt.datetime) -> Offers:
    actor, subject, code = request.user.actor, officer.subject, stepped_up_at(request)
    return Offers(
        reset=may_reset_soft_token(actor, subject, at=at, stepped_up_at=code),
        late=may_issue_late_code(actor, subject, at=at, stepped_up_at=code),
        unlock=may_unlock(actor, subject, at=at, stepped_up_at=code),
        resend=may_resend_email_code(actor, subject),
        check=may_check_citizen_id(actor, subject),
        password_reset=may_start_password_reset(actor, subject, at=at, stepped_up_at=code),
    )


# --- what the page reads ---------------------------------------------------------------------------


def login_records(officer: Officer, *, before: dt.datetime | None, limit: int) -> list[LoginRecord]:
    decisions = LoginDecision.objects.filter(officer=officer)
    if before is not None:
        decisions = decisions.filter(at__lt=before)
    return [
        LoginRecord(
            at=row["at"],
            method=row["method"],
            allowed=row["decision"] == Decision.ALLOW,
            reason=row["reason"],
            client_ip=row["client_ip"],
            clock_offset_steps=row["clock_offset_steps"],
        )
        for row in decisions.order_by("-at").values(
            "at", "method", "decision", "reason", "client_ip", "clock_offset_steps"
        )[:limit]
    ]


def officer_facts(officer: Officer, *, at: dt.datetime, token: SoftToken | None) -> Facts:
    """The officer's state for the diagnosis: a few small queries."""
    pending = None
    email_code_sent_at = None
    late_code_expires_at = None
    if token is None:
        pending = (
            # A QR step left unfinished today is worth saying; an older one is just "not
            # registered" (and may predate a reset).
            SoftToken.objects.filter(
                officer=officer,
                confirmed_at__isnull=True,
                created_at__gt=at - PENDING_WORTH_SAYING,
            )
            .exclude(status=SoftTokenStatus.ACTIVE)
            .order_by("-created_at")
            .values_list("created_at", flat=True)
            .first()
        )
        email_code_sent_at = (
            IdentityCheck.objects.filter(
                officer=officer,
                verified_at__isnull=True,
                used_at__isnull=True,
                created_at__gt=at - RESEND_FOR_STARTED_WITHIN,
            )
            .order_by("-created_at")
            .values_list("created_at", flat=True)
            .first()
        )
        if pending is not None and email_code_sent_at is not None and pending > email_code_sent_at:
            email_code_sent_at = None  # the QR step came after that code
        late_code_expires_at = (
            RegistrationCode.objects.usable(at)
            .filter(officer=officer)
            .order_by("-expires_at")
            .values_list("expires_at", flat=True)
            .first()
        )
    keys = tuple(
        TokenKey.objects.filter(officer=officer, state__in=HELD)
        .order_by("serial")
        .values_list("serial", flat=True)
    )
    return Facts(
        is_active=officer.is_active,
        privileged=is_privileged(Role(officer.role)),
        registered_at=token.confirmed_at if token else None,
        pending_started_at=pending,
        pending_expires_at=pending + PENDING_TOKEN_LIFETIME if pending else None,
        email_code_sent_at=email_code_sent_at,
        locked_until=officer.locked_until,
        failed_logins=officer.failed_logins,
        late_code_expires_at=late_code_expires_at,
        unreturned_keys=keys,
    )


def story_lines(
    officer: Officer, *, before: dt.datetime | None, logins: list[LoginRecord]
) -> tuple[list[Line], bool]:
    """The timeline's page ending before `before` (None: the newest): four queries, each
    capped, whatever the number of rows."""
    limit = TIMELINE_LIMIT + 1
    window = {"at__lt": before} if before is not None else {}
    lines: list[Line] = []
    events = (
        AuditEvent.objects.filter(officer=officer, **window)
        .select_related("actor", "officer", "agency")
        .order_by("-at", "-id")[:limit]
    )
    lines += [Line(event.at, describe_event(event)) for event in events]
    lines += [
        Line(
            record.at,
            login_sentence(record, with_ip=True, with_clock_offset=True),
            Tone.OK if record.allowed else Tone.PROBLEM,
        )
        for record in logins
    ]
    mail = OutboxMessage.objects.filter(officer=officer)
    if before is not None:
        mail = mail.filter(created_at__lt=before)
    for row in mail.order_by("-created_at").values(
        "created_at", "kind", "sent_at", "attempts", "last_error"
    )[:limit]:
        lines += email_lines(
            EmailRecord(
                at=row["created_at"],
                kind=row["kind"],
                sent_at=row["sent_at"],
                attempts=row["attempts"],
                last_error=row["last_error"],
            )
        )
    reminders = RegistrationReminder.objects.filter(recipient=officer).exclude(kind="digest")
    if before is not None:
        reminders = reminders.filter(requested_at__lt=before)
    for reminder in reminders.select_related("requested_by").order_by("-requested_at")[:limit]:
        by = reminder.requested_by
        lines.append(
            reminder_line(
                ReminderRecord(
                    at=reminder.requested_at,
                    kind=reminder.kind,
                    requested_by=f"{by.name_th} ({by.username})" if by else None,
                    delivered_at=reminder.delivered_at,
                    skipped=reminder.skipped,
                )
            )
        )
    if before is not None:
        lines = [line for line in lines if line.at < before]  # "sent" lines of older rows
    return timeline(lines)


def _before(request: SignedInRequest) -> dt.datetime | None:
    value = request.GET.get("before", "")
    try:
        moment = dt.datetime.fromisoformat(value) if value else None
    except ValueError:
        return None
    return moment if moment is not None and moment.tzinfo is not None else None


def audience_for(request: SignedInRequest, offers: Offers) -> Audience:
    if request.user.role in DESK:
        return Audience.DESK
    return Audience.ADMIN if offers.late.permitted else Audience.DESK


# --- the page ---------------------------------------------------------------------------------------


@sensitive_post_parameters("citizen_id", "step_up_code")
@never_cache
@require_http_methods(["GET", "POST"])
@login_required
def manage_officer(request: SignedInRequest, username: str) -> HttpResponse:
    require_administrator(request.user)
    officer = get_visible_officer(request.user.viewer, username)
    at = now()
    offers = _offers(request, officer, at)
    reset_form = ResetForm(request.POST if request.POST.get("action") == "reset" else None)
    if codes_by_email_only(request.user.actor):
        delivery = reset_form.fields["delivery"]
        assert isinstance(delivery, forms.ChoiceField)  # noqa: S101  (ResetForm's own field)
        delivery.choices = [(Delivery.EMAIL.value, Delivery.EMAIL.label)]
    late_form = LateCodeForm(request.POST if request.POST.get("action") == "late" else None)
    if request.method == "POST":
        response = _act(request, officer, offers, reset_form, late_form, at)
        if response is not None:
            return response
    issued_code = open_once(request.user, request.GET.get("r"), "issued_code", at=at)
    token = active_soft_token(officer.pk)
    facts = officer_facts(officer, at=at, token=token)
    before = _before(request)
    logins = login_records(officer, before=before, limit=TIMELINE_LIMIT + 1)
    recent = (
        logins if before is None else login_records(officer, before=None, limit=RECENT_DECISIONS)
    )
    schedule = Schedule.load().dates
    diagnosis: Diagnosis = diagnose(
        facts,
        recent[:RECENT_DECISIONS],
        at=at,
        schedule=schedule,
        audience=audience_for(request, offers),
    )
    lines, more = story_lines(officer, before=before, logins=logins)
    return render(
        request,
        "registration/manage_officer.html",
        {
            "officer": officer,
            "token": token,
            "token_age_days": (at - token.confirmed_at).days
            if token and token.confirmed_at
            else None,
            "codes_left": recovery_codes_left(officer) if token else None,
            "token_keys": TokenKey.objects.filter(officer=officer).order_by("serial"),
            "locked": officer.locked_until is not None and officer.locked_until > at,
            "facts": facts,
            "diagnosis": diagnosis,
            "lines": lines,
            "older": f"?before={lines[-1].at.isoformat()}" if more and lines else "",
            "paged": before is not None,
            "reset_form": reset_form,
            "late_form": late_form,
            "check_form": CitizenIdCheckForm(),
            "access": registration_access(officer, at=at),
            "again": register_again(officer, at=at),
            "issued_code": issued_code,
            "offers": offers,
        },
    )


def _act(
    request: SignedInRequest,
    officer: Officer,
    offers: Offers,
    reset_form: ResetForm,
    late_form: LateCodeForm,
    at: dt.datetime,
) -> HttpResponse | None:
    """One act from the page's forms; None: show the page again with the form's errors."""
    action = request.POST.get("action", "")
    verdict = {
        "reset": offers.reset,
        "late": offers.late,
        "unlock": offers.unlock,
        "resend": offers.resend,
        "check_citizen_id": offers.check,
    }.get(action)
    if verdict is None:
        messages.error(request, _("Unknown action: nothing was changed."))
        return redirect("manage_officer", username=officer.username)
    if not verdict.permitted:
        enforce(verdict)  # an auditor's or the desk's POST of an act not theirs stops here
    here = reverse("manage_officer", args=[officer.username])
    issued_code = None
    try:
        if action == "check_citizen_id":
            # Always answered on the next page view: the typed number is never sent back.
            form = CitizenIdCheckForm(request.POST)
            typed = form.cleaned_data["citizen_id"] if form.is_valid() else ""
            if check_citizen_id(officer, typed, actor=request.user, at=at):
                messages.success(request, _("The citizen ID matches the record."))
            else:
                messages.warning(request, _("The citizen ID does not match the record."))
            return redirect(here)
        if action == "resend":
            resend_email_code(officer, actor=request.user, at=at)
            messages.success(
                request,
                _("A new verification code was sent to the officer's official e-mail."),
            )
            return redirect(here)
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
            return redirect(here)
        elif action == "unlock":
            unlock_officer(officer, actor=request.user, at=at, stepped_up_at=proof)
            messages.success(request, _("The account was unlocked."))
            return redirect(here)
    except Refused as error:
        messages.error(request, error.message)
        if action in ("check_citizen_id", "resend"):
            return redirect(here)
    except StepUpRequired:
        messages.error(request, STEP_UP_NEEDED)
    if issued_code and request.POST.get("delivery") == Delivery.EMAIL:
        # Sent by e-mail: never shown here.
        messages.info(request, _("The code was sent to the officer's official e-mail."))
    elif issued_code:
        # Shown once on the next page view, then gone (a refresh does not re-submit).
        reveal_id = seal_once(request.user, "issued_code", issued_code, at=at)
        return redirect(f"{here}?r={reveal_id}")
    if not (reset_form.errors or late_form.errors):
        return redirect(here)
    return None
