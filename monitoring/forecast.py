"""Tomorrow's refusals, forecast: whom the gateway will refuse from the soft-token-only day, and
after that day whom it has refused for want of a soft token — in a viewer's scope.

Before the day (phases `before_window` and `window`): the officers (active, role officer) who
logged in to GFMS with a Token Key or a password alone on one of the last N Bangkok days
(today included) and are not registered (tokens.roster: no active soft token; one half-way
through its QR step is not registered either). Only *allowed* logins count: a refused attempt
(a wrong password, a bad signature) shows no use of GFMS by that officer — a wrong password
may not even be theirs. These are the people who will be refused from 00:00 of the day.

After the day (`soft_token_only`): the officers the gateway refused since 00:00 of the day
with `not_registered` or `method_not_allowed` (a Token Key or a password tried after the
cutover), and what each has now: an active soft token, a registration code still usable
(late-registration or reset code: unused, not revoked, not expired), or nothing yet.

Every count is one aggregate query over the officers' table, with `EXISTS` probes on the
decision records' (officer, -at) index: never one query per agency, officer or decision (see
docs/forecast.md for the plans on PostgreSQL with a million decisions).
"""

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Substr, TruncDate

from agencies.models import Agency, Officer
from agencies.policy import Viewer
from agencies.scope import in_scope
from auth_gateway.models import LoginDecision
from auth_gateway.policy import LEGACY_METHODS, REFUSED_UNREGISTERED, Decision
from gfms_portal.clock import BANGKOK, bangkok_date, bangkok_midnight
from monitoring.progress import CHILD_KIND, PATH_LENGTH, overview_node
from registration.models import RegistrationCode
from schedule.policy import MigrationSchedule, Phase, phase_at
from tokens import roster
from tokens.roster import OfficerState, RosterState

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations


class LastLogin(RosterState):
    last_at: dt.datetime | None  # the latest legacy login (before the day) or refusal (after)
    last_method: str | None


class Refused(RosterState):
    has_code: bool  # a registration code still usable


class RefusedNow(Refused):
    last_at: dt.datetime | None
    last_method: str | None
    code_expires_at: dt.datetime | None


DEFAULT_DAYS = 14
MAX_DAYS = 90
# The progress pages and the weekly digest name the number in the last two weeks before the day.
NOTICE_DAYS = 14


class RefusedState:
    """Where an officer refused after the day stands now (the filter of the list)."""

    REGISTERED = "registered"
    WITH_CODE = "with_code"
    WITHOUT_CODE = "without_code"


# --- pure ------------------------------------------------------------------------------------------


def is_after_cutover(at: dt.datetime, schedule: MigrationSchedule) -> bool:
    return phase_at(at, schedule) == Phase.SOFT_TOKEN_ONLY


def first_day(today: dt.date, days: int) -> dt.date:
    """The first Bangkok day of a window of `days` days ending today."""
    return today - dt.timedelta(days=days - 1)


def is_notice_due(today: dt.date, schedule: MigrationSchedule) -> bool:
    """The last NOTICE_DAYS days before the soft-token-only day (the day itself excluded)."""
    day = schedule.soft_token_only_from
    return day - dt.timedelta(days=NOTICE_DAYS) <= today < day


def trend_first_day(
    today: dt.date, days: int, schedule: MigrationSchedule, *, after: bool
) -> dt.date:
    """The chart's first day: the last `days` days, but after the cutover never before it."""
    first = first_day(today, days)
    return max(first, schedule.soft_token_only_from) if after else first


# --- the decision records ----------------------------------------------------------------------------


def _legacy_logins(since: dt.datetime) -> QuerySet[LoginDecision]:
    return LoginDecision.objects.filter(
        decision=Decision.ALLOW, method__in=LEGACY_METHODS, at__gte=since
    )


def _refusals(since: dt.datetime) -> QuerySet[LoginDecision]:
    return LoginDecision.objects.filter(
        decision=Decision.DENY, reason__in=REFUSED_UNREGISTERED, at__gte=since
    )


