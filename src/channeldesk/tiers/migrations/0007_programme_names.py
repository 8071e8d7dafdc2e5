"""Programmes get a German and an English name, like tiers (R2): the two default
programmes (every version of `previous` and `default`) get theirs, other programmes keep an
empty name per language and are shown by their `name` until someone gives them one."""

from django.db import migrations, models

from channeldesk.tiers.defaults import POLICIES


def fill_default_programme_names(apps, schema_editor):
    policy_model = apps.get_model("tiers", "TierPolicy")
    for spec in POLICIES:
        policy_model.objects.filter(code=spec["code"], name_de="").update(name_de=spec["name_de"])
        policy_model.objects.filter(code=spec["code"], name_en="").update(name_en=spec["name_en"])


class Migration(migrations.Migration):
    dependencies = [("tiers", "0006_caller_numbers")]

    operations = [
        migrations.AddField(
            model_name="tierpolicy",
            name="name_de",
            field=models.CharField(blank=True, max_length=200, verbose_name="name (German)"),
        ),
        migrations.AddField(
            model_name="tierpolicy",
            name="name_en",
            field=models.CharField(blank=True, max_length=200, verbose_name="name (English)"),
        ),
        migrations.RunPython(fill_default_programme_names, migrations.RunPython.noop),
    ]
