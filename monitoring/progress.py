"""Registration progress for administrators: officers registered / pending / not started, for a
node of the organisation tree and each of its children, in the viewer's scope.

One aggregate query per table, whatever the size of the tree: children are told apart by the
prefix of the unit's materialised path (ministry "03/", department "03/03004/", unit
"03/03004/0300400001/").
"""

import datetime as dt
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, overload

from django.db.models import Count, Exists, Max, OuterRef, Q, QuerySet
from django.db.models.functions import Substr, TruncDate

from agencies.models import Agency, Officer
from agencies.policy import Role, Viewer, sees_everything
from agencies.scope import get_visible_agency, in_scope
from auth_gateway.models import LoginDecision
from auth_gateway.policy import LEGACY_METHODS, Decision, Method, Reason
from gfms_portal.clock import BANGKOK, bangkok_date, bangkok_midnight
from tokens import roster
from tokens.models import SoftToken, SoftTokenStatus
from tokens.roster import RosterState, annotated_officers

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

PATH_LENGTH = {"ministry": 3, "department": 9, "unit": 20}  # "03/", "03/03004/", "…/0300400001/"
CHILD_KIND = {None: "ministry", "ministry": "department", "department": "unit"}
TELEMETRY_DAYS = 7


@dataclass(frozen=True)
class RegistrationCounts:
    code: str
    name_th: str
    total: int
    registered: int
    pending: int

    @property
    def not_started(self) -> int:
        return self.total - self.registered - self.pending

    @property
    def percent_registered(self) -> float:
        return round(100 * self.registered / self.total, 1) if self.total else 0.0


@overload
def _counts(queryset: QuerySet[Any], group_by: None = None) -> dict[str, int]: ...
@overload
def _counts(queryset: QuerySet[Any], group_by: str) -> QuerySet[Any, dict[str, Any]]: ...
def _counts(
    queryset: QuerySet[Any], group_by: str | None = None
) -> dict[str, int] | QuerySet[Any, dict[str, Any]]:
    """Officers counted: in total, registered and pending — overall, or one row per value of
    `group_by`."""
    aggregates = {
        "total": Count("pk"),
        "registered": Count("pk", filter=Q(is_registered=True)),
        "pending": Count("pk", filter=Q(is_registered=False, is_pending=True)),
    }
    if group_by is None:
        return queryset.aggregate(**aggregates)
    return queryset.values(group_by).annotate(**aggregates)


def overview_node(viewer: Viewer, code: str | None) -> Agency | None:
    """The node a drill-down page shows: the agency with `code` (404 outside the viewer's
    scope); without a code, an agency administrator's own node, or None (the whole country)
    for CGD."""
    if code is None and not sees_everything(viewer):
        code = Agency.objects.filter(path=viewer.scope_path).values_list("code", flat=True).first()
    return get_visible_agency(viewer, code) if code else None


def registration_overview(
    viewer: Viewer, code: str | None, *, at: dt.datetime
) -> tuple[Agency | None, RegistrationCounts, list[RegistrationCounts]]:
    """The node (None: the whole country, for CGD) with its totals and one row per child,
    laggards first. A node outside the viewer's scope is a 404."""
    node = overview_node(viewer, code)
    prefix = node.path if node else ""
    officers = annotated_officers(prefix, at)
    child_kind = CHILD_KIND.get(node.kind if node else None)
    if child_kind is None:  # a disbursement unit: its own totals, no children
        assert node is not None  # noqa: S101  (the whole country has children: ministries)
        summary = RegistrationCounts(node.code, node.name_th, **_counts(officers))
        return node, summary, []
    length = PATH_LENGTH[child_kind]
    rows = _counts(officers.annotate(child_path=Substr("unit__path", 1, length)), "child_path")
    names = {
        agency.path: agency
        for agency in Agency.objects.filter(path__in=[row["child_path"] for row in rows])
    }
    children = [
        RegistrationCounts(
            code=names[row["child_path"]].code,
            name_th=names[row["child_path"]].name_th,
            total=row["total"],
            registered=row["registered"],
            pending=row["pending"],
        )
        for row in rows
        if row["child_path"] in names
    ]
    # Every officer's unit lies under exactly one child: the totals are the children's sum
    # (reading 100,000 officers once instead of twice).
    summary = RegistrationCounts(
        node.code if node else "",
        node.name_th if node else "",
        total=sum(child.total for child in children),
        registered=sum(child.registered for child in children),
        pending=sum(child.pending for child in children),
    )
    return node, summary, sorted(children, key=lambda c: (c.percent_registered, c.code))


