"""Reminders to register, and the weekly digest to agency administrators.

Two steps, so that a reminder can never go out twice and a click never waits for the mail:

1. *Claim*: one `RegistrationReminder` row per recipient and reminder, inserted with
   ON CONFLICT DO NOTHING. Unique constraints decide: a rerun of the beat task, a
   second worker or a double-clicked button claims nothing more. Claiming 50,000 rows is a few
   bulk INSERTs, quick enough for a request.
2. *Deliver*: rows not yet delivered are written to the outbox in batches (row locks with SKIP
   LOCKED, so two workers never write the same one). An officer who registered between the two
   steps is skipped. The outbox then sends, retrying while the mail server is away.

Cadence: 30, 14, 7, 3 and 1 days before the closing day (a moved closing day starts a fresh
series); on demand from the progress page for a node of the tree; a digest every Monday of the
registration window to each agency administrator whose officers are not all registered.
Nobody gets more than one reminder per Bangkok day.
"""

import datetime as dt
import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import QuerySet

from agencies.models import Agency, Officer
from agencies.permissions import enforce, may_remind
from agencies.policy import Role, Viewer
from agencies.scope import get_visible_agency
from audit.services import record_event
from gfms_portal.clock import bangkok_date
from outbox.services import dispatch, email_officer
from registration.models import RegistrationReminder, ReminderKind
from schedule.models import Schedule
from schedule.policy import MigrationSchedule
from tokens.models import SoftToken, SoftTokenStatus
from tokens.roster import OfficerState, officers_in

REGISTRATION_REMINDER_DAYS = (30, 14, 7, 3, 1)
BATCH = 500
logger = logging.getLogger(__name__)
DIGEST_LIST_LIMIT = 200  # officers named in one digest e-mail; the rest are counted


def registration_reminder_key(today: dt.date, schedule: MigrationSchedule) -> str | None:
    """Which scheduled reminder (if any) is due today."""
    days_left = (schedule.closes - today).days
    if days_left in REGISTRATION_REMINDER_DAYS and today >= schedule.opens:
        return f"before-{days_left}-{schedule.closes.isoformat()}"
    return None


def digest_key(today: dt.date, schedule: MigrationSchedule) -> str | None:
    """Mondays of the registration window."""
    if today.weekday() == 0 and schedule.opens <= today <= schedule.closes:
        return f"digest-{today.isoformat()}"
    return None


def registration_is_open(today: dt.date, schedule: MigrationSchedule) -> bool:
    return schedule.opens <= today <= schedule.closes


# --- claiming -------------------------------------------------------------------------------------


def _batches(ids: Iterable[int], size: int = BATCH) -> Iterator[list[int]]:
    iterator = iter(ids)
    while batch := list(islice(iterator, size)):
        yield batch


