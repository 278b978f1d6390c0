"""The migration schedule page: the four dates and today's phase for CGD, a two-step change
(preview of old → new and what it means for officers, then confirm) and the history of every
change from the audit trail.

Central administrators change the schedule; auditors see the page without the form; everyone
else gets a 404, like any administrator page outside one's scope. The change itself is
registration.services.change_schedule (validated and audited there).
"""

import datetime as dt
from dataclasses import asdict, dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from agencies.http import SignedInRequest
from agencies.permissions import StepUpRequired, enforce, may_change_schedule, may_view_schedule
from agencies.policy import Role, Viewer
from agencies.step_up import STEP_UP_NEEDED
from audit.models import AuditEvent
from gfms_portal.clock import BANGKOK, now
from gfms_portal.errors import Refused
from gfms_portal.thaidate import format_be_date
from monitoring.audit_sentences import actor_name
from schedule.forms import ScheduleForm
from schedule.models import Schedule
from schedule.policy import (
    FIELD_LABELS,
    MigrationSchedule,
    days_until_close,
    is_registration_open,
    phase_at,
)
from schedule.services import SCHEDULE_FIELDS, change_schedule
from tokens.roster import OfficerState, officers_in
from tokens.step_up import step_up_proof

SCHEDULE_ACTION = "schedule.changed"


def count_unregistered_officers(at: dt.datetime) -> int:
    """Active officers in the whole country without an active soft token: the ones refused
    once only soft-token logins are accepted (the same definition as the progress pages)."""
    return (
        officers_in(Viewer(Role.CENTRAL_ADMIN), at=at, state=OfficerState.UNREGISTERED)
        .order_by()
        .count()
    )


def fingerprint(dates: MigrationSchedule) -> str:
    """The schedule a preview was made from; the confirm step is refused if it has changed
    since (someone else saved in between)."""
    return ",".join(getattr(dates, name).isoformat() for name in SCHEDULE_FIELDS)


# --- the preview ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class DateChange:
    name: str
    label: str | Promise
    old: dt.date | None
    new: dt.date | None

    @property
    def changed(self) -> bool:
        return self.old != self.new


def date_changes(old: MigrationSchedule, new: MigrationSchedule) -> list[DateChange]:
    return [
        DateChange(name, FIELD_LABELS[name], getattr(old, name), getattr(new, name))
        for name in SCHEDULE_FIELDS
    ]


def consequences(
    old: MigrationSchedule,
    new: MigrationSchedule,
    *,
    at: dt.datetime,
    unregistered: int,
    was_demo: bool,
) -> list[str]:
    """What the change means, in sentences for the administrator who is about to confirm it."""
    today = at.astimezone(BANGKOK).date()
    cutover = format_be_date(new.soft_token_only_from, long=True)
    if new.soft_token_only_from > today:
        refused = ngettext(
            "%(count)s officer is not registered and will be refused from %(day)s.",
            "%(count)s officers are not registered and will be refused from %(day)s.",
            unregistered,
        )
    else:
        refused = ngettext(
            "%(count)s officer is not registered and is refused since %(day)s.",
            "%(count)s officers are not registered and are refused since %(day)s.",
            unregistered,
        )
    said = [refused % {"count": unregistered, "day": cutover}]
    if shift := (new.closes - old.closes).days:
        # The strings are spelled out (not built) so that each can be translated whole.
        if shift > 0:
            said.append(
                ngettext(
                    "Registration closes %(days)s day later: it stays open to the end of %(day)s.",
                    "Registration closes %(days)s days later: it stays open to the end of %(day)s.",
                    shift,
                )
                % {"days": shift, "day": format_be_date(new.closes, long=True)}
            )
        else:
            said.append(
                ngettext(
                    "Registration closes %(days)s day earlier: at the end of %(day)s.",
                    "Registration closes %(days)s days earlier: at the end of %(day)s.",
                    -shift,
                )
                % {"days": -shift, "day": format_be_date(new.closes, long=True)}
            )
    if shift := (new.return_due - old.return_due).days:
        said.append(
            (
                ngettext(
                    "Token Keys are due back %(days)s day later: by the end of %(day)s.",
                    "Token Keys are due back %(days)s days later: by the end of %(day)s.",
                    shift,
                )
                if shift > 0
                else ngettext(
                    "Token Keys are due back %(days)s day earlier: by the end of %(day)s.",
                    "Token Keys are due back %(days)s days earlier: by the end of %(day)s.",
                    -shift,
                )
            )
            % {"days": abs(shift), "day": format_be_date(new.return_due, long=True)}
        )
    phase_before, phase_after = phase_at(at, old), phase_at(at, new)
    if phase_before != phase_after:
        said.append(
            _("Takes effect at once: today's phase changes from “%(old)s” to “%(new)s”.")
            % {"old": phase_before.label, "new": phase_after.label}
        )
    open_before, open_after = is_registration_open(at, old), is_registration_open(at, new)
    if open_before and not open_after:
        said.append(
            _(
                "Self-service registration closes at once: officers who have not registered "
                "will need a late-registration code from their administrator."
            )
        )
    elif open_after and not open_before:
        said.append(
            _("Self-service registration opens at once, until the end of %(day)s.")
            % {"day": format_be_date(new.closes, long=True)}
        )
    if was_demo:
        said.append(_("The demo marker is removed: these become the real dates."))
    return said


