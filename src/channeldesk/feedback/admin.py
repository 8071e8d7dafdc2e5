"""Admin for partner feedback: staff read what partners said; partners write it in the portal."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from channeldesk.feedback.models import PolicyFeedback


@admin.register(PolicyFeedback)
class PolicyFeedbackAdmin(admin.ModelAdmin):
    list_display = ["partner", "policy", "stance", "projected_tier", "updated_at"]
    list_filter = ["stance", "policy"]
    list_select_related = ["partner", "policy"]
    search_fields = ["partner__partner_number", "partner__name", "comment"]
    readonly_fields = [
        "policy",
        "partner",
        "author",
        "stance",
        "comment",
        "current_tier",
        "projected_tier",
        "created_at",
        "updated_at",
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Feedback is the partner's own word: it comes from the portal, never typed by staff.
        return False
