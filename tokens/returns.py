"""How the return of Token Keys is going, per parent agency, for a viewer's scope; the
outstanding devices for export; and the reminders to parent agencies before and after the
due date. One aggregate query per page, whatever the number of devices."""

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Count, Q

from agencies.models import Agency, Officer
from agencies.policy import Kind, Role, Viewer
from agencies.scope import agencies_visible_to
from gfms_portal.clock import bangkok_date
from outbox.services import email_officer
from schedule.models import Schedule
from tokens.models import ReturnReminder, TokenKey, TokenKeyState

S = TokenKeyState
RETURN_REMINDER_DAYS = (14, 7, 1)


@dataclass(frozen=True)
class AgencyReturn:
    code: str
    name_th: str
    total: int
    received: int
    in_transit: int  # handed over or in shipment
    lost: int
    outstanding: int  # still with the officer (in use, due, damaged)

    @property
    def percent_returned(self) -> float:
        accounted = self.received + self.lost
        return round(100 * accounted / self.total, 1) if self.total else 100.0


def return_progress(viewer: Viewer) -> list[AgencyReturn]:
    """Per parent agency in scope, laggards first."""
    rows = (
        TokenKey.objects.filter(unit__in=agencies_visible_to(viewer).values("pk"))
        .values("unit__parent__code", "unit__parent__name_th")
        .annotate(
            total=Count("pk"),
            received=Count("pk", filter=Q(state=S.RECEIVED)),
            in_transit=Count("pk", filter=Q(state__in=[S.HANDED_OVER, S.IN_SHIPMENT])),
            lost=Count("pk", filter=Q(state=S.LOST)),
        )
    )
    result = [
        AgencyReturn(
            code=row["unit__parent__code"],
            name_th=row["unit__parent__name_th"],
            total=row["total"],
            received=row["received"],
            in_transit=row["in_transit"],
            lost=row["lost"],
            outstanding=row["total"] - row["received"] - row["in_transit"] - row["lost"],
        )
        for row in rows
    ]
    return sorted(result, key=lambda r: (r.percent_returned, r.code))


def outstanding_devices(viewer: Viewer) -> Iterator[TokenKey]:
    """Devices not yet back at CGD nor written off, in scope — streamed for exports."""
    return (
        TokenKey.objects.filter(unit__in=agencies_visible_to(viewer).values("pk"))
        .exclude(state__in=[S.RECEIVED, S.LOST])
        .select_related("officer", "unit__parent")
        .order_by("unit__code", "serial")
        .iterator(chunk_size=2000)
    )


def return_reminder_key(today: dt.date, due: dt.date) -> str | None:
    """Which reminder (if any) goes out today: 14, 7 and 1 days before the due day, then every
    Monday while keys are overdue."""
    days_left = (due - today).days
    if days_left in RETURN_REMINDER_DAYS:
        return f"before-{days_left}-{due.isoformat()}"  # a moved due date reminds again
    if days_left < 0 and today.weekday() == 0:
        return f"overdue-{today.isoformat()}"
    return None


def send_return_reminders(*, at: dt.datetime) -> int:
    """E-mail each parent agency's administrators about their outstanding keys, once per
    reminder (a unique row decides, so a rerun or a second worker sends nothing more)."""
    schedule = Schedule.load().dates
    key = return_reminder_key(bangkok_date(at), schedule.return_due)
    if key is None:
        return 0
    sent = 0
    for department in Agency.objects.filter(kind=Kind.DEPARTMENT):
        progress = return_progress(Viewer(Role.AGENCY_ADMIN, department.path))
        outstanding = sum(row.outstanding + row.in_transit for row in progress)
        admins = list(
            Officer.objects.filter(role=Role.AGENCY_ADMIN, admin_scope=department, is_active=True)
        )
        if not outstanding or not admins:
            continue
        try:
            with transaction.atomic():
                ReturnReminder.objects.create(agency=department, key=key, sent_at=at)
                for admin in admins:
                    email_officer(
                        admin,
                        "token_key_return_reminder",
                        at=at,
                        agency=department,
                        outstanding=outstanding,
                        due=schedule.return_due,
                        overdue=key.startswith("overdue"),
                    )
                    sent += 1
        except IntegrityError:
            continue  # already sent
    return sent