# --- the history ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class HistoryEntry:
    at: dt.datetime
    actor_label: str
    changes: list[DateChange]
    is_demo: bool


def _date_or_none(value: object) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        return None


def schedule_history() -> list[HistoryEntry]:
    """Every schedule.changed audit row, newest first, with the dates that changed."""
    entries = []
    events = AuditEvent.objects.filter(action=SCHEDULE_ACTION).select_related("actor")
    for event in events.order_by("-at", "-id"):
        old, new = event.data.get("old") or {}, event.data.get("new") or {}
        changes = [
            DateChange(
                name, FIELD_LABELS[name], _date_or_none(old.get(name)), _date_or_none(new.get(name))
            )
            for name in SCHEDULE_FIELDS
        ]
        entries.append(
            HistoryEntry(
                at=event.at,
                actor_label=actor_name(event),  # a person's name, or the system's in words
                changes=[change for change in changes if change.changed],
                is_demo=bool(event.data.get("is_demo")),
            )
        )
    return entries


# --- the page -------------------------------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
@login_required
def manage_schedule(request: SignedInRequest) -> HttpResponse:
    enforce(may_view_schedule(request.user.actor))
    can_change = may_change_schedule(request.user.actor, at=now(), stepped_up_at=None).permitted
    if request.method == "POST" and not can_change:
        raise Http404("read-only")  # auditors: this page answers 404, never 403
    at = now()
    record = Schedule.load()
    current = record.dates
    form = ScheduleForm.for_schedule(current) if can_change else None
    preview = None
    unchanged = False
    unregistered = count_unregistered_officers(at)
    if request.method == "POST":
        form = ScheduleForm(request.POST)
        action = request.POST.get("action")
        if form.is_valid() and action != "edit":
            new = form.dates
            if new == current:
                unchanged = True
            elif action == "confirm" and request.POST.get("based_on") == fingerprint(current):
                # Between this check and change_schedule's row lock, a second confirm could
                # slip in: two administrators within milliseconds, both audited. Accepted.
                return _save(request, new, at=at)
            else:
                if action == "confirm":
                    messages.error(
                        request,
                        _(
                            "Not saved: someone changed the schedule while you were checking. "
                            "Here is your change compared with the schedule as it is now."
                        ),
                    )
                preview = {
                    "changes": date_changes(current, new),
                    "consequences": consequences(
                        current, new, at=at, unregistered=unregistered, was_demo=record.is_demo
                    ),
                    "hidden": form.hidden_values(),
                    "based_on": fingerprint(current),
                }
    return render(
        request,
        "monitoring/manage_schedule.html",
        {
            "record": record,
            "dates": current,
            "rows": [(FIELD_LABELS[name], getattr(current, name)) for name in SCHEDULE_FIELDS],
            "phase": phase_at(at, current),
            "registration_open": is_registration_open(at, current),
            "days_left": days_until_close(at, current),
            "unregistered": unregistered,
            "today": at,
            "can_change": can_change,
            "form": form,
            "preview": preview,
            "unchanged": unchanged,
            "history": schedule_history(),
        },
    )


def _save(request: SignedInRequest, new: MigrationSchedule, *, at: dt.datetime) -> HttpResponse:
    try:
        # is_demo=False: dates an administrator sets are the real ones (as with set_schedule).
        _record, changed = change_schedule(
            at=at,
            actor=request.user,
            is_demo=False,
            stepped_up_at=step_up_proof(request, at),
            **asdict(new),
        )
    except ValidationError as error:  # only if the rules changed between preview and confirm
        messages.error(request, "; ".join(error.messages))
        return redirect("manage_schedule")
    except Refused as error:  # a wrong step-up code
        messages.error(request, error.message)
        return redirect("manage_schedule")
    except StepUpRequired:
        messages.error(request, STEP_UP_NEEDED)
        return redirect("manage_schedule")
    if changed:
        messages.success(request, _("The schedule was saved. The change is in the history below."))
    else:
        messages.info(request, _("Nothing changed: the schedule already has these dates."))
    return redirect("manage_schedule")
