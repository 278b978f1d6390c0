"""The custody of hardware Token Keys (CGD circular: every key back to CGD by the due date),
as pure rules.

    in use ──(soft-token-only day)──▶ due for return ──▶ handed to parent agency ──▶ in shipment ──▶ received by CGD
       │                                    │                      │                      │
       └──────────────┴──▶ reported lost / damaged ◀───────────────┘          (missing from the parcel)

"Due for return" is not stored: a key still in use is due from the soft-token-only day on.
A damaged key still travels back (handed over → shipped → received); a lost one does not.

Every change of state names an `Act`, and `TABLE` says from which states each act moves a key
and to which state. `tokens.custody._move` refuses anything else, so a move is allowed only if
it is a row here: the exceptions CGD records at check-in are rows too, not code paths.
"""

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType

from django.utils.translation import gettext as _

from gfms_portal.clock import bangkok_midnight
from schedule.policy import MigrationSchedule
from tokens.models import TokenKeyState as S


class Act(StrEnum):
    """Why a key changes state (written in its audit row)."""

    HAND_OVER = "hand_over"
    REPORT_DAMAGED = "report_damaged"
    REPORT_LOST = "report_lost"
    SHIP = "ship"
    RECEIVE = "receive"
    LOST_IN_TRANSIT = "lost_in_transit"
    RECEIVE_LATE = "receive_late"
    FOUND_UNLISTED = "found_unlisted"


@dataclass(frozen=True)
class Row:
    """An act moves a key to `to` from any state in `sources`, and from no other state."""

    sources: frozenset[str]
    to: str


def _row(*sources: str, to: str) -> Row:
    return Row(frozenset(sources), to)


# The ordinary road back to CGD, taken from the officers' forms. "Due for return" is reached by
# the calendar, never by a move, so no row leads to it.
ROAD: Mapping[Act, Row] = MappingProxyType(
    {
        Act.REPORT_DAMAGED: _row(S.IN_USE, S.DUE_FOR_RETURN, to=S.DAMAGED),
        Act.HAND_OVER: _row(S.IN_USE, S.DUE_FOR_RETURN, S.DAMAGED, to=S.HANDED_OVER),
        Act.REPORT_LOST: _row(S.IN_USE, S.DUE_FOR_RETURN, S.DAMAGED, S.HANDED_OVER, to=S.LOST),
        Act.SHIP: _row(S.HANDED_OVER, to=S.IN_SHIPMENT),
        Act.RECEIVE: _row(S.IN_SHIPMENT, to=S.RECEIVED),  # scanned in the parcel that lists it
    }
)

# The exceptions, recorded by CGD after a parcel is checked in.
EXCEPTIONS: Mapping[Act, Row] = MappingProxyType(
    {
        # Not found in its parcel at CGD, and written off after follow-up.
        Act.LOST_IN_TRANSIT: _row(S.IN_SHIPMENT, to=S.LOST),
        # Not found in its parcel at CGD, and turns up later.
        Act.RECEIVE_LATE: _row(S.IN_SHIPMENT, to=S.RECEIVED),
        # In a parcel whose manifest does not list it. It is in CGD's hands whatever its papers
        # say, so it must never sign a login again: it is received from every state but one.
        # - A key reported LOST that physically turns up is received: the key is back, which is
        #   what the circular asks, and its audit row says it was lost and found unlisted (the
        #   statement on the loss stays on the record for the follow-up).
        # - A key already RECEIVED stays received (RECEIVED is terminal, no row leaves it): its
        #   line is still recorded as unexpected for CGD to follow up (a misread or a second
        #   key under the same serial), but its state and audit trail do not change.
        Act.FOUND_UNLISTED: _row(
            S.IN_USE,
            S.DUE_FOR_RETURN,
            S.DAMAGED,
            S.HANDED_OVER,
            S.IN_SHIPMENT,
            S.LOST,
            to=S.RECEIVED,
        ),
    }
)

TABLE: Mapping[Act, Row] = MappingProxyType({**ROAD, **EXCEPTIONS})


def _pairs(rows: Mapping[Act, Row]) -> dict[str, frozenset[str]]:
    return {
        state: frozenset(row.to for row in rows.values() if state in row.sources) for state in S
    }


# Where the ordinary road leads from each state (what `transition_problem` answers).
TRANSITIONS: dict[str, frozenset[str]] = _pairs(ROAD)

# States in which a key may still sign a login (the gateway asks this).
USABLE_FOR_LOGIN = frozenset({S.IN_USE, S.DUE_FOR_RETURN})


def effective_state(stored: str, *, at: dt.datetime, schedule: MigrationSchedule) -> str:
    """A key in use is due for return from the soft-token-only day on (Asia/Bangkok)."""
    if stored == S.IN_USE and at >= bangkok_midnight(schedule.soft_token_only_from):
        return S.DUE_FOR_RETURN
    return stored


def acts_between(current: str, wanted: str) -> frozenset[Act]:
    """The acts of the table that move a key from `current` to `wanted` (none: never)."""
    return frozenset(
        act for act, row in TABLE.items() if current in row.sources and row.to == wanted
    )


def act_problem(act: Act, current: str) -> str | None:
    """Why `act` cannot move a key that is `current` (None when the table allows it)."""
    row = TABLE[act]
    return None if current in row.sources else _refusal(current, row.to)


def transition_problem(current: str, wanted: str) -> str | None:
    """Why `current` → `wanted` is not on the ordinary road (None when it is). The exceptions
    are not asked this way: they name their act (`act_problem`)."""
    if wanted in TRANSITIONS.get(current, frozenset()):
        return None
    return _refusal(current, wanted)


def _refusal(current: str, wanted: str) -> str:
    if current == wanted:
        return _("it is already %(state)s") % {"state": S(current).label}
    return _("it is %(current)s and cannot become %(wanted)s") % {
        "current": S(current).label,
        "wanted": S(wanted).label,
    }


def lost_act(current: str) -> Act:
    """A key in shipment is lost in transit (CGD's call, after checking its parcel in); any
    other key is reported lost by its agency."""
    return Act.LOST_IN_TRANSIT if current == S.IN_SHIPMENT else Act.REPORT_LOST


def is_overdue(state: str, *, at: dt.datetime, schedule: MigrationSchedule) -> bool:
    """Not back at CGD (nor written off as lost) after the end of the due day."""
    end_of_due_day = bangkok_midnight(schedule.return_due + dt.timedelta(days=1))
    return at >= end_of_due_day and state not in (S.RECEIVED, S.LOST)
