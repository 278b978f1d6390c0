"""Who is registered: officers with their registration state — an active soft token, one
still waiting for its first code (at most PENDING_TOKEN_LIFETIME old), or nothing — in a
viewer's scope. The progress pages, the reminders and the schedule page all count from here.
"""

import datetime as dt
from typing import TYPE_CHECKING, TypedDict

from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery

from agencies.models import Officer
from agencies.policy import Role, Viewer
from agencies.scope import get_visible_agency, in_scope
from tokens.models import SoftToken, SoftTokenStatus

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

# A pending token's secret is discarded after this (registration's QR step must be finished).
PENDING_TOKEN_LIFETIME = dt.timedelta(minutes=10)


class RegistrationState(TypedDict):
    is_registered: bool
    is_pending: bool


class RosterState(RegistrationState):
    registered_at: dt.datetime | None  # the active token's confirmation


def annotated_officers(
    prefix: str, at: dt.datetime
) -> "QuerySet[WithAnnotations[Officer, RegistrationState]]":
    """Active officers under a path prefix, annotated `is_registered` (an active soft token)
    and `is_pending` (a token waiting for its first code, younger than its lifetime)."""
    active = SoftToken.objects.filter(officer=OuterRef("pk"), status=SoftTokenStatus.ACTIVE)
    pending = SoftToken.objects.filter(
        officer=OuterRef("pk"),
        status=SoftTokenStatus.PENDING,
        created_at__gt=at - PENDING_TOKEN_LIFETIME,
    )
    return Officer.objects.filter(
        role=Role.OFFICER, is_active=True, unit__path__startswith=prefix
    ).annotate(is_registered=Exists(active), is_pending=Exists(pending))


class OfficerState:
    REGISTERED = "registered"
    PENDING = "pending"
    NOT_STARTED = "not_started"
    UNREGISTERED = "unregistered"  # pending or not started
    ALL = ("registered", "pending", "not_started", "unregistered")


def officers_in(
    viewer: Viewer,
    *,
    at: dt.datetime,
    state: str = "",
    query: str = "",
    code: str | None = None,
) -> "QuerySet[WithAnnotations[Officer, RosterState]]":
    """The officers of the viewer's scope (or of one node in it), with their registration
    state and the day they registered, filtered; ordered by unit and user id."""
    node = get_visible_agency(viewer, code) if code else None
    officers = annotated_officers(node.path if node else "", at)
    if node is None:
        officers = in_scope(officers, viewer)
    registered_at = SoftToken.objects.filter(
        officer=OuterRef("pk"), status=SoftTokenStatus.ACTIVE
    ).values("confirmed_at")[:1]
    officers = (
        officers.annotate(registered_at=Subquery(registered_at))
        .select_related("unit")
        .order_by("unit__code", "username")
    )
    if state == OfficerState.REGISTERED:
        officers = officers.filter(is_registered=True)
    elif state == OfficerState.PENDING:
        officers = officers.filter(is_registered=False, is_pending=True)
    elif state == OfficerState.NOT_STARTED:
        officers = officers.filter(is_registered=False, is_pending=False)
    elif state == OfficerState.UNREGISTERED:
        officers = officers.filter(is_registered=False)
    if query:
        officers = officers.filter(
            Q(username__icontains=query) | Q(name_th__icontains=query) | Q(name_en__icontains=query)
        )
    return officers