def officers_in(
    viewer: Viewer,
    *,
    at: dt.datetime,
    state: str = "",
    query: str = "",
    code: str | None = None,
    legacy: bool = False,
) -> "QuerySet[WithAnnotations[Officer, RosterState]]":
    """tokens.roster.officers_in, and with `legacy` only those who logged in with a Token Key
    or a password alone in the last TELEMETRY_DAYS days (the gateway's decision records)."""
    officers = roster.officers_in(viewer, at=at, state=state, query=query, code=code)
    if legacy:
        legacy_logins = LoginDecision.objects.filter(
            officer=OuterRef("pk"),
            decision=Decision.ALLOW,
            method__in=LEGACY_METHODS,
            at__gte=at - dt.timedelta(days=TELEMETRY_DAYS),
        )
        officers = officers.filter(Exists(legacy_logins))
    return officers


# --- legacy-login telemetry (from the gateway's decision records) ----------------------------------


@dataclass(frozen=True)
class DailyLogins:
    day: dt.date
    soft_token: int
    token_key: int
    password: int
    refused: int


def logins_per_day(
    viewer: Viewer, *, at: dt.datetime, days: int = TELEMETRY_DAYS
) -> list[DailyLogins]:
    """Allowed logins per Bangkok day by method, and refusals, over the last `days` days."""
    first_day = bangkok_date(at) - dt.timedelta(days=days - 1)
    decisions = in_scope(LoginDecision.objects.filter(at__gte=bangkok_midnight(first_day)), viewer)
    rows = (
        decisions.annotate(day=TruncDate("at", tzinfo=BANGKOK))
        .values("day")
        .annotate(
            soft_token=Count("pk", filter=Q(decision=Decision.ALLOW, method=Method.SOFT_TOKEN)),
            token_key=Count("pk", filter=Q(decision=Decision.ALLOW, method=Method.TOKEN_KEY)),
            password=Count("pk", filter=Q(decision=Decision.ALLOW, method=Method.PASSWORD)),
            refused=Count("pk", filter=Q(decision=Decision.DENY)),
        )
    )
    by_day = {row["day"]: row for row in rows}
    result = []
    for offset in range(days):
        day = first_day + dt.timedelta(days=offset)
        row = by_day.get(day, {})
        result.append(
            DailyLogins(
                day,
                row.get("soft_token", 0),
                row.get("token_key", 0),
                row.get("password", 0),
                row.get("refused", 0),
            )
        )
    return result


def legacy_users(
    viewer: Viewer, *, at: dt.datetime, days: int = TELEMETRY_DAYS
) -> QuerySet[LoginDecision, dict[str, Any]]:
    """Officers in scope who logged in with a Token Key or a password in the last `days`
    days — the ones to chase before the cutover — with their unit and last legacy login."""
    decisions = LoginDecision.objects.filter(
        at__gte=at - dt.timedelta(days=days), decision=Decision.ALLOW, method__in=LEGACY_METHODS
    )
    decisions = in_scope(decisions, viewer)
    return (
        decisions.values("officer__username", "officer__name_th", "unit__code")
        .annotate(last=Max("at"), times=Count("pk"))
        .order_by("unit__code", "officer__username")
    )


# --- cumulative registrations against the deadline -------------------------------------------------

RECENT_PACE_DAYS = 7


@dataclass(frozen=True)
class BurnupDay:
    day: dt.date
    registered: int  # cumulative, officers registered by the end of the day
    needed: int  # where a steady pace from the opening day to the closing day would be


