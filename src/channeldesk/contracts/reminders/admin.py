"""Admin for the reminder flow: schedules and rules (data vendor staff edit), and reminders.

Reminders are written by planning and the dispatcher only; here staff look at them and their
history, open a letter's PDF, and act through two actions that go through the services and are
recorded in the history: send again (release, for review and failed reminders) and dismiss,
with a reason typed into the field beside the action list.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.db.models import Count
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.template import TemplateSyntaxError
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from channeldesk.contracts.models import (
    Reminder,
    ReminderEvent,
    ReminderRule,
    ReminderSchedule,
)
from channeldesk.core.admin import (
    EventHistoryInline,
    LargeTablePaginator,
    StoredPdf,
    StoredPdfAdmin,
)
from channeldesk.notifications.review import (
    AdminTexts,
    review_action_form,
    review_admin_actions,
)

TEXT_FIELDS = ("subject_de", "body_de", "subject_en", "body_en")
RULE_FIELDS = (
    "schedule",
    "offset_days",
    "audience",
    "channel",
    "template",
    "grace_days",
    "is_active",
)


class ReminderRuleForm(forms.ModelForm):
    """A rule whose template fits its channel and audience, and whose texts are valid templates.

    Staff's texts are checked by rendering them with the template's sample context, so a typo
    in a tag fails here, not in the dispatcher for thousands of reminders.
    """

    class Meta:
        model = ReminderRule
        fields = [*RULE_FIELDS, *TEXT_FIELDS]

    def clean(self):
        from channeldesk.contracts.reminders.kinds import REMINDER_KINDS  # noqa: PLC0415 - admin modules load at every start

        cleaned = super().clean() or {}
        kind = REMINDER_KINDS.get(cleaned.get("template", ""))
        if kind is None:
            return cleaned
        if cleaned.get("channel") != kind.channel:
            self.add_error(
                "channel",
                _("This template is sent as %(channel)s.") % {"channel": kind.channel.label},
            )
        if cleaned.get("audience") != kind.audience:
            self.add_error(
                "audience",
                _("This template goes to the %(audience)s.") % {"audience": kind.audience.label},
            )
        for name in TEXT_FIELDS:
            self._check_text(
                name, cleaned.get(name, ""), kind.sample, letter=kind.letter is not None
            )
        return cleaned

    def _check_text(self, name: str, text: str, sample, *, letter: bool) -> None:
        if not text:
            return
        if letter:
            self.add_error(name, _("Letter texts come from the documents app's letter template."))
            return
        from channeldesk.contracts.reminders.emails import text_check  # noqa: PLC0415 - admin modules load at every start

        try:
            text_check(text=text, context=sample, language=name.rsplit("_", 1)[1])
        except TemplateSyntaxError as error:
            self.add_error(name, str(error))


class ReminderRuleInline(admin.TabularInline):
    model = ReminderRule
    form = ReminderRuleForm
    extra = 0
    # The rules of the schedule whose page this is.
    fields = [name for name in RULE_FIELDS if name != "schedule"]
    show_change_link = True


@admin.register(ReminderSchedule)
class ReminderScheduleAdmin(admin.ModelAdmin):
    """Schedules and their rules. A new schedule takes over for contracts ending from its date;
    planned reminders of the one it replaces are cancelled by the next planning run."""

    list_display = ["name", "effective_from", "rule_count", "updated_at"]
    fields = ["name", "effective_from", "note", "created_at", "updated_at"]
    readonly_fields = ["created_at", "updated_at"]
    inlines = [ReminderRuleInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(rule_total=Count("rules"))

    @admin.display(description=_("rules"))
    def rule_count(self, schedule: ReminderSchedule) -> int:
        return schedule.rule_total  # type: ignore[attr-defined]


@admin.register(ReminderRule)
class ReminderRuleAdmin(admin.ModelAdmin):
    """One rule, with the e-mail texts staff may replace (empty: the shipped text)."""

    form = ReminderRuleForm
    list_display = RULE_FIELDS
    list_filter = ["schedule", "channel", "audience", "is_active"]
    list_select_related = ["schedule"]
    readonly_fields = ["created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": RULE_FIELDS}),
        (
            _("E-mail texts (empty: the shipped text; template syntax: docs/reminders.md)"),
            {"fields": list(TEXT_FIELDS)},
        ),
        (None, {"fields": ["created_at", "updated_at"]}),
    ]


REVIEW_TEXTS = AdminTexts(
    release=_("Send again (release review/failed reminders)"),
    reason_help=_("Needed to dismiss reminders."),
    reason_missing=_("Give a reason to dismiss reminders."),
    updated=_("%(count)d reminder(s) updated."),
)


class ReminderEventInline(EventHistoryInline):
    """Everything that happened to the reminder after it was planned, oldest first."""

    model = ReminderEvent
    fields = readonly_fields = ("at", "kind", "worker", "actor", "detail")
    verbose_name_plural = _("history after planning")


REMINDER_FIELDS = [
    "contract",
    "rule",
    "contract_end_date",
    "offset_days",
    "due_on",
    "status",
    "reason",
    "late",
    "planned",
    "partner",
    "recipient",
    "sent_on",
    "sent_at",
    "letter",
    "email",
    "attempts",
    "claimed_by",
    "lease_expires_at",
]


@admin.register(Reminder)
class ReminderAdmin(StoredPdfAdmin):
    """Reminders are written by planning and the dispatcher only. Staff look at them, open the
    letter PDF, and act through two actions: send again (release) and dismiss with a reason."""

    list_display = [
        "id",
        "contract_number",
        "rule",
        "due_on",
        "status",
        "late",
        "sent_on",
        "recipient",
        "reason",
    ]
    list_filter = ["status", "late", "rule__channel", "rule__template", "due_on"]
    list_select_related = ["contract", "rule"]
    search_fields = ["=contract__contract_number", "=contract__customer__customer_number"]
    search_help_text = _("Exact contract number or customer number.")
    show_full_result_count = False
    paginator = LargeTablePaginator
    action_form = review_action_form(REVIEW_TEXTS)
    actions = review_admin_actions(
        "channeldesk.contracts.reminders.services.REMINDER_REVIEW", REVIEW_TEXTS
    )
    inlines = [ReminderEventInline]
    fields = (*REMINDER_FIELDS,)
    readonly_fields = REMINDER_FIELDS
    pdf_route = "<int:pk>/letter.pdf"
    pdf_url_name = "contracts_reminder_letter"

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("contract"), ordering="contract__contract_number")
    def contract_number(self, reminder: Reminder) -> str:
        """The contract by its number: its text (`V-1 (3, until 2027-01-06)`) repeats the end
        date in ISO form beside the reminder's own dates, which are in the reader's language."""
        return reminder.contract.contract_number

    def pdf_document(self, pk: int) -> StoredPdf:
        """The archived letter PDF, exactly as it went into the print batch."""
        reminder = get_object_or_404(Reminder.objects.select_related("document"), pk=pk)
        if reminder.document is None:
            raise Http404(_("This reminder has no letter."))
        return reminder.document

    @admin.display(description=_("planned at"))
    def planned(self, reminder: Reminder) -> str:
        return f"{timezone.localtime(reminder.created_at):%Y-%m-%d %H:%M:%S}"

    @admin.display(description=_("letter"))
    def letter(self, reminder: Reminder) -> str:
        if reminder.document_id is None:
            return "-"
        return self.pdf_link(reminder, _("PDF"))

    @admin.display(description=_("e-mail"))
    def email(self, reminder: Reminder) -> str:
        message = reminder.message
        if message is None:
            return "-"
        url = reverse("admin:notifications_outboxmessage_change", args=[message.pk])
        return format_html('<a href="{}">{}</a> ({})', url, message.message_id, message.status)
