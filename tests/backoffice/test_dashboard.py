"""The programme dashboard: simulate and calibrate with progress, feedback round, publish."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from channeldesk.backoffice.models import ProgrammeRun, RunStatus
from channeldesk.backoffice.runs import run_execute, run_start
from channeldesk.tiers.models import PolicyStatus, TierPolicy
from channeldesk.tiers.simulation import tiers_simulate
from tests.conftest import sign_in
from tests.portal.world import PortalWorld, migration_data_ensure
from tests.tiers.conftest import buy


@pytest.fixture
def inline_runs(settings: Any) -> None:
    settings.BACKOFFICE_RUNS_INLINE = True


def _chart(text: str) -> dict[str, Any]:
    start = text.index('id="tier-chart-data"')
    body = text[text.index(">", start) + 1 : text.index("</script>", start)]
    return json.loads(body)


def test_simulation_from_the_page_shows_counts_targets_and_the_chart_data(
    portal_world: PortalWorld, client_for: Callable[[str], Client], inline_runs: None
) -> None:
    # Given partner A ordering like a Gold partner in the first half of 2026,
    buy(portal_world.personas.partner_a, portal_world.product, times=5, amount=Decimal("12000"))
    client = client_for("staff")

    # when staff run a simulation of the draft as of 1 July 2026 (htmx),
    response = client.post(
        "/backoffice/runs/simulate/",
        {"policy": "default@1", "as_of": "2026-07-01"},
        headers={"HX-Request": "true"},
    )

    # then the run is done and the page's panel says so (and tells the page to reload),
    run = ProgrammeRun.objects.get()
    assert run.status == RunStatus.DONE
    assert run.progress == 100
    assert response["HX-Trigger"] == "run-finished"
    # and the dashboard shows the counts now vs. the draft, with the targets, as chart data,
    chart = _chart(client.get("/backoffice/?policy=default@1").content.decode())
    simulation = tiers_simulate(policy=portal_world.draft, as_of=dt.date(2026, 7, 1))
    tiers = list(reversed(simulation.tiers))
    assert chart["labels"] == ["authorized", "silver", "gold"]
    assert chart["projected"] == [tier.projected for tier in tiers]
    assert chart["current"] == [0, 1, 1] == [tier.current for tier in tiers]
    assert sum(chart["projected"]) == 2
    assert chart["targets"][2] == [60, 75]


def test_calibration_saves_a_new_draft(
    portal_world: PortalWorld, client_for: Callable[[str], Client], inline_runs: None
) -> None:
    drafts = TierPolicy.objects.filter(status=PolicyStatus.DRAFT).count()

    client_for("staff").post(
        "/backoffice/runs/calibrate/",
        {
            "policy": "default@1",
            "as_of": "2026-07-01",
            "gold_min": "1",
            "gold_max": "1",
            "silver_min": "0",
            "silver_max": "5",
        },
    )

    run = ProgrammeRun.objects.get()
    assert run.status == RunStatus.DONE
    assert run.draft is not None
    assert run.draft.reference == "default@2"
    assert run.result["policy"] == "default@1"
    assert TierPolicy.objects.filter(status=PolicyStatus.DRAFT).count() == drafts + 1


def test_a_target_ending_below_its_start_is_refused(
    portal_world: PortalWorld, client_for: Callable[[str], Client], inline_runs: None
) -> None:
    response = client_for("staff").post(
        "/backoffice/runs/calibrate/",
        {"policy": "default@1", "as_of": "2026-07-01", "gold_min": "9", "gold_max": "1"},
    )

    assert response.status_code == 400
    assert ProgrammeRun.objects.count() == 0


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_run_in_the_background_reports_progress_until_done(personas: Any) -> None:
    # Given a run started without INLINE: a thread does the work after the commit,
    migration_data_ensure()
    client = Client()
    sign_in(client, personas.staff)
    response = client.post(
        "/backoffice/runs/simulate/",
        {"policy": "default@1", "as_of": "2026-07-01"},
        headers={"HX-Request": "true"},
    )
    run = ProgrammeRun.objects.get()
    assert response.status_code == 200

    # when the page polls its status,
    for _poll in range(100):
        panel = client.get(f"/backoffice/runs/status/{run.pk}/")
        if panel.get("HX-Trigger") == "run-finished":
            break
        assert 'hx-trigger="every 1s"' in panel.content.decode()
        time.sleep(0.1)

    # then it ends done, with the simulation document.
    run.refresh_from_db()
    assert run.status == RunStatus.DONE
    assert run.result["policy"] == "default@1"


def test_the_same_run_asked_twice_while_queued_is_started_once(
    portal_world: PortalWorld, settings: Any
) -> None:
    settings.BACKOFFICE_RUNS_INLINE = False

    first = run_start(kind="simulate", policy=portal_world.draft, as_of=dt.date(2026, 7, 1))
    second = run_start(kind="simulate", policy=portal_world.draft, as_of=dt.date(2026, 7, 1))

    assert first.pk == second.pk
    # Executing it twice does the work once: the second finds it claimed.
    run_execute(run_id=first.pk)
    again = run_execute(run_id=first.pk)
    assert again.status == RunStatus.DONE


def test_a_failing_run_stores_its_error(portal_world: PortalWorld, settings: Any) -> None:
    settings.BACKOFFICE_RUNS_INLINE = False

    portal_world.draft.tiers.all().delete()  # a policy without tiers cannot be evaluated
    run = run_start(kind="simulate", policy=portal_world.draft, as_of=dt.date(2026, 7, 1))

    run = run_execute(run_id=run.pk)

    assert run.status == RunStatus.FAILED
    assert "has no tiers" in run.error


def test_staff_open_the_draft_for_feedback_and_publish_it(
    portal_world: PortalWorld, client_for: Callable[[str], Client]
) -> None:
    client = client_for("staff")
    client.post("/backoffice/feedback-round/", {"policy": "default@1", "open": "0"})
    portal_world.draft.refresh_from_db()
    assert not portal_world.draft.is_open_for_feedback

    client.post("/backoffice/feedback-round/", {"policy": "default@1", "open": "1"})
    portal_world.draft.refresh_from_db()
    assert portal_world.draft.is_open_for_feedback

    client.post("/backoffice/publish/", {"policy": "default@1", "effective_from": "2027-01-01"})
    portal_world.draft.refresh_from_db()
    assert portal_world.draft.status == PolicyStatus.PUBLISHED
    assert not portal_world.draft.is_open_for_feedback


def test_publishing_before_a_scheduled_policy_is_refused_and_changes_nothing(
    portal_world: PortalWorld, client_for: Callable[[str], Client]
) -> None:
    client = client_for("staff")
    client.post("/backoffice/publish/", {"policy": "default@1", "effective_from": "2027-01-01"})
    later = TierPolicy.objects.get(code="default")
    # A second draft to publish earlier than the one scheduled.
    from channeldesk.tiers.services import tier_policy_draft_from

    draft = tier_policy_draft_from(policy=later)

    response = client.post(
        "/backoffice/publish/",
        {"policy": draft.reference, "effective_from": "2026-12-01"},
        follow=True,
    )

    draft.refresh_from_db()
    assert draft.status == PolicyStatus.DRAFT
    assert "takes effect later" in response.content.decode()


def test_dashboard_costs_a_bounded_number_of_queries(
    portal_world: PortalWorld,
    client_for: Callable[[str], Client],
    inline_runs: None,
    django_assert_max_num_queries: Any,
) -> None:
    client = client_for("staff")
    client.post("/backoffice/runs/simulate/", {"policy": "default@1", "as_of": "2026-07-01"})

    with django_assert_max_num_queries(25):
        assert client.get("/backoffice/").status_code == 200
