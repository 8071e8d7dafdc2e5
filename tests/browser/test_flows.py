"""A partner signs in, understands its tier, finds a customer's letter and gives feedback;
staff run a simulation and see the chart. Screenshots of the main pages go to var/screenshots/."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from channeldesk.backoffice.models import ProgrammeRun, RunStatus
from channeldesk.feedback.models import PolicyFeedback
from tests.personas import Personas
from tests.portal.world import PDF, PortalWorld, build_portal_world, migration_data_ensure
from tests.security.flows import give_totp, totp_code
from tests.usage.worlds import october_statements

PASSWORD = "correct horse battery staple"  # what tests.factories.UserFactory sets

# The live server needs committed data; the rows the migrations wrote (the tier policies) are
# put back after each test.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def browser_world(personas: Personas) -> PortalWorld:
    migration_data_ensure()
    return build_portal_world(personas)


def sign_in(page: Page, base: str, email: str, *, totp_secret: str = "") -> None:
    """Password, then (for a login with an authenticator app) the current TOTP code."""
    page.goto(f"{base}/")
    expect(page).to_have_url(f"{base}/accounts/login/?next=/")
    page.fill("#id_login", email)
    page.fill("#id_password", PASSWORD)
    page.locator("main form button[type=submit]").first.click()
    if totp_secret:
        expect(page).to_have_url(re.compile(r"/accounts/2fa/authenticate/"))
        page.fill("#id_code", totp_code(totp_secret))
        page.locator("main form button[type=submit]").first.click()


def test_partner_sees_tier_opens_a_customer_downloads_the_letter_and_gives_feedback(
    page: Page, live_server: Any, browser_world: PortalWorld, screenshots: Path
) -> None:
    base = live_server.url
    page.context.add_cookies([{"name": "django_language", "value": "en", "url": base}])

    # Signing in by e-mail lands in the portal, with the tier and why.
    sign_in(page, base, "arne@example.com")
    expect(page).to_have_url(f"{base}/portal/")
    expect(page.get_by_test_id("tier")).to_have_text("Silver Partner")
    expect(page.get_by_text("On the way to the next tier")).to_be_visible()
    expect(page.get_by_test_id("next-tier")).to_contain_text("Gold Partner")
    page.screenshot(path=str(screenshots / "portal-home.png"), full_page=True)

    # The customer list leads to the customer, its contracts and its letter.
    page.get_by_role("link", name="Customers", exact=True).click()
    page.get_by_role("link", name="Anton Maschinenbau AG").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Anton Maschinenbau AG")
    expect(page.locator("#contract-V-A-SOON")).to_be_visible()
    page.screenshot(path=str(screenshots / "portal-customer.png"), full_page=True)
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Letter (PDF)").click()
    download = download_info.value
    assert download.suggested_filename == "renewal-V-A-SOON.pdf"
    assert Path(download.path()).read_bytes() == PDF

    page.get_by_role("link", name="Renewals", exact=True).click()
    expect(page.get_by_text("V-A-SOON")).to_be_visible()
    page.screenshot(path=str(screenshots / "portal-renewals.png"), full_page=True)

    # Feedback on the draft open for comment is stored for the partner.
    page.get_by_role("link", name="Overview").click()
    expect(page.get_by_test_id("projected-tier")).to_contain_text("Authorised Partner")
    page.get_by_label("I agree, with concerns").check()
    page.get_by_label("Comment").fill("Four orders a half-year are many for us.")
    page.get_by_role("button", name="Send feedback").click()
    expect(page.get_by_text("your feedback has been passed on")).to_be_visible()
    feedback = PolicyFeedback.objects.get()
    assert (feedback.partner_id, feedback.stance) == (
        browser_world.personas.partner_a.pk,
        "concerns",
    )


def test_partner_opens_last_months_statement_and_downloads_the_pdf_and_the_evidence(
    page: Page, live_server: Any, browser_world: PortalWorld, screenshots: Path
) -> None:
    """R14's flow: the statement with its customers' user-days, prices and the discount."""
    personas = browser_world.personas
    own = october_statements(personas.partner_a, personas.partner_b)["A-1000"]
    base = live_server.url
    page.context.add_cookies([{"name": "django_language", "value": "en", "url": base}])
    sign_in(page, base, "arne@example.com")

    page.get_by_role("link", name="Statements", exact=True).click()
    page.get_by_role("link", name=own.number, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(own.number)
    line = page.locator("tbody tr").first
    expect(line).to_contain_text("user-days")
    expect(line).to_contain_text("25")  # Silver's discount, in force on the usage days
    line_row = own.lines.get(position=1)
    assert line_row.units == 3  # 2 users on day 1, one of them again on day 2
    page.screenshot(path=str(screenshots / "portal-statement.png"), full_page=True)

    with page.expect_download() as pdf:
        page.get_by_role("link", name="Statement (PDF)").click()
    assert Path(pdf.value.path()).read_bytes()[:4] == b"%PDF"
    with page.expect_download() as evidence:
        page.get_by_role("link", name="Evidence (CSV)").click()
    rows = Path(evidence.value.path()).read_text(encoding="utf-8").splitlines()
    assert len(rows) == 1 + 3  # a header, then each user key on each day it counted


def test_partner_portal_on_a_phone_in_german(
    page: Page, live_server: Any, browser_world: PortalWorld, screenshots: Path
) -> None:
    base = live_server.url
    page.context.add_cookies([{"name": "django_language", "value": "de", "url": base}])
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, base, "arne@example.com")

    expect(page.get_by_text("Ihre Partnerstufe")).to_be_visible()
    # Nothing is wider than the phone's screen.
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390
    page.screenshot(path=str(screenshots / "portal-home-phone-de.png"), full_page=True)


def test_staff_run_a_simulation_from_the_dashboard_and_see_the_chart(
    page: Page, live_server: Any, browser_world: PortalWorld, screenshots: Path, settings: Any
) -> None:
    # The run goes to a background thread; the page polls its progress and reloads when done.
    settings.BACKOFFICE_RUNS_INLINE = False
    base = live_server.url
    page.context.add_cookies([{"name": "django_language", "value": "en", "url": base}])
    # Vendor staff sign in with their second factor.
    secret = give_totp(browser_world.personas.staff)
    sign_in(page, base, "staff@example.com", totp_secret=secret)
    expect(page).to_have_url(f"{base}/backoffice/")

    page.fill("#id_as_of", "2026-07-01")
    page.get_by_role("button", name="Run simulation").click()

    expect(page.locator("#tier-chart[data-rendered=true]")).to_be_attached(timeout=30_000)
    expect(page.locator("#tier-table")).to_contain_text("Silver Partner")
    assert ProgrammeRun.objects.get().status == RunStatus.DONE
    page.screenshot(path=str(screenshots / "backoffice-dashboard.png"), full_page=True)

    for name, path in (
        ("backoffice-partner", "/backoffice/partners/A-1000/"),
        ("backoffice-renewals", "/backoffice/renewals/"),
        ("backoffice-outbox", "/backoffice/outbox/?tab=planned"),
    ):
        page.goto(base + path)
        expect(page.locator("h1")).to_be_visible()
        page.screenshot(path=str(screenshots / f"{name}.png"), full_page=True)
    expect(page.locator("#renewals-chart")).to_have_count(0)
    page.goto(base + "/backoffice/renewals/")
    expect(page.locator("#renewals-chart[data-rendered=true]")).to_be_attached()
