"""The programme dashboard: simulate and calibrate with progress, feedback round, publish."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.test import Client

from channeldesk.backoffice.models import ProgrammeRun, RunStatus
from channeldesk.backoffice.runs import run_execute, run_start
from channeldesk.tiers.models import (
    NoticeStatus,
    PolicyStatus,
    TierAssignment,
    TierNotice,
    TierPolicy,
)
from channeldesk.tiers.simulation import tiers_simulate
from tests.backoffice.factories import CALIBRATION_FORM, munich_caller
from tests.clock import instant_of
from tests.personas import sign_in
from tests.portal.world import (
    PortalWorld,
    gold_orders_in_the_second_half_of_2026,
    migration_data_ensure,
)
from tests.tiers.factories import buy


@pytest.fixture
def inline_runs(settings: Any) -> None:
    settings.BACKOFFICE_RUNS_INLINE = True


def _chart(text: str) -> dict[str, Any]:
    start = text.index('id="tier-chart-data"')
    body = text[text.index(">", start) + 1 : text.index("</script>", start)]
    return json.loads(body)


def _simulate_by_htmx(client: Client, *, as_of: str) -> Any:
    """Start a simulation of the draft as of `as_of` as the dashboard's form does (htmx)."""
    return client.post(
        "/backoffice/runs/simulate/",
        {"policy": "default@1", "as_of": as_of},
        headers={"HX-Request": "true"},
    )


def test_simulation_from_the_page_shows_counts_targets_and_the_chart_data(
    portal_world: PortalWorld, client_for: Callable[[str], Client], inline_runs: None
) -> None:
    # Given partner A ordering like a Gold partner in the first half of 2026,
    buy(portal_world.personas.partner_a, portal_world.product, times=5, amount=Decimal("12000"))
    client = client_for("staff")

    # when staff run a simulation of the draft as of 1 July 2026 (htmx),
    response = _simulate_by_htmx(client, as_of="2026-07-01")

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

    client_for("staff").post("/backoffice/runs/calibrate/", CALIBRATION_FORM)

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
    response = _simulate_by_htmx(client, as_of="2026-07-01")
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
    # (the refusal's own words, in the installation's language, with no class name)
    assert run.error.startswith("Das Stufenmodell default@1 hat noch keine Stufen")


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

    client.post(
        "/backoffice/publish/",
        {"policy": "default@1", "effective_from": "2027-01-01", "confirm": "on"},
    )
    portal_world.draft.refresh_from_db()
    assert portal_world.draft.status == PolicyStatus.PUBLISHED
    assert not portal_world.draft.is_open_for_feedback


