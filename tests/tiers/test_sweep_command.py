"""`channeldesk tiers sweep`: the CLI twin of the job `tiers_daily_sweep`."""

import datetime as dt
import io
import json

import pytest
from django.core.management import call_command

from channeldesk.catalog.models import Product
from channeldesk.tiers.models import TierAssignment
from channeldesk.tiers.selectors import policy_get, tier_current
from channeldesk.tiers.services import tier_policy_publish
from tests.factories import PartnerFactory
from tests.tiers.factories import AS_OF, previous_tier

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("tiers", "sweep", *args, stdout=out)
    return out.getvalue()


def test_sweep_applies_the_policy_on_its_day_then_changes_nothing(enterprise: Product) -> None:
    old = PartnerFactory()
    previous_tier(old, "gold")
    policy = tier_policy_publish(policy=policy_get(reference="default"), effective_from=AS_OF)

    first = json.loads(run("--date", AS_OF.isoformat(), "--format", "json"))
    assignments = TierAssignment.objects.count()
    again = run("--date", AS_OF.isoformat())

    assert first == {
        "date": AS_OF.isoformat(),
        "policy": policy.reference,
        "applied_policy": True,
        "new_partners": 0,
        "settled_overrides": 0,
    }
    assert tier_current(partner=old, on=AS_OF).tier_code == "authorized"
    assert again == (
        f"{AS_OF}: policy {policy.reference} already applied, 0 new partner(s) tiered, "
        "0 ended override(s) settled\n"
    )
    assert TierAssignment.objects.count() == assignments


def test_sweep_before_the_policy_day_leaves_the_partners_alone(enterprise: Product) -> None:
    old = PartnerFactory()
    previous_tier(old, "gold")
    tier_policy_publish(policy=policy_get(reference="default"), effective_from=AS_OF)
    before = list(TierAssignment.objects.values_list("id", "tier__code", "valid_to"))

    output = run("--date", (AS_OF - dt.timedelta(days=1)).strftime("%d.%m.%Y"))

    assert output.startswith(f"{AS_OF - dt.timedelta(days=1)}: policy previous@1 already applied")
    assert list(TierAssignment.objects.values_list("id", "tier__code", "valid_to")) == before
