"""Finding audit events: the filters of the audit-log viewer and of its exports, as one query.

Only central administrators and auditors read the audit log (they see everything), so there is
no scope to apply here; the views refuse everyone else.
"""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q, QuerySet

from agencies.models import Officer
from audit.labels import codes_for
from audit.models import AuditEvent
from gfms_portal.clock import bangkok_midnight


@dataclass(frozen=True)
class EventFilter:
    officer_id: int | None = None
    actor: str = ""  # a user id, or (part of) the label of a system actor
    action: str = ""
    agency_path: str = ""  # this agency and everything below it
    since: dt.date | None = None  # Bangkok calendar days, both inclusive
    until: dt.date | None = None


def find_events(criteria: EventFilter) -> QuerySet[AuditEvent]:
    """Newest first, with everything a row shows joined in (no query per row)."""
    events = AuditEvent.objects.select_related("actor", "officer__unit", "agency").order_by(
        "-at", "-id"
    )
    if criteria.officer_id is not None:
        events = events.filter(officer_id=criteria.officer_id)
    if criteria.actor:
        events = events.filter(_actor_matches(criteria.actor))
    if criteria.action:
        events = events.filter(action__in=codes_for(criteria.action))
    if criteria.agency_path:
        # Token Key and shipment events name the agency; officer events name the officer, whose
        # unit places them in the tree.
        events = events.filter(
            Q(agency__path__startswith=criteria.agency_path)
            | Q(officer__unit__path__startswith=criteria.agency_path)
        )
    if criteria.since is not None:
        events = events.filter(at__gte=bangkok_midnight(criteria.since))
    if criteria.until is not None:
        events = events.filter(at__lt=bangkok_midnight(criteria.until + dt.timedelta(days=1)))
    return events


def _actor_matches(text: str) -> Q:
    """A person is matched by their exact user id (any case), so "bob" never brings in "bobby";
    a system actor (an import, the gateway, a command) has only a label, matched by any part of
    it ("officers.imported" finds "officers.imported (root)")."""
    text = text.strip()
    return (
        Q(actor__in=Officer.objects.by_username(text).values("pk"))
        | Q(actor_label__iexact=text)
        | Q(actor__isnull=True, actor_label__icontains=text)
    )