# --- the officers ------------------------------------------------------------------------------------


def legacy_since(at: dt.datetime, days: int) -> dt.datetime:
    return bangkok_midnight(first_day(bangkok_date(at), days))


def will_be_refused(
    viewer: Viewer, *, at: dt.datetime, days: int, code: str | None = None, query: str = ""
) -> "QuerySet[WithAnnotations[Officer, RosterState]]":
    """Before the day: not registered, and logged in the old way on one of the last `days`
    Bangkok days. A node outside the viewer's scope is a 404 (tokens.roster.officers_in)."""
    officers = roster.officers_in(
        viewer, at=at, state=OfficerState.UNREGISTERED, query=query, code=code
    )
    logins = _legacy_logins(legacy_since(at, days)).filter(officer=OuterRef("pk"))
    return officers.filter(Exists(logins))


def with_last_legacy_login(
    officers: "QuerySet[WithAnnotations[Officer, RosterState]]", *, at: dt.datetime, days: int
) -> "QuerySet[WithAnnotations[Officer, LastLogin]]":
    """`last_at` and `last_method`: the officer's latest legacy login in the window (two index
    probes per officer shown, newest first on (officer, -at))."""
    latest = _legacy_logins(legacy_since(at, days)).filter(officer=OuterRef("pk")).order_by("-at")
    return officers.annotate(
        last_at=Subquery(latest.values("at")[:1]),
        last_method=Subquery(latest.values("method")[:1]),
    )


def refused_since_cutover(
    viewer: Viewer,
    *,
    at: dt.datetime,
    schedule: MigrationSchedule,
    code: str | None = None,
    query: str = "",
    state: str = "",
) -> "QuerySet[WithAnnotations[Officer, Refused]]":
    """After the day: officers refused for want of a soft token since 00:00 of the day,
    annotated `is_registered` (now) and `has_code` (a registration code still usable)."""
    officers = roster.officers_in(viewer, at=at, query=query, code=code)
    refusals = _refusals(bangkok_midnight(schedule.soft_token_only_from)).filter(
        officer=OuterRef("pk")
    )
    officers = officers.filter(Exists(refusals)).annotate(
        has_code=Exists(RegistrationCode.objects.usable(at).filter(officer=OuterRef("pk")))
    )
    if state == RefusedState.REGISTERED:
        officers = officers.filter(is_registered=True)
    elif state == RefusedState.WITH_CODE:
        officers = officers.filter(is_registered=False, has_code=True)
    elif state == RefusedState.WITHOUT_CODE:
        officers = officers.filter(is_registered=False, has_code=False)
    return officers


def with_last_refusal(
    officers: "QuerySet[WithAnnotations[Officer, Refused]]",
    *,
    at: dt.datetime,
    schedule: MigrationSchedule,
) -> "QuerySet[WithAnnotations[Officer, RefusedNow]]":
    """`last_at`, `last_method`: the latest refusal since the day; `code_expires_at`: when the
    officer's usable registration code runs out (None: no such code)."""
    latest = (
        _refusals(bangkok_midnight(schedule.soft_token_only_from))
        .filter(officer=OuterRef("pk"))
        .order_by("-at")
    )
    code = (
        RegistrationCode.objects.usable(at).filter(officer=OuterRef("pk")).order_by("-expires_at")
    )
    return officers.annotate(
        last_at=Subquery(latest.values("at")[:1]),
        last_method=Subquery(latest.values("method")[:1]),
        code_expires_at=Subquery(code.values("expires_at")[:1]),
    )


SORTS = {
    "unit": ("unit__code", "username"),
    "username": ("username",),
    "name": ("name_th", "username"),
    "last": ("last_at", "username"),
}


Rows = TypeVar("Rows", bound=QuerySet[Any])


