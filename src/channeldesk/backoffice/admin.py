"""The audit trail's admin pages in the reader's language.

`channeldesk.audit` registers the read-only admin for its entries; it sits below every domain
and cannot name tiers, programmes or contracts. The back office can: here the changelist and
the entry page show the kind and the object the way /backoffice/audit/ does (names, not codes;
dates in the reader's language), with the same read-only rules.
"""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy

from channeldesk.audit.admin import AuditEntryAdmin
from channeldesk.audit.models import AuditEntry


class ReadableAuditEntryAdmin(AuditEntryAdmin):
    list_display = ["created", "what", "object_name", "actor_label", "via", "remote_addr"]
    readonly_fields = ["what", "object_name", *AuditEntryAdmin.readonly_fields]
    fieldsets = [
        (None, {"fields": ["created", "what", "actor_label", "via", "remote_addr"]}),
        (None, {"fields": ["object_name", "partner_id"]}),
        ("", {"fields": ["counts", "additional_data"]}),
    ]

    @admin.display(description=gettext_lazy("What"), ordering="kind")
    def what(self, entry: AuditEntry) -> str:
        from channeldesk.backoffice.views.audit import kind_name  # noqa: PLC0415 - admin stays light

        return kind_name(entry.kind)

    @admin.display(description=gettext_lazy("Object"))
    def object_name(self, entry: AuditEntry) -> str:
        from channeldesk.backoffice.views.audit import (  # noqa: PLC0415 - admin stays light
            code_labels,
            programme_code_names,
            readable,
        )

        model = entry.content_type.model_class() if entry.content_type_id else None
        return readable(entry.object_repr, model, code_labels(model, programme_code_names()))


admin.site.unregister(AuditEntry)
admin.site.register(AuditEntry, ReadableAuditEntryAdmin)
