from django.db import migrations


def create_default_policies(apps, schema_editor):
    from channeldesk.tiers.defaults import POLICIES, create_policy

    for spec in POLICIES:
        create_policy(apps, spec)


class Migration(migrations.Migration):
    dependencies = [("tiers", "0001_initial")]

    operations = [migrations.RunPython(create_default_policies, migrations.RunPython.noop)]