def sorted_officers(officers: Rows, sort: str, order: str) -> Rows:
    """The list in a column's order (SORTS; `last` needs with_last_… first)."""
    fields = SORTS[sort]
    if order == "desc":
        return officers.order_by(*(F(name).desc(nulls_last=True) for name in fields))
    return officers.order_by(*(F(name).asc(nulls_last=True) for name in fields))


# --- per agency ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ForecastRow:
    """Before the day, one agency (or the node's total)."""

    code: str
    name_th: str
    unregistered: int
    will_be_refused: int

    @property
    def percent(self) -> float:
        """Of the unregistered officers, the share still using GFMS the old way."""
        return (
            round(100 * self.will_be_refused / self.unregistered, 1) if self.unregistered else 0.0
        )


@dataclass(frozen=True)
class RefusedRow:
    """After the day, one agency (or the node's total)."""

    code: str
    name_th: str
    refused: int
    registered: int
    with_code: int

    @property
    def without_code(self) -> int:
        return self.refused - self.registered - self.with_code


def _grouped(
    viewer: Viewer, node: Agency | None, officers: QuerySet[Officer], aggregates: dict[str, Any]
) -> tuple[dict[str, int], list[tuple[Agency, dict[str, int]]]]:
    """`aggregates` over `officers` (already under the node): the node's total and one row per
    child agency with officers counted — one query, children told apart by the unit path's
    prefix (monitoring.progress)."""
    officers = in_scope(officers, viewer)
    child_kind = CHILD_KIND.get(node.kind if node else None)
    if child_kind is None:  # a disbursement unit: its own totals
        return officers.aggregate(**aggregates), []
    rows = list(
        officers.annotate(child_path=Substr("unit__path", 1, PATH_LENGTH[child_kind]))
        .values("child_path")
        .annotate(**aggregates)
        .order_by()
    )
    names = {
        agency.path: agency
        for agency in Agency.objects.filter(path__in=[row["child_path"] for row in rows])
    }
    children = [
        (names[row["child_path"]], {key: row[key] for key in aggregates})
        for row in rows
        if row["child_path"] in names
    ]
    total = {key: sum(counts[key] for _agency, counts in children) for key in aggregates}
    return total, children


def forecast_overview(
    viewer: Viewer, code: str | None, *, at: dt.datetime, days: int
) -> tuple[Agency | None, ForecastRow, list[ForecastRow]]:
    """Before the day: the node (404 outside the scope) with its totals and one row per child,
    the most to be refused first."""
    node = overview_node(viewer, code)
    officers = roster.annotated_officers(node.path if node else "", at).filter(is_registered=False)
    logins = _legacy_logins(legacy_since(at, days)).filter(officer=OuterRef("pk"))
    officers = officers.annotate(logged_in=Exists(logins))
    total, children = _grouped(
        viewer,
        node,
        officers,
        {"unregistered": Count("pk"), "will_be_refused": Count("pk", filter=Q(logged_in=True))},
    )
    summary = ForecastRow(node.code if node else "", node.name_th if node else "", **total)
    rows = [ForecastRow(agency.code, agency.name_th, **counts) for agency, counts in children]
    return node, summary, sorted(rows, key=lambda row: (-row.will_be_refused, row.code))


def refused_overview(
    viewer: Viewer, code: str | None, *, at: dt.datetime, schedule: MigrationSchedule
) -> tuple[Agency | None, RefusedRow, list[RefusedRow]]:
    """After the day: the node with its totals and one row per child, the most still
    without a code first."""
    node = overview_node(viewer, code)
    refusals = _refusals(bangkok_midnight(schedule.soft_token_only_from)).filter(
        officer=OuterRef("pk")
    )
    officers = (
        roster.annotated_officers(node.path if node else "", at)
        .filter(Exists(refusals))
        .annotate(
            has_code=Exists(RegistrationCode.objects.usable(at).filter(officer=OuterRef("pk")))
        )
    )
    total, children = _grouped(
        viewer,
        node,
        officers,
        {
            "refused": Count("pk"),
            "registered": Count("pk", filter=Q(is_registered=True)),
            "with_code": Count("pk", filter=Q(is_registered=False, has_code=True)),
        },
    )
    summary = RefusedRow(node.code if node else "", node.name_th if node else "", **total)
    rows = [RefusedRow(agency.code, agency.name_th, **counts) for agency, counts in children]
    return node, summary, sorted(rows, key=lambda row: (-row.without_code, -row.refused, row.code))


