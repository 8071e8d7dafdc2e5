"""The webhook faces are in the suite-wide persona tables: every API endpoint, page, admin model
and admin action of webhooks has its rows (tests/webhooks/api_access.py, page_access.py,
admin_rows.py), which tests/api/test_access.py, tests/portal/test_page_access.py and
tests/security/test_admin_access.py walk for every persona. Partner A's admin finding nothing of
partner B, by URL guessing included, is in those rows (404 for B's subscription and delivery)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin

from tests.access import url_patterns
from tests.admin.access_table import ADMIN_ACCESS
from tests.api.access_table import ACCESS_TABLE
from tests.webhooks import admin_rows, api_access, page_access

WEBHOOK_MODELS = (
    "webhooks.WebhookSubscription",
    "webhooks.WebhookEvent",
    "webhooks.WebhookDelivery",
)


def _webhook_names(prefix: str) -> set[str]:
    return {
        name
        for route, name in url_patterns()
        if name and route.startswith(prefix) and "webhook" in route
    }


def test_every_webhook_endpoint_has_rows_in_the_api_table() -> None:
    assert _webhook_names("api/v1/") == set(api_access.ACCESS)
    assert set(api_access.ACCESS) <= set(ACCESS_TABLE)


def test_every_webhook_page_has_rows_in_the_page_table() -> None:
    pages = _webhook_names("backoffice/") | _webhook_names("portal/")
    assert pages == set(page_access.PAGES)


def test_every_webhook_admin_model_and_action_has_a_row() -> None:
    registered = {
        model._meta.label: model_admin
        for model, model_admin in admin.site._registry.items()
        if model._meta.app_label == "webhooks"
    }
    assert set(registered) == set(WEBHOOK_MODELS) == set(admin_rows.ADMIN_ACCESS)
    for label, model_admin in registered.items():
        actions = {getattr(action, "__name__", action) for action in (model_admin.actions or [])}
        assert actions == set(ADMIN_ACCESS[label].actions), label


def test_partner_b_rows_answer_404_to_partner_a_admin() -> None:
    rows: list[tuple[str, Any]] = [
        *((name, case) for name, cases in api_access.ACCESS.items() for case in cases),
        *((name, case) for name, cases in page_access.PAGES.items() for case in cases),
    ]
    for name, case in rows:
        if "B's" in case.label and case.expect["partner_a_admin"] != 403:
            assert case.expect["partner_a_admin"] == 404, (name, case.label)
