"""Statement lines keep the contract number, customer number and customer name as issued, so the
statement's PDF and CSV print the same names however the customer is renamed later. Lines issued
before this migration get the names stored today (the best that is known)."""

from typing import Any

from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def fill(apps: Any, schema_editor: Any) -> None:
    line_model = apps.get_model("usage", "StatementLine")
    contract_model = apps.get_model("contracts", "Contract")
    customer_model = apps.get_model("contracts", "Customer")
    contracts = contract_model.objects.filter(pk=OuterRef("contract_id"))
    customers = customer_model.objects.filter(pk=OuterRef("customer_id"))
    line_model.objects.update(
        contract_number=Subquery(contracts.values("contract_number")[:1]),
        customer_number=Subquery(customers.values("customer_number")[:1]),
        customer_name=Subquery(customers.values("name")[:1]),
    )


class Migration(migrations.Migration):
    dependencies = [
        ("contracts", "0003_default_reminder_schedule"),
        ("usage", "0002_usage_event_date_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="statementline",
            name="contract_number",
            field=models.CharField(default="", max_length=64, verbose_name="contract number"),
        ),
        migrations.AddField(
            model_name="statementline",
            name="customer_number",
            field=models.CharField(default="", max_length=32, verbose_name="customer number"),
        ),
        migrations.AddField(
            model_name="statementline",
            name="customer_name",
            field=models.CharField(default="", max_length=200, verbose_name="customer name"),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop, elidable=True),
    ]
