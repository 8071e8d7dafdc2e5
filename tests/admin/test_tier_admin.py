"""Published policies are read-only in the admin, drafts editable, the history never edited."""

from __future__ import annotations

import datetime as dt

from django.test import Client

from channeldesk.tiers.models import TierAssignment, TierCriterion, TierOverride, TierPolicy
from tests.admin.factories import AdminData
from tests.admin.forms import rendered_form_data


def _policy_url(policy: TierPolicy, view: str = "change") -> str:
    return f"/admin/tiers/tierpolicy/{policy.pk}/{view}/"


def test_published_policy_page_has_nothing_to_save(
    admin_data: AdminData, staff_client: Client
) -> None:
    response = staff_client.get(_policy_url(admin_data.published_policy))

    assert response.status_code == 200
    assert b'name="_save"' not in response.content
    assert [inline.formset.can_delete for inline in response.context["inline_admin_formsets"]] == [
        False
    ]


def test_published_policy_refuses_a_change(admin_data: AdminData, staff_client: Client) -> None:
    policy = admin_data.published_policy
    data = rendered_form_data(staff_client.get(_policy_url(policy)))

    response = staff_client.post(_policy_url(policy), {**data, "name": "Changed"})

    assert response.status_code == 403
    policy.refresh_from_db()
    assert policy.name == "Partner programme until 2005 (Gold / Silver)"


def test_published_policy_cannot_be_deleted(admin_data: AdminData, staff_client: Client) -> None:
    policy = admin_data.published_policy

    response = staff_client.post(_policy_url(policy, "delete"), {"post": "yes"})

    assert response.status_code == 403
    assert TierPolicy.objects.filter(pk=policy.pk).exists()


def test_tiers_and_criteria_of_a_published_policy_refuse_changes(
    admin_data: AdminData, staff_client: Client
) -> None:
    tier = admin_data.published_policy.tiers.get(code="gold")
    criterion = tier.criteria.first()
    assert criterion is not None

    tier_answer = staff_client.post(f"/admin/tiers/tier/{tier.pk}/change/", {"rank": 9})
    criterion_answer = staff_client.post(
        f"/admin/tiers/tiercriterion/{criterion.pk}/change/", {"threshold": "1"}
    )

    assert (tier_answer.status_code, criterion_answer.status_code) == (403, 403)
    tier.refresh_from_db()
    assert tier.rank == 2
    assert TierCriterion.objects.get(pk=criterion.pk).threshold == criterion.threshold


def test_draft_policy_is_edited_with_its_tiers(admin_data: AdminData, staff_client: Client) -> None:
    policy = admin_data.draft_policy
    page = staff_client.get(_policy_url(policy))
    assert b'name="_save"' in page.content
    data = rendered_form_data(page)
    gold_row = next(key for key, value in data.items() if key.endswith("-code") and value == "gold")
    data[gold_row.replace("-code", "-discount_percent")] = "36.00"

    response = staff_client.post(_policy_url(policy), {**data, "name": "Plan 2005, revised"})

    assert response.status_code == 302
    policy.refresh_from_db()
    assert policy.name == "Plan 2005, revised"
    assert str(policy.tiers.get(code="gold").discount_percent) == "36.00"
    assert policy.status == "draft"


def test_status_is_not_editable_so_publishing_goes_through_the_tiers_commands(
    admin_data: AdminData, staff_client: Client
) -> None:
    policy = admin_data.draft_policy
    data = rendered_form_data(staff_client.get(_policy_url(policy)))

    staff_client.post(_policy_url(policy), {**data, "status": "published"})

    policy.refresh_from_db()
    assert policy.status == "draft"


def test_new_tiers_can_only_join_draft_policies(
    admin_data: AdminData, staff_client: Client
) -> None:
    response = staff_client.get("/admin/tiers/tier/add/")

    choices = list(response.context["adminform"].form.fields["policy"].queryset)
    assert choices == list(TierPolicy.objects.filter(status="draft"))
    assert admin_data.published_policy not in choices


def test_criterion_kind_is_chosen_from_the_registry(
    admin_data: AdminData, staff_client: Client
) -> None:
    response = staff_client.get("/admin/tiers/tiercriterion/add/")

    kinds = [code for code, _ in response.context["adminform"].form.fields["kind"].choices]
    assert kinds == ["orders", "revenue", "beyond_retail", "distinct_products", "training"]


def test_tier_history_is_read_only(admin_data: AdminData, staff_client: Client) -> None:
    assignment = TierAssignment.objects.get()
    url = f"/admin/tiers/tierassignment/{assignment.pk}/change/"

    page = staff_client.get(url)
    change = staff_client.post(url, {"valid_from": "2020-01-01"})
    delete = staff_client.post(url.replace("change", "delete"), {"post": "yes"})

    assert page.status_code == 200
    assert b'name="_save"' not in page.content
    assert (change.status_code, delete.status_code) == (403, 403)
    assignment.refresh_from_db()
    assert assignment.valid_from == dt.date(2026, 1, 1)


def test_override_records_who_made_it(admin_data: AdminData, staff_client: Client) -> None:
    partner = admin_data.personas.partner_a

    response = staff_client.post(
        "/admin/tiers/tieroverride/add/",
        {
            "partner": partner.pk,
            "tier_code": "gold",
            "reason": "Won the state tender",
            "valid_from": "2026-07-01",
            "valid_until": "",
            "revoked_at_0": "",
            "revoked_at_1": "",
        },
    )

    assert response.status_code == 302
    override = TierOverride.objects.get(partner=partner)
    assert (override.tier_code, override.created_by) == ("gold", admin_data.personas.staff)
