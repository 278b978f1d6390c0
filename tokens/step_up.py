"""The request side of step-up: a code typed into a sensitive form (or the verify page) is
checked here and the session marked (agencies.step_up keeps the session's state; the
services decide whether it is fresh enough)."""

import datetime as dt

from django.db import transaction

from agencies.http import SignedInRequest
from agencies.step_up import has_second_factor, is_stepped_up, mark_code_confirmed, stepped_up_at
from audit.services import record_event
from tokens.clock_skew import ClockHint
from tokens.possession import verify_fresh_code


def confirm_step_up(request: SignedInRequest, typed: str, at: dt.datetime) -> None:
    """Check a fresh code typed by this session's user (RegistrationError when it is wrong),
    audit it, and make the session stepped up."""
    # Whoever holds only the password of an ordinary officer is signed in too: a fast phone
    # is named only to a session that has proved the phone before (docs/security.md).
    proved = has_second_factor(request) or stepped_up_at(request) is not None
    hint = ClockHint.ANY if proved else ClockHint.SLOW_ONLY
    verify_fresh_code(request.user, typed, at=at, clock_hint=hint)
    with transaction.atomic():
        record_event("portal.step_up", at=at, actor=request.user, officer=request.user)
    mark_code_confirmed(request, at)


def step_up_proof(request: SignedInRequest, at: dt.datetime) -> dt.datetime | None:
    """When this session last confirmed a code — after checking one typed into the form of a
    sensitive action (`step_up_code`), if the last one is too old. The service decides."""
    typed = request.POST.get("step_up_code", "").strip()
    if typed and not is_stepped_up(request, at):
        confirm_step_up(request, typed, at)
    return stepped_up_at(request)