def _claim(
    recipient_ids: list[int],
    *,
    key: str,
    kind: ReminderKind,
    at: dt.datetime,
    requested_by: Officer | None = None,
) -> int:
    """Insert one row per recipient unless it exists; returns how many were new."""
    if not recipient_ids:
        return 0
    table = connection.ops.quote_name(RegistrationReminder._meta.db_table)
    values = ", ".join(["(%s, %s, %s, %s, %s, %s, %s)"] * len(recipient_ids))
    day = bangkok_date(at)
    requester = requested_by.pk if requested_by else None
    params: list[int | str | bool | dt.date | dt.datetime | None] = []
    for recipient_id in recipient_ids:
        params += [recipient_id, key, kind.value, at, day, requester, False]
    # Only the table name and "(%s, …)" placeholders are formatted in; the values are parameters.
    # No conflict target: either unique constraint (same reminder; same officer and day) skips.
    sql = (
        f"INSERT INTO {table} (recipient_id, key, kind, requested_at, day, requested_by_id, skipped)"  # noqa: S608
        f" VALUES {values} ON CONFLICT DO NOTHING RETURNING id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return len(cursor.fetchall())


def _reminded_today(at: dt.datetime) -> QuerySet[RegistrationReminder]:
    return RegistrationReminder.objects.filter(day=bangkok_date(at)).exclude(
        kind=ReminderKind.DIGEST
    )


def _not_reminded_today(officers: QuerySet[Officer], at: dt.datetime) -> QuerySet[Officer]:
    """Fewer rows to insert; the unique (recipient, day) decides when two requests race."""
    return officers.exclude(pk__in=_reminded_today(at).values("recipient"))


def _unregistered(viewer: Viewer, at: dt.datetime, code: str | None = None) -> QuerySet[Officer]:
    """Officers in scope (or in one node of it) without an active soft token: not started and
    in progress alike."""
    return officers_in(viewer, at=at, state=OfficerState.UNREGISTERED, code=code)


COUNTRY = Viewer(Role.CENTRAL_ADMIN)


def claim_scheduled_reminders(*, at: dt.datetime) -> int:
    """Today's scheduled reminder to every unregistered officer (none on other days)."""
    schedule = Schedule.load().dates
    key = registration_reminder_key(bangkok_date(at), schedule)
    if key is None:
        return 0
    candidates = _not_reminded_today(_unregistered(COUNTRY, at), at)
    claimed = 0
    for batch in _batches(candidates.order_by().values_list("pk", flat=True).iterator()):
        with transaction.atomic():
            claimed += _claim(batch, key=key, kind=ReminderKind.SCHEDULED, at=at)
    return claimed


def claim_weekly_digests(*, at: dt.datetime) -> int:
    """On Mondays of the window: one digest per agency administrator with officers to chase."""
    schedule = Schedule.load().dates
    key = digest_key(bangkok_date(at), schedule)
    if key is None:
        return 0
    admins = Officer.objects.filter(
        role=Role.AGENCY_ADMIN, is_active=True, admin_scope__isnull=False
    ).select_related("admin_scope")
    with_work = [admin.pk for admin in admins if _unregistered(admin.viewer, at).exists()]
    with transaction.atomic():
        return _claim(with_work, key=key, kind=ReminderKind.DIGEST, at=at)


@dataclass(frozen=True)
class OnDemandResult:
    agency: Agency | None
    unregistered: int  # officers in the node without an active soft token
    claimed: int  # reminders queued by this request
    already_today: int  # reminded earlier today (by anyone, for any reason): skipped


def remind_now(
    admin: Officer,
    code: str | None,
    *,
    at: dt.datetime,
    only: QuerySet[Officer] | None = None,
    selection: str = "",
) -> OnDemandResult:
    """An administrator reminds the unregistered officers of a node in its scope (None: its
    whole scope). A second click the same day claims nothing: one reminder per officer per
    Bangkok day. A node outside the scope is a 404 (agencies.scope).

    `only` narrows the reminder to some of them (the forecast page: those who still log in the
    old way), named in the audit row by `selection`; never anyone outside the node's
    unregistered officers, whatever it holds."""
    agency = get_visible_agency(admin.viewer, code) if code else None
    enforce(may_remind(admin.actor, agency.path if agency else None))
    unregistered = _unregistered(admin.viewer, at, code)
    if only is not None:
        unregistered = unregistered.filter(pk__in=only.order_by().values("pk"))
    candidates = _not_reminded_today(unregistered, at)
    key = f"{selection or 'on-demand'}-{bangkok_date(at).isoformat()}"
    claimed = 0
    with transaction.atomic():
        for batch in _batches(candidates.order_by().values_list("pk", flat=True).iterator()):
            claimed += _claim(
                batch, key=key, kind=ReminderKind.ON_DEMAND, at=at, requested_by=admin
            )
        total = unregistered.count()
        record_event(
            "registration.reminders_sent",
            at=at,
            actor=admin,
            agency=agency,
            data={
                "scope": code or "",
                "unregistered": total,
                "queued": claimed,
                **({"selection": selection} if selection else {}),
            },
        )
        transaction.on_commit(_kick_delivery)
    return OnDemandResult(agency, total, claimed, total - claimed)


def reminded_today(viewer: Viewer, at: dt.datetime, code: str | None = None) -> int:
    """How many unregistered officers of the node already had a reminder today."""
    unregistered = _unregistered(viewer, at, code)
    return unregistered.filter(pk__in=_reminded_today(at).values("recipient")).count()


# --- delivering -----------------------------------------------------------------------------------


def deliver_reminders(*, at: dt.datetime, limit: int | None = None) -> int:
    """Write claimed reminders to the outbox, a batch per transaction; returns e-mails queued."""
    queued = 0
    done = 0
    while limit is None or done < limit:
        with transaction.atomic():
            rows = list(
                RegistrationReminder.objects.select_for_update(skip_locked=True, of=("self",))
                .filter(delivered_at__isnull=True)
                .select_related("recipient__unit", "recipient__admin_scope")
                .order_by("pk")[:BATCH]
            )
            if not rows:
                break
            registered = set(
                SoftToken.objects.filter(
                    officer__in=[row.recipient_id for row in rows], status=SoftTokenStatus.ACTIVE
                ).values_list("officer_id", flat=True)
            )
            schedule = Schedule.load().dates
            for row in rows:
                row.delivered_at = at
                recipient = row.recipient
                if row.kind == ReminderKind.DIGEST:
                    still_admin = recipient.is_active and recipient.role == Role.AGENCY_ADMIN
                    row.skipped = not still_admin or recipient.admin_scope_id is None
                elif row.recipient_id in registered or not recipient.is_active:
                    row.skipped = True
                if row.skipped:
                    continue
                try:
                    with transaction.atomic():  # one bad row must not hold up the others
                        if row.kind == ReminderKind.DIGEST:
                            queued += _write_digest(recipient, schedule, at=at)
                        else:
                            _write_reminder(recipient, schedule, at=at)
                            queued += 1
                except Exception:
                    logger.exception("reminder %s could not be written; it is skipped", row.pk)
                    row.skipped = True
            RegistrationReminder.objects.bulk_update(rows, ["delivered_at", "skipped"])
            done += len(rows)
    return queued


def _write_reminder(officer: Officer, schedule: MigrationSchedule, *, at: dt.datetime) -> None:
    email_officer(
        officer,
        "registration_reminder",
        at=at,
        closes=schedule.closes,
        days_left=(schedule.closes - bangkok_date(at)).days,
        portal_url=settings.GFMS_PORTAL_URL,
    )


# What the weekly digest adds from the layers above this one, each a function of the
# administrator's sight, the schedule and the moment that returns more of the e-mail's context.
# monitoring registers the forecast of tomorrow's refusals when the apps are ready
# (monitoring.apps): only the gateway's decision records tell it, and this app imports nothing
# above it.
DigestSection = Callable[..., dict[str, Any]]
_digest_sections: list[DigestSection] = []


def add_to_digest(section: DigestSection) -> None:
    """Have `section(viewer, schedule, at=…)` add to every weekly digest (once)."""
    if section not in _digest_sections:
        _digest_sections.append(section)


def _digest_extra(
    admin: Officer, schedule: MigrationSchedule, *, at: dt.datetime
) -> dict[str, Any]:
    extra: dict[str, Any] = {}
    for section in _digest_sections:
        extra.update(section(admin.viewer, schedule, at=at))
    return extra


def _write_digest(admin: Officer, schedule: MigrationSchedule, *, at: dt.datetime) -> int:
    unregistered = _unregistered(admin.viewer, at).select_related("unit")
    total = unregistered.count()
    if not total:
        return 0
    email_officer(
        admin,
        "registration_digest",
        at=at,
        agency=admin.admin_scope,
        total=total,
        officers=list(unregistered.order_by("unit__code", "username")[:DIGEST_LIST_LIMIT]),
        more=max(0, total - DIGEST_LIST_LIMIT),
        closes=schedule.closes,
        portal_url=settings.GFMS_PORTAL_URL,
        **_digest_extra(admin, schedule, at=at),
    )
    return 1


def _kick_delivery() -> None:
    """Deliver now through Celery (inline without a broker); the every-minute task catches up
    if the broker is away."""
    dispatch("registration.tasks.deliver_registration_reminders")


def send_registration_reminders(*, at: dt.datetime) -> tuple[int, int, int]:
    """What the daily beat task does: claim today's reminders and digests, then deliver.
    Returns (reminders claimed, digests claimed, e-mails queued)."""
    reminders = claim_scheduled_reminders(at=at)
    digests = claim_weekly_digests(at=at)
    return reminders, digests, deliver_reminders(at=at)