def test_publishing_before_a_scheduled_policy_is_refused_and_changes_nothing(
    portal_world: PortalWorld, client_for: Callable[[str], Client]
) -> None:
    client = client_for("staff")
    client.post(
        "/backoffice/publish/",
        {"policy": "default@1", "effective_from": "2027-01-01", "confirm": "on"},
    )
    later = TierPolicy.objects.get(code="default")
    # A second draft to publish earlier than the one scheduled.
    from channeldesk.tiers.services import tier_policy_draft_from

    draft = tier_policy_draft_from(policy=later)

    response = client.post(
        "/backoffice/publish/",
        {"policy": draft.reference, "effective_from": "2026-12-01", "confirm": "on"},
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


# --- The programme cycle from the dashboard (docs/backoffice.md) -----------------------------


def _german(client: Client) -> Client:
    client.cookies["django_language"] = "de"
    return client


def _publish(client: Client, *, effective_from: str = "2027-01-01") -> None:
    client.post(
        "/backoffice/publish/",
        {"policy": "default@1", "effective_from": effective_from, "confirm": "on"},
    )


@pytest.mark.today("2026-12-07")
def test_date_inputs_carry_iso_values_in_german(
    portal_world: PortalWorld, client_for: Callable[[str], Client]
) -> None:
    # Given a channel manager reading the dashboard in German,
    client = _german(client_for("staff"))

    # when the page is rendered,
    text = client.get("/backoffice/").content.decode()

    # then the date a browser's date input keeps is ISO, not "07.12.2026".
    assert 'type="date" name="as_of" value="2026-12-07"' in text
    assert "07.12.2026" not in text


def test_a_refused_htmx_run_answers_with_its_errors_and_starts_nothing(
    portal_world: PortalWorld, client_for: Callable[[str], Client], inline_runs: None
) -> None:
    # Given a German simulation request with a date the form cannot read,
    client = _german(client_for("staff"))

    # when htmx posts it,
    response = _simulate_by_htmx(client, as_of="nonsense")

    # then the panel gets the error in words (htmx swaps only a 2xx answer), and no run starts.
    text = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="run-refused"' in text
    assert "Stichtag" in text or "As of" in text
    assert ProgrammeRun.objects.count() == 0


def test_a_refused_run_without_htmx_shows_the_dashboard_with_its_errors(
    portal_world: PortalWorld, client_for: Callable[[str], Client], inline_runs: None
) -> None:
    client = client_for("staff")
    client.cookies["django_language"] = "en"
    response = client.post(
        "/backoffice/runs/calibrate/",
        {"policy": "default@1", "as_of": "2026-07-01", "gold_min": "9", "gold_max": "1"},
    )

    assert response.status_code == 400
    assert "The gold target must not end below its start." in response.content.decode()
    assert ProgrammeRun.objects.count() == 0


@pytest.mark.today("2026-12-07")
def test_a_simulation_of_the_running_period_is_labelled_partial(
    portal_world: PortalWorld, client_for: Callable[[str], Client], inline_runs: None
) -> None:
    # Given a simulation of the draft as of its effective date, while that period still runs,
    client = _german(client_for("staff"))
    client.post("/backoffice/runs/simulate/", {"policy": "default@1", "as_of": "2027-01-01"})

    # when the dashboard shows it,
    text = client.get("/backoffice/?policy=default@1").content.decode()

    # then it says it previews the running period, in words.
    assert 'data-testid="partial-period"' in text
    assert "1. Juli – 31. Dezember 2026" in text


@pytest.mark.today("2026-12-07")
def test_publishing_asks_for_confirmation_and_changes_nothing_until_confirmed(
    portal_world: PortalWorld, client_for: Callable[[str], Client]
) -> None:
    client = _german(client_for("staff"))

    # When the channel manager asks to publish, a confirmation page names the date,
    page = client.get(
        "/backoffice/publish/confirm/", {"policy": "default@1", "effective_from": "2027-01-01"}
    )
    assert page.status_code == 200
    assert "1. Januar 2027" in page.content.decode()
    assert 'name="confirm"' in page.content.decode()
    # and publishing without ticking the box is refused with the page again,
    refused = client.post(
        "/backoffice/publish/", {"policy": "default@1", "effective_from": "2027-01-01"}
    )

    # then nothing is published and the feedback round stays open.
    assert refused.status_code == 400
    portal_world.draft.refresh_from_db()
    assert portal_world.draft.status == PolicyStatus.DRAFT
    assert portal_world.draft.is_open_for_feedback


@pytest.mark.today("2026-12-07")
def test_after_publishing_the_dashboard_shows_the_programme_with_its_effective_date(
    portal_world: PortalWorld, client_for: Callable[[str], Client]
) -> None:
    # Given a draft published to take effect on 1 January 2027,
    client = _german(client_for("staff"))
    _publish(client)

    # when the dashboard is opened, and the programme's link followed,
    home = client.get("/backoffice/").content.decode()
    opened = client.get("/backoffice/", {"policy": "default@1"})

    # then it shows the published programme and when it takes effect, and the link opens it.
    assert "tritt am 1. Januar 2027 in Kraft" in home or "1. Januar 2027" in home
    assert "?policy=default@1" in home
    assert opened.status_code == 200
    assert 'id="published-policy"' in opened.content.decode()
    portal_world.draft.refresh_from_db()
    assert not portal_world.draft.is_open_for_feedback


@pytest.mark.today("2026-12-07")
def test_applying_before_the_evaluation_period_ended_is_refused_with_the_date(
    portal_world: PortalWorld, client_for: Callable[[str], Client], inline_runs: None
) -> None:
    # Given a policy published for 1 January 2027, on 7 December 2026,
    client = _german(client_for("staff"))
    _publish(client)
    assignments = TierAssignment.objects.count()

    # when the channel manager applies it,
    response = client.post(
        "/backoffice/runs/apply/", {"policy": "default@1"}, headers={"HX-Request": "true"}
    )

    # then the refusal names the day it can run, in words, and nothing is recorded.
    text = response.content.decode()
    assert "1. Januar 2027" in text
    assert "1. Juli – 31. Dezember 2026" in text
    assert ProgrammeRun.objects.count() == 0
    assert TierAssignment.objects.count() == assignments


def test_apply_and_notices_run_from_the_dashboard_on_the_effective_date(
    portal_world: PortalWorld, client_for: Callable[[str], Client], inline_runs: None
) -> None:
    # Given partner A ordering like a Gold partner in the second half of 2026, and the draft
    # published on 7 December for 1 January 2027,
    with time_machine.travel(instant_of("2026-12-07"), tick=True):
        gold_orders_in_the_second_half_of_2026(portal_world)
        client = client_for("staff")
        _publish(client)

    with time_machine.travel(instant_of("2027-01-01"), tick=True):
        # when the channel manager (signed in again: sessions end) applies it that day,
        client = client_for("staff")
        applied = client.post(
            "/backoffice/runs/apply/", {"policy": "default@1"}, headers={"HX-Request": "true"}
        )
        # and sends the notices it planned,
        due = TierNotice.objects.filter(status=NoticeStatus.PLANNED).count()
        sent = client.post(
            "/backoffice/runs/notices/", {"policy": "default@1"}, headers={"HX-Request": "true"}
        )

    # then every partner has its tier under the policy from that day,
    apply_run = ProgrammeRun.objects.get(kind="apply")
    assert apply_run.status == RunStatus.DONE, apply_run.error
    assert 'data-testid="applied"' in applied.content.decode()
    assert set(
        TierAssignment.objects.filter(valid_to__isnull=True).values_list(
            "tier__policy__code", "valid_from"
        )
    ) == {("default", dt.date(2027, 1, 1))}
    # and the notice run sent every due notice, counting them on the run.
    notice_run = ProgrammeRun.objects.get(kind="notices")
    assert due >= 1
    assert notice_run.status == RunStatus.DONE
    assert notice_run.progress == 100
    assert notice_run.result["sent"] == due == notice_run.result["due"]
    assert TierNotice.objects.filter(status=NoticeStatus.PLANNED).count() == 0
    assert 'data-testid="notices-sent"' in sent.content.decode()


def test_the_support_desk_lands_on_its_search_and_finds_a_partner_by_phone(
    portal_world: PortalWorld, client_for: Callable[[str], Client]
) -> None:
    # Given partner B's contact with a Munich number,
    partner_b = portal_world.personas.partner_b
    munich_caller(partner_b)
    client = client_for("support")

    # when the support desk signs in (landing on the site root) and types the number as the
    # phone's display shows it,
    landing = client.get("/", follow=True)
    found = client.get("/backoffice/support/", {"q": "+49 89 12345678"})

    # then it lands on its own page, and the one match opens the partner's page.
    assert landing.redirect_chain == [("/backoffice/support/", 302)]
    assert 'id="support-search"' in landing.content.decode()
    assert client.get("/backoffice/")["Location"] == "/backoffice/support/"
    assert found["Location"] == f"/backoffice/partners/{partner_b.partner_number}/"
