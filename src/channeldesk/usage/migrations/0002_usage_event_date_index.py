"""The usage date index of the events: BRIN on PostgreSQL (cheap to maintain on the hottest
table, since events arrive roughly in date order), a B-tree elsewhere."""

from typing import Any

from django.db import migrations

INDEX = "usage_event_date_brin"


def create(apps: Any, schema_editor: Any) -> None:
    using = "USING brin " if schema_editor.connection.vendor == "postgresql" else ""
    schema_editor.execute(f"CREATE INDEX {INDEX} ON usage_usageevent {using}(usage_date)")


def drop(apps: Any, schema_editor: Any) -> None:
    schema_editor.execute(f"DROP INDEX {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("usage", "0001_initial")]

    operations = [migrations.RunPython(create, drop)]
