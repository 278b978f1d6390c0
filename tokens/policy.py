"""The custody of hardware Token Keys (CGD circular: every key back to CGD by the due date),
as pure rules.

    in use ──(soft-token-only day)──▶ due for return ──▶ handed to parent agency ──▶ in shipment ──▶ received by CGD
       │                                    │                      │                      │
       └──────────────┴──▶ reported lost / damaged ◀───────────────┘          (missing from the parcel)

"Due for return" is not stored: a key still in use is due from the soft-token-only day on.
A damaged key still travels back (handed over → shipped → received); a lost one does not.
"""

import datetime as dt

from django.utils.translation import gettext as _

from gfms_portal.clock import bangkok_midnight
from schedule.policy import MigrationSchedule
from tokens.models import TokenKeyState as S

TRANSITIONS: dict[str, frozenset[str]] = {
    S.IN_USE: frozenset({S.HANDED_OVER, S.LOST, S.DAMAGED}),
    S.DUE_FOR_RETURN: frozenset({S.HANDED_OVER, S.LOST, S.DAMAGED}),
    S.DAMAGED: frozenset({S.HANDED_OVER, S.LOST}),
    S.HANDED_OVER: frozenset({S.IN_SHIPMENT, S.LOST}),
    # A key not found in its parcel at CGD is reported lost after follow-up.
    S.IN_SHIPMENT: frozenset({S.RECEIVED, S.LOST}),
    S.RECEIVED: frozenset(),
    S.LOST: frozenset(),
}

# States in which a key may still sign a login (the gateway asks this).
USABLE_FOR_LOGIN = frozenset({S.IN_USE, S.DUE_FOR_RETURN})


def effective_state(stored: str, *, at: dt.datetime, schedule: MigrationSchedule) -> str:
    """A key in use is due for return from the soft-token-only day on (Asia/Bangkok)."""
    if stored == S.IN_USE and at >= bangkok_midnight(schedule.soft_token_only_from):
        return S.DUE_FOR_RETURN
    return stored


def transition_problem(current: str, wanted: str) -> str | None:
    """Why `current` → `wanted` is impossible (None when it is allowed)."""
    if wanted in TRANSITIONS.get(current, frozenset()):
        return None
    if current == wanted:
        return _("it is already %(state)s") % {"state": S(current).label}
    return _("it is %(current)s and cannot become %(wanted)s") % {
        "current": S(current).label,
        "wanted": S(wanted).label,
    }


def is_overdue(state: str, *, at: dt.datetime, schedule: MigrationSchedule) -> bool:
    """Not back at CGD (nor written off as lost) after the end of the due day."""
    end_of_due_day = bangkok_midnight(schedule.return_due + dt.timedelta(days=1))
    return at >= end_of_due_day and state not in (S.RECEIVED, S.LOST)
