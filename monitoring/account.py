from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from agencies.http import SignedInRequest
from agencies.step_up import has_second_factor, stepped_up_at
from auth_gateway.policy import Method
from gfms_portal.clock import now
from monitoring.officer_screen import login_records, officer_facts
from monitoring.officer_story import (
    RECENT_DECISIONS,
    Audience,
    Line,
    Tone,
    diagnose,
    login_advice,
    login_sentence,
    without_hints,
)
from schedule.models import Schedule
from schedule.policy import is_registration_open
from tokens.possession import recovery_codes_left
from tokens.services import active_soft_token

OWN_LOGINS_SHOWN = 10


@require_safe
@login_required
def account(request: SignedInRequest) -> HttpResponse:
    """The officer's status page: the token, recovery codes left, and their own last GFMS
    logins and refusals with what to do — worded by the same functions as the desk's screen
    (monitoring.officer_story), so both read the same sentence. No client IPs: a refused
    attempt on this account may have come from someone else."""
    officer = request.user
    at = now()
    token = active_soft_token(officer.pk)
    schedule = Schedule.load().dates
    # An ordinary officer signs in with the password alone: whoever holds it must not read
    # when a guessed code will be let in (officer_story.offset_is_no_hint).
    proved = has_second_factor(request) or stepped_up_at(request) is not None
    decisions = without_hints(
        login_records(officer, before=None, limit=RECENT_DECISIONS), at=at, proved_phone=proved
    )
    registration_open = is_registration_open(at, schedule)
    last_login = next((record for record in decisions if record.allowed), None)
    return render(
        request,
        "monitoring/account.html",
        {
            "officer": officer,
            "token": token,
            "last_login": last_login,
            "last_login_method": Method(last_login.method).label if last_login else "",
            "codes_left": recovery_codes_left(officer) if token else None,
            "diagnosis": diagnose(
                officer_facts(officer, at=at, token=token),
                decisions,
                at=at,
                schedule=schedule,
                audience=Audience.OFFICER,
            ),
            "own_logins": [
                Line(
                    record.at,
                    login_sentence(record, with_ip=False, with_clock_offset=True),
                    Tone.OK if record.allowed else Tone.PROBLEM,
                    login_advice(record, registration_open=registration_open),
                )
                for record in decisions[:OWN_LOGINS_SHOWN]
            ],
        },
    )
