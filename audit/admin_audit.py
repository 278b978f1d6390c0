"""The Django admin writes product audit rows too.

Django calls `log_addition`, `log_change` and `log_deletions` from inside the transaction of
the add/change form and the delete confirmation (`changeform_view` and `delete_view` are
atomic), so the audit row commits with the change or not at all. The bulk "delete selected"
action is not atomic in Django, so it is switched off: deletions go one by one.
"""

from collections.abc import Callable
from typing import Any

from django.contrib import admin
from django.contrib.admin.models import LogEntry
from django.db.models import Model, QuerySet
from django.http import HttpRequest

from audit.services import record_event
from gfms_portal.clock import now


class AuditedAdmin(admin.ModelAdmin):
    # False where save_model already goes through a service that writes its own audit row.
    audit_saves = True

    def _audit(self, request: HttpRequest, action: str, obj: Any, **data: Any) -> None:
        officer = obj if obj._meta.label_lower == "agencies.officer" else None
        record_event(
            action,
            at=now(),
            actor=request.user,
            officer=officer,
            data={
                "model": obj._meta.label_lower,
                "object_id": str(obj.pk),
                "object": str(obj)[:200],
                **data,
            },
        )

    def log_addition(self, request: HttpRequest, obj: Model, message: Any) -> LogEntry:
        if self.audit_saves:
            self._audit(request, "admin.added", obj)
        return super().log_addition(request, obj, message)

    def log_change(self, request: HttpRequest, obj: Model, message: Any) -> LogEntry:
        if self.audit_saves:
            fields = sorted(
                {
                    name
                    for entry in message or []
                    for name in entry.get("changed", {}).get("fields", [])
                }
            )
            self._audit(request, "admin.changed", obj, fields=fields)
        return super().log_change(request, obj, message)

    def log_deletions(
        self, request: HttpRequest, queryset: QuerySet[Model]
    ) -> list[LogEntry] | LogEntry:
        # Called by delete_view (inside its transaction) before the objects go.
        for obj in queryset:
            self._audit(request, "admin.deleted", obj)
        return super().log_deletions(request, queryset)

    def get_actions(
        self, request: HttpRequest
    ) -> dict[str, tuple[Callable[..., str], str, str] | None]:
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions
