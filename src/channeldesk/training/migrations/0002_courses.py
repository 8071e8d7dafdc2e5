"""The training company's two courses of the partner programme (R7)."""

from decimal import Decimal

from django.db import migrations

PROVIDER = "NordIT Akademie GmbH"
COURSES = [
    {
        "code": "CD-GOLD-2D",
        "name_de": "Gold-Partner-Schulung (2 Tage)",
        "name_en": "Gold partner training (two days)",
        "duration_days": Decimal("2.0"),
        "provider": PROVIDER,
        "qualifying_tiers": ["gold", "silver"],
        "validity_months": 24,
    },
    {
        "code": "CD-SILVER-HD",
        "name_de": "Silber-Partner-Schulung (halbtägig)",
        "name_en": "Silver partner training (half a day)",
        "duration_days": Decimal("0.5"),
        "provider": PROVIDER,
        "qualifying_tiers": ["silver"],
        "validity_months": 24,
    },
]


def forwards(apps, schema_editor):
    course_model = apps.get_model("training", "Course")
    for spec in COURSES:
        course_model.objects.get_or_create(code=spec["code"], defaults=spec)


class Migration(migrations.Migration):
    dependencies = [("training", "0001_initial")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
