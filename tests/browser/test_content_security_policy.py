"""The Content-Security-Policy breaks nothing: in a real browser, the pages of the portal, the
back office and the admin load and run (htmx, Chart.js) without a single policy violation."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import Page, expect

from tests.personas import Personas, sign_in
from tests.portal.world import PortalWorld, build_portal_world, migration_data_ensure

# The live server needs committed data; the rows the migrations wrote are put back afterwards.
pytestmark = [
    pytest.mark.processes,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

# Every violation the page reports, recorded before any of its own scripts run.
RECORD_VIOLATIONS = """
window.cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.cspViolations.push(
    `${event.effectiveDirective} blocked ${event.blockedURI || "inline"} ` +
    `at ${event.sourceFile}:${event.lineNumber}`
  );
});
"""


@pytest.fixture
def browser_world(personas: Personas) -> PortalWorld:
    migration_data_ensure()
    return build_portal_world(personas)


def _browse_as(page: Page, live_server: Any, user: Any) -> str:
    """Sign `user` in (as the real login leaves the session) and hand the session to the
    browser."""
    client = Client()
    sign_in(client, user)
    base = str(live_server.url)
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": base,
            },
            {"name": "django_language", "value": "en", "url": base},
        ]
    )
    page.add_init_script(RECORD_VIOLATIONS)
    return base


def _violations(page: Page) -> list[str]:
    found: list[str] = page.evaluate("window.cspViolations")
    return found


def test_partner_pages_run_without_a_policy_violation(
    page: Page, live_server: Any, browser_world: PortalWorld, personas: Personas
) -> None:
    base = _browse_as(page, live_server, personas.partner_a_admin)
    seen: dict[str, list[str]] = {}

    for path in ("/portal/", "/portal/customers/", "/portal/renewals/", "/accounts/2fa/"):
        page.goto(base + path)
        page.wait_for_load_state("networkidle")
        seen[path] = _violations(page)

    # A customer's page with its contracts and licence panels.
    page.goto(base + "/portal/customers/")
    page.get_by_role("link", name="Anton Maschinenbau AG").click()
    page.wait_for_load_state("networkidle")
    seen["customer"] = _violations(page)

    assert seen == {path: [] for path in seen}


def test_back_office_and_admin_pages_run_without_a_policy_violation(
    page: Page, live_server: Any, browser_world: PortalWorld, personas: Personas
) -> None:
    base = _browse_as(page, live_server, personas.staff)
    seen: dict[str, list[str]] = {}

    for path in (
        "/backoffice/",
        "/backoffice/renewals/",
        "/backoffice/compliance/",
        "/backoffice/outbox/",
        "/backoffice/partners/A-1000/",
        "/admin/",
        "/admin/partners/partner/",
        "/api/v1/docs/",
    ):
        page.goto(base + path)
        page.wait_for_load_state("networkidle")
        seen[path] = _violations(page)

    # Chart.js draws under the policy.
    page.goto(base + "/backoffice/renewals/")
    expect(page.locator("#renewals-chart[data-rendered=true]")).to_be_attached()
    assert seen == {path: [] for path in seen}
