import io
import json
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from channeldesk.catalog.models import Product
from channeldesk.tiers.models import TierAssignment, TierPolicy
from tests.factories import PartnerFactory
from tests.tiers.factories import buy, previous_tier

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("tiers", *args, stdout=out)
    return out.getvalue()


def run_json(*args: str) -> dict:
    """The command's `--format json` document."""
    return json.loads(run(*args, "--format", "json"))


def calibrate(as_of: str, *options: str) -> dict:
    """`tiers calibrate` of the default policy as of `as_of` for exactly one gold partner."""
    return run_json(
        "calibrate", "--policy", "default", "--as-of", as_of, "--target", "gold=1-1", *options
    )


@pytest.fixture
def partners(enterprise: Product) -> list:
    result = []
    for index, times in enumerate([5, 3, 1]):
        partner = PartnerFactory(partner_number=f"P{index + 1}")
        previous_tier(partner, "gold" if index == 0 else "silver")
        buy(partner, enterprise, times=times, amount=Decimal("12000.00"))
        result.append(partner)
    return result


def test_evaluate_json_prints_one_object_per_partner(partners: list) -> None:
    lines = run("evaluate", "--policy", "default", "--as-of", "2026-07-01", "--format", "json")

    objects = [json.loads(line) for line in lines.splitlines()]
    assert [(o["partner_number"], o["tier"], o["previous_tier"]) for o in objects] == [
        ("P1", "gold", "gold"),
        ("P2", "silver", "silver"),
        ("P3", "authorized", "silver"),
    ]
    assert set(objects[0]["reasons"][0]) == {
        "tier",
        "criterion",
        "measured",
        "threshold",
        "comparison",
        "holds",
    }


def test_evaluate_table_and_csv(partners: list) -> None:
    table = run("evaluate", "--policy", "default", "--as-of", "01.07.2026")
    assert "P3" in table
    assert "up 0, down 1, unchanged 2, new 0" in table

    csv_text = run("evaluate", "--policy", "default", "--as-of", "2026-07-01", "--format", "csv")
    assert csv_text.splitlines()[0] == (
        "partner_number,tier,previous_tier,criterion,measured,threshold,holds"
    )
    assert "P1,gold,gold,gold:revenue,60000,50000,True" in csv_text


def test_simulate_json_document(partners: list) -> None:
    document = run_json("simulate", "--policy", "default", "--as-of", "2026-07-01")

    assert document["counts"] == {"gold": 1, "silver": 1, "authorized": 1}
    assert document["previous_counts"] == {"gold": 1, "silver": 2}
    assert [m["partner_number"] for m in document["movers"]] == ["P3"]
    assert document["thresholds"]["gold"][2] == {
        "criterion": "revenue",
        "threshold": 50000,
        "comparison": "at_least",
        "months": 12,
    }
    assert set(document["discount_cost"]) == {"current", "projected", "change", "currency"}


def test_calibrate_then_publish_then_apply(partners: list) -> None:
    document = calibrate("2026-07-01", "--target", "silver=1-1")
    assert document["met"] is True
    assert document["draft"] == "default@2"

    run("publish", "--policy", "default@2", "--effective", "2026-07-01")
    applied = run_json("apply", "--policy", "default", "--yes")

    assert applied["created"] == 3
    assert TierAssignment.objects.filter(valid_to__isnull=True, tier__code="gold").count() == 1
    again = run_json("apply", "--policy", "default", "--yes")
    assert (again["created"], again["unchanged"]) == (0, 3)


def test_apply_without_yes_and_without_terminal_applies_nothing(partners: list) -> None:
    run("publish", "--policy", "default", "--effective", "2026-07-01")
    before = TierAssignment.objects.count()

    with pytest.raises(CommandError, match="--yes"):
        run("apply", "--policy", "default")
    assert TierAssignment.objects.count() == before


def test_unknown_policy_is_a_clear_error() -> None:
    with pytest.raises(CommandError, match=r"No tier policy 'platinum'\. Known policies: default"):
        run("show", "--policy", "platinum")


def test_bad_target_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises((CommandError, SystemExit)):
        run("calibrate", "--policy", "default", "--target", "gold=75-60")
    assert TierPolicy.objects.filter(code="default").count() == 1


def test_override_and_history(partners: list) -> None:
    run("publish", "--policy", "default", "--effective", "2026-07-01")
    run("apply", "--policy", "default", "--yes")

    run("override", "P3", "gold", "--reason", "Public sector pilot", "--from", "2026-08-01")
    history = run_json("history", "P3")

    assert [(h["tier"], h["source"]) for h in history["history"]] == [
        ("gold", "override"),
        ("authorized", "evaluation"),
        ("silver", "initial"),
    ]


@pytest.mark.today("2026-12-07")
def test_apply_before_the_evaluation_period_has_ended_says_when_it_can_run(partners: list) -> None:
    # Given a policy published to take effect on 1 January
    run("publish", "--policy", "default", "--effective", "2027-01-01")
    before = list(TierAssignment.objects.order_by("id").values_list("id", "valid_to"))

    # When it is applied on 7 December
    with pytest.raises(CommandError, match=r"it can be applied from 2027-01-01") as refusal:
        run("apply", "--policy", "default", "--yes")

    # Then nothing is measured or recorded, and the error names the running period
    assert "evaluation period 2026-07-01 – 2026-12-31, which has not ended yet" in str(
        refusal.value
    )
    assert list(TierAssignment.objects.order_by("id").values_list("id", "valid_to")) == before


@pytest.mark.today("2026-12-07")
def test_a_simulation_of_the_running_period_is_labelled_partial(partners: list) -> None:
    # Given today is 7 December 2026
    # When the draft is previewed as of 1 January (the running half-year) and as of today
    running = run_json("simulate", "--policy", "default", "--as-of", "2027-01-01")
    ended = run_json("simulate", "--policy", "default")
    table = run("simulate", "--policy", "default", "--as-of", "2027-01-01")

    # Then the running period is flagged partial with its dates, the ended one is not
    assert running["evaluation_period"] == {
        "start": "2026-07-01",
        "end": "2026-12-31",
        "partial": True,
    }
    assert ended["evaluation_period"] == {
        "start": "2026-01-01",
        "end": "2026-06-30",
        "partial": False,
    }
    assert (
        "Partial: the evaluation period has not ended; these figures run only up to 2026-12-07 "
        "and can only be previewed, not applied." in table
    )


@pytest.mark.today("2026-12-07")
def test_a_calibration_on_the_running_period_is_labelled_partial(partners: list) -> None:
    document = calibrate("2027-01-01", "--no-save")

    assert document["evaluation_period"]["partial"] is True
    assert TierPolicy.objects.filter(code="default").count() == 1