@dataclass(frozen=True)
class Burnup:
    """Cumulative registrations per Bangkok day against the pace needed to finish on time."""

    total: int
    opens: dt.date
    closes: dt.date
    today: dt.date
    days: list[BurnupDay]  # from the opening day to today (or to the closing day, if later)
    recent_per_day: float  # average over the last RECENT_PACE_DAYS days (fewer in week one)
    needed_per_day: float | None  # from today to the closing day; None once it has passed

    @property
    def registered(self) -> int:
        return self.days[-1].registered if self.days else 0

    @property
    def remaining(self) -> int:
        return self.total - self.registered

    @property
    def projected_finish(self) -> dt.date | None:
        """The day everyone is registered at the recent pace (None: not at this pace)."""
        if self.remaining <= 0:
            return self.days[-1].day if self.days else self.today
        if self.recent_per_day <= 0:
            return None
        return self.today + dt.timedelta(days=math.ceil(self.remaining / self.recent_per_day))

    @property
    def on_track(self) -> bool:
        finish = self.projected_finish
        return finish is not None and finish <= self.closes


def burnup(
    viewer: Viewer,
    node: Agency | None,
    total: int,
    *,
    at: dt.datetime,
    opens: dt.date,
    closes: dt.date,
) -> Burnup:
    """One aggregate query: officers' active soft tokens grouped by the Bangkok day they were
    confirmed. (An officer registered again after a reset counts from the new day.)"""
    today = bangkok_date(at)
    tokens = SoftToken.objects.filter(
        status=SoftTokenStatus.ACTIVE, officer__role=Role.OFFICER, officer__is_active=True
    )
    if node is not None:
        tokens = tokens.filter(officer__unit__path__startswith=node.path)
    tokens = in_scope(tokens, viewer, unit="officer__unit")
    per_day = dict(
        tokens.annotate(day=TruncDate("confirmed_at", tzinfo=BANGKOK))
        .values("day")
        .annotate(n=Count("pk"))
        .values_list("day", "n")
    )
    before_opening = sum(n for day, n in per_day.items() if day is None or day < opens)
    window = max((closes - opens).days + 1, 1)
    last = max(min(today, closes + dt.timedelta(days=window)), opens)
    days, cumulative = [], before_opening
    for offset in range((last - opens).days + 1):
        day = opens + dt.timedelta(days=offset)
        cumulative += per_day.get(day, 0)
        needed = min(total, math.ceil(total * (offset + 1) / window))
        days.append(BurnupDay(day, cumulative, needed))
    # The recent pace: the last RECENT_PACE_DAYS days up to today, but none before the opening
    # (in the first week, divide by the days registration has been open).
    first_recent = max(today - dt.timedelta(days=RECENT_PACE_DAYS - 1), opens)
    recent_days = max((today - first_recent).days + 1, 1)
    recent = sum(n for day, n in per_day.items() if day and first_recent <= day <= today)
    days_left = (closes - today).days + 1  # today counts
    remaining = total - cumulative
    return Burnup(
        total=total,
        opens=opens,
        closes=closes,
        today=today,
        days=days if today >= opens else [],
        recent_per_day=recent / recent_days,
        needed_per_day=max(remaining, 0) / days_left if days_left > 0 else None,
    )


def refused_unregistered(
    viewer: Viewer, *, at: dt.datetime, days: int = TELEMETRY_DAYS
) -> QuerySet[LoginDecision, dict[str, Any]]:
    """After the cutover: officers in scope whom the gateway refused because they have no soft
    token, in the last `days` days — the ones who need a late-registration code."""
    decisions = LoginDecision.objects.filter(
        at__gte=at - dt.timedelta(days=days),
        decision=Decision.DENY,
        reason=Reason.NOT_REGISTERED,
        officer__isnull=False,
    )
    return (
        in_scope(decisions, viewer)
        .values("officer__username", "officer__name_th", "unit__code")
        .annotate(last=Max("at"), times=Count("pk"))
        .order_by("unit__code", "officer__username")
    )
