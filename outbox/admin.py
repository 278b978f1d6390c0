from django.contrib import admin
from django.http import HttpRequest

from audit.admin_audit import AuditedAdmin
from outbox.models import OutboxMessage


@admin.register(OutboxMessage)
class OutboxMessageAdmin(AuditedAdmin):
    list_display = ["created_at", "kind", "to", "sent_at", "attempts", "last_error"]
    list_filter = ["kind"]
    search_fields = ["to"]
    # The body can hold a one-time code: never shown, not even to central administrators.
    exclude = ["body"]
    readonly_fields = [
        "kind",
        "officer",
        "to",
        "subject",
        "created_at",
        "sent_at",
        "attempts",
        "last_error",
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: OutboxMessage | None = None) -> bool:
        return False
