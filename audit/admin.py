from django.contrib import admin
from django.http import HttpRequest

from audit.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["at", "action", "actor_label", "officer", "agency"]
    list_filter = ["action"]
    search_fields = ["actor_label", "officer__username", "action"]
    date_hierarchy = "at"
    raw_id_fields = ["actor", "officer", "agency"]

    # The audit trail is append-only, also for central administrators.
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: AuditEvent | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: AuditEvent | None = None) -> bool:
        return False
