"""Give the tiers of `previous` and `default` their demo hotlines, and make the `default` drafts
require the training (Gold: the two-day course, Silver: the half-day course).

Idempotent: tiers that already have a hotline keep it, drafts that already ask for a training
are left alone, and published policies are never edited.
"""

from django.db import migrations


def forwards(apps, schema_editor):
    from channeldesk.tiers.defaults import (
        HOTLINES,
        TRAINING_REQUIREMENTS,
        hotline_fields,
        training_criterion,
    )

    tier_model = apps.get_model("tiers", "Tier")
    criterion_model = apps.get_model("tiers", "TierCriterion")
    for tier in tier_model.objects.filter(
        policy__code__in=["previous", "default"], hotline_phone="", code__in=list(HOTLINES)
    ):
        for name, value in hotline_fields(apps, tier.code).items():
            setattr(tier, name, value)
        tier.save()
    drafts = tier_model.objects.filter(
        policy__code="default", policy__status="draft", code__in=list(TRAINING_REQUIREMENTS)
    )
    for tier in drafts:
        if criterion_model.objects.filter(tier=tier, kind="training").exists():
            continue
        spec = training_criterion(TRAINING_REQUIREMENTS[tier.code])
        position = criterion_model.objects.filter(tier=tier).count()
        criterion_model.objects.create(
            tier=tier,
            kind=spec["kind"],
            threshold=spec["threshold"],
            parameters=spec["parameters"],
            position=position,
        )


class Migration(migrations.Migration):
    dependencies = [("tiers", "0004_hotlines_and_notices")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
