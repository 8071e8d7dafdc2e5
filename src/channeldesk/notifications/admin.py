"""Admin for the outbox: what was sent, what failed and why, and the doubtful ones to settle.

Messages are written by the services and the dispatcher only: nothing here adds, edits or
deletes one. A sensitive message (an account e-mail with a reset or invitation link) shows its
redacted copy only; its sealed body is not a field here (`notifications.sealing`).

Staff act through two actions, which call the services and are recorded in the history with
their name: "send again" (release) for messages in review or failed, and "dismiss" with a
reason typed into the field beside the action list.
"""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import get_language_info, gettext
from django.utils.translation import gettext_lazy as _

from channeldesk.core.admin import EventHistoryInline, ReadOnlyInline
from channeldesk.notifications.models import OutboxAttachment, OutboxEvent, OutboxMessage
from channeldesk.notifications.review import (
    AdminTexts,
    review_action_form,
    review_admin_actions,
)


class NamedValuesListFilter(admin.AllValuesFieldListFilter):
    """Django's filter by the values a column holds, where an empty value gets a name: the
    plain filter shows a link without text for it (axe: link-name), which no one can read or
    follow by its name."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.values: list[object] = list(self.lookup_choices)  # read once, named below

    def value_name(self, value: str) -> str:
        return value or gettext("Empty")

    def choices(self, changelist):
        values = [str(value) for value in self.values if value is not None]
        for index, choice in enumerate(super().choices(changelist)):
            if 1 <= index <= len(values):
                value = values[index - 1]
                # The display is the value, then " (count)" when facets are shown.
                counted = choice["display"][len(value) :]
                yield {**choice, "display": f"{self.value_name(value)}{counted}"}
            else:
                yield choice


class LanguageListFilter(NamedValuesListFilter):
    """The messages' languages, each named in itself ("Deutsch", "English")."""

    def value_name(self, value: str) -> str:
        if not value:
            return gettext("Empty")
        try:
            return str(get_language_info(value)["name_local"])
        except KeyError:
            return value


REVIEW_TEXTS = AdminTexts(
    release=_("Send again (release review/failed messages)"),
    reason_help=_("Needed to dismiss messages."),
    reason_missing=_("Give a reason to dismiss messages."),
    updated=_("%(count)d message(s) updated."),
)


class OutboxEventInline(EventHistoryInline):
    model = OutboxEvent
    fields = readonly_fields = ("at", "kind", "attempt", "worker", "actor", "detail")
    verbose_name_plural = _("history")


class OutboxAttachmentInline(ReadOnlyInline):
    model = OutboxAttachment
    fields = readonly_fields = ("filename", "mimetype", "path", "size")

    @admin.display(description=_("stored bytes"))
    def size(self, attachment: OutboxAttachment) -> str:
        return "-" if attachment.content is None else str(len(attachment.content))


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    list_display = [
        "idempotency_key",
        "status",
        "recipients_text",
        "subject",
        "attempts",
        "next_attempt_at",
        "sent_at",
        "last_error",
    ]
    list_filter = [
        "status",
        ("category", NamedValuesListFilter),
        ("language", LanguageListFilter),
    ]
    search_fields = ["=idempotency_key", "=message_id", "subject", "to"]
    date_hierarchy = "created_at"
    show_full_result_count = False
    action_form = review_action_form(REVIEW_TEXTS)
    actions = review_admin_actions("channeldesk.notifications.services.OUTBOX_REVIEW", REVIEW_TEXTS)
    inlines = [OutboxAttachmentInline, OutboxEventInline]
    fieldsets = [
        (None, {"fields": ["idempotency_key", "category", "status", "sensitive", "last_error"]}),
        (
            _("message"),
            {
                "fields": [
                    "message_id",
                    "from_email",
                    "to",
                    "cc",
                    "bcc",
                    "reply_to",
                    "language",
                    "subject",
                    "text_body",
                    "html_body",
                ]
            },
        ),
        (
            _("delivery"),
            {
                "fields": [
                    "attempts",
                    "next_attempt_at",
                    "created_at",
                    "sent_at",
                    "claimed_by",
                    "lease_expires_at",
                ]
            },
        ),
    ]

    def get_readonly_fields(self, request, obj=None):
        return [field for fieldset in self.fieldsets for field in fieldset[1]["fields"]]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("to"))
    def recipients_text(self, message: OutboxMessage) -> str:
        return ", ".join(message.recipients)
