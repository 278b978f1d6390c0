"""The desk's question on the phone: "is this the citizen ID on record?" — answered only with
matches or does not match, never with the number. Each check is audited; an actor gets at most
CHECKS_PER_HOUR of them (a desk account must not become a way to confirm guessed IDs in bulk).
A wrong answer does not count toward the officer's lockout: the caller is not signing in."""

import datetime as dt

from django.db import transaction
from django.utils.translation import gettext as _

from agencies.lockout import AccountBusy, lock_officer_row
from agencies.models import Officer
from agencies.permissions import enforce, may_check_citizen_id
from agencies.policy import is_valid_citizen_id, normalise_citizen_id
from audit.models import AuditEvent
from audit.services import record_event
from gfms_portal.digits import ascii_digits
from gfms_portal.errors import Refused

CHECKS_PER_HOUR = 20  # per actor: a busy desk takes fewer calls than that an hour
CHECK_WINDOW = dt.timedelta(hours=1)
ACTION = "officer.citizen_id_checked"


def check_citizen_id(officer: Officer, typed: str, *, actor: Officer, at: dt.datetime) -> bool:
    """Does `typed` match the officer's citizen ID on record? Raises Refused for a number that
    cannot be a citizen ID (not counted) and once the actor has used up the hour's checks."""
    enforce(may_check_citizen_id(actor.actor, officer.subject))
    citizen_id = normalise_citizen_id(ascii_digits(typed))
    if not is_valid_citizen_id(citizen_id):
        raise Refused(
            "invalid_citizen_id",
            _(
                "A citizen ID has 13 digits and the last one is a check digit: this one cannot "
                "be a citizen ID, so it was not compared (and not counted)."
            ),
        )
    try:
        with transaction.atomic():
            # The actor's checks one at a time: N racing requests get at most the hour's count.
            lock_officer_row(actor)
            done = AuditEvent.objects.filter(
                actor=actor, action=ACTION, at__gt=at - CHECK_WINDOW
            ).count()
            if done >= CHECKS_PER_HOUR:
                raise Refused(
                    "too_many_checks",
                    _(
                        "You have checked %(count)d citizen IDs in the last hour, the most "
                        "allowed: try again later, or ask the officer's administrator."
                    )
                    % {"count": done},
                )
            matches = officer.has_citizen_id(citizen_id)
            record_event(ACTION, at=at, actor=actor, officer=officer, data={"matches": matches})
    except AccountBusy:
        raise Refused(
            "busy", _("Another check of yours is still running: try again in a moment.")
        ) from None
    return matches
