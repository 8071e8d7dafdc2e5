"""The audit trail in the Django admin: to read, never to add, change or delete, for anyone
(superusers included)."""

from __future__ import annotations

from typing import Any

from auditlog.admin import LogEntryAdmin
from django.contrib import admin
from django.http import HttpRequest

from channeldesk.audit.models import AuditEntry

# django-auditlog registers its admin for the log entry model, which is ours (swapped in by
# AUDITLOG_LOGENTRY_MODEL); this one replaces it.
if admin.site.is_registered(AuditEntry):
    admin.site.unregister(AuditEntry)


@admin.register(AuditEntry)
class AuditEntryAdmin(LogEntryAdmin):
    list_display = ["created", "kind", "resource_url", "actor_label", "via", "remote_addr"]
    list_filter = ["kind", "via"]
    search_fields = ["object_repr", "actor_label", "kind"]
    readonly_fields = [
        "created",
        "kind",
        "resource_url",
        "action",
        "actor_label",
        "via",
        "remote_addr",
        "partner_id",
        "counts",
        "msg",
        "additional_data",
    ]
    fieldsets = [
        (None, {"fields": ["created", "kind", "actor_label", "via", "remote_addr"]}),
        (None, {"fields": ["resource_url", "partner_id", "action"]}),
        ("", {"fields": ["msg", "counts", "additional_data"]}),
    ]
    actions = None

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
