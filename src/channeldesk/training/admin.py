"""Admin of the training domain: the courses (edited by the channel team), the participants and
the training company's records (written by the import; looked at here, and corrected through
the import or `enrollment_correct`, never edited by hand)."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from channeldesk.core.admin import ReadOnlyAdmin
from channeldesk.training.models import Course, Enrollment, Participant


@admin.register(Course)
class CourseAdmin(admin.ModelAdmin):
    list_display = [
        "code",
        "name_de",
        "name_en",
        "duration_days",
        "provider",
        "qualifying_tiers",
        "validity_months",
        "is_active",
    ]
    list_filter = ["is_active", "provider"]
    search_fields = ["code", "name_de", "name_en"]


@admin.register(Participant)
class ParticipantAdmin(admin.ModelAdmin):
    list_display = ["name", "email", "partner", "created_at"]
    list_select_related = ["partner"]
    search_fields = ["name", "email", "=partner__partner_number"]
    autocomplete_fields = ["partner"]


# An enrollment as the training company's record has it: the list's columns.
ENROLLMENT_COLUMNS = (
    "record_id",
    "partner",
    "participant",
    "course",
    "session_date",
    "status",
    "valid_until",
    "expiry_notified_on",
)


@admin.register(Enrollment)
class EnrollmentAdmin(ReadOnlyAdmin):
    list_display = ENROLLMENT_COLUMNS
    list_filter = ["status", "course"]
    list_select_related = ["partner", "participant", "course"]
    search_fields = ["=record_id", "=partner__partner_number", "participant__name"]
    search_help_text = _("Exact record id or partner number, or part of the participant's name.")
    # The record's page shows its columns and when it was imported and last changed.
    readonly_fields = [*ENROLLMENT_COLUMNS, "created_at", "updated_at"]