# --- the trend -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DailyCount:
    day: dt.date
    officers: int


def _per_day(decisions: QuerySet[LoginDecision], first: dt.date, last: dt.date) -> list[DailyCount]:
    rows = (
        decisions.filter(at__gte=bangkok_midnight(first))
        .annotate(day=TruncDate("at", tzinfo=BANGKOK))
        .values("day")
        .annotate(officers=Count("officer", distinct=True))
        .order_by()
    )
    by_day = {row["day"]: row["officers"] for row in rows}
    return [
        DailyCount(day, by_day.get(day, 0))
        for day in (first + dt.timedelta(days=n) for n in range((last - first).days + 1))
    ]


def forecast_trend(
    viewer: Viewer, code: str | None, *, at: dt.datetime, days: int
) -> list[DailyCount]:
    """Before the day: per Bangkok day of the window, how many of the officers who will be
    refused logged in the old way that day."""
    today = bangkok_date(at)
    node = overview_node(viewer, code)
    unregistered = roster.annotated_officers(node.path if node else "", at).filter(
        is_registered=False
    )
    decisions = _legacy_logins(legacy_since(at, days)).filter(
        officer__in=in_scope(unregistered, viewer).order_by().values("pk")
    )
    return _per_day(_under(decisions, viewer, node), first_day(today, days), today)


def _under(
    decisions: QuerySet[LoginDecision], viewer: Viewer, node: Agency | None
) -> QuerySet[LoginDecision]:
    """Also by the decision's own unit (the officer's when it was made), so that a node's
    decisions are read from the (unit, method, -at) index rather than the whole window's."""
    if node is not None:
        decisions = decisions.filter(unit__path__startswith=node.path)
    return in_scope(decisions, viewer)


def refused_trend(
    viewer: Viewer, code: str | None, *, at: dt.datetime, days: int, schedule: MigrationSchedule
) -> list[DailyCount]:
    """After the day: per Bangkok day (the last `days`, none before the day), how many
    officers were refused for want of a soft token."""
    today = bangkok_date(at)
    first = trend_first_day(today, days, schedule, after=True)
    node = overview_node(viewer, code)
    officers = in_scope(roster.annotated_officers(node.path if node else "", at), viewer)
    decisions = _refusals(bangkok_midnight(first)).filter(
        officer__in=officers.order_by().values("pk")
    )
    return _per_day(_under(decisions, viewer, node), first, today)


# --- the number elsewhere: progress pages and the weekly digest --------------------------------------------


@dataclass(frozen=True)
class RefusalNotice:
    day: dt.date  # the soft-token-only day
    officers: int
    days: int  # the window the logins were counted over


def refusal_notice(
    viewer: Viewer, code: str | None, *, at: dt.datetime, schedule: MigrationSchedule
) -> RefusalNotice | None:
    """ "Will be refused from <day>: N officers", in the last two weeks before the day (None
    otherwise): one count query."""
    if not is_notice_due(bangkok_date(at), schedule):
        return None
    count = will_be_refused(viewer, at=at, days=DEFAULT_DAYS, code=code).count()
    return RefusalNotice(schedule.soft_token_only_from, count, DEFAULT_DAYS)


def digest_forecast(
    viewer: Viewer, schedule: MigrationSchedule, *, at: dt.datetime
) -> dict[str, object]:
    """The weekly digest's extra context (registered in monitoring.apps with
    registration.reminders.add_to_digest):
    the notice for the administrator's whole scope, or nothing outside the last two weeks."""
    notice = refusal_notice(viewer, None, at=at, schedule=schedule)
    return {"refusal_notice": notice} if notice else {}
