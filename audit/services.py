"""Writing audit events. Call inside the transaction that makes the change being recorded."""

import datetime as dt
from typing import Any

from django.db import transaction

from audit.models import AuditEvent


def record_event(
    action: str,
    *,
    at: dt.datetime,
    actor: Any = None,
    actor_label: str = "",
    officer: Any = None,
    agency: Any = None,
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    """Write one audit row. Refuses to run outside a transaction: an audit row that can commit
    without its change (or the reverse) is worth nothing."""
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        raise RuntimeError(f"audit event {action!r} must be recorded inside a transaction")
    if actor is not None and not actor_label:
        actor_label = actor.get_username()
    return AuditEvent.objects.create(
        at=at,
        actor=actor,
        actor_label=actor_label,
        action=action,
        officer=officer,
        agency=agency,
        data=data or {},
    )
