"""The seed's reminder schedule (R10), so the flow works right after `migrate`.

It is in force for contracts ending on or after `settings.REMINDERS_START_DATE` (default
2026-04-01). The rules are a frozen copy: later code changes never rewrite what this migration
created; vendor staff change the schedule in the admin.
"""

import datetime as dt

from django.conf import settings
from django.db import migrations

DEFAULT_START = "2026-04-01"

# offset_days, audience, channel, template, grace_days
RULES = [
    (-60, "partner", "email", "partner_advance_notice", 14),
    (-45, "customer", "letter", "renewal_letter", 30),
    (-45, "partner", "email", "partner_letter_copy", 30),
    (1, "partner", "email", "partner_ended_unrenewed", 14),
]


def start_date():
    value = getattr(settings, "REMINDERS_START_DATE", DEFAULT_START)
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def create_default_schedule(apps, schema_editor):
    schedule_model = apps.get_model("contracts", "ReminderSchedule")
    rule_model = apps.get_model("contracts", "ReminderRule")
    if schedule_model.objects.exists():
        return
    schedule = schedule_model.objects.create(
        name="Renewal reminders",
        effective_from=start_date(),
        note="The seed's schedule: letter to the customer 45 days before the end, e-mails to "
        "the partner 60 and 45 days before and the day after an unrenewed end.",
    )
    rule_model.objects.bulk_create(
        rule_model(
            schedule=schedule,
            offset_days=offset,
            audience=audience,
            channel=channel,
            template=template,
            grace_days=grace,
        )
        for offset, audience, channel, template, grace in RULES
    )


def remove_default_schedule(apps, schema_editor):
    """Reversing removes the schedule; rules with reminders are protected, so a database that
    has sent reminders refuses, as it should."""
    apps.get_model("contracts", "ReminderSchedule").objects.filter(
        effective_from=start_date()
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("contracts", "0002_reminders")]

    operations = [migrations.RunPython(create_default_schedule, remove_default_schedule)]
