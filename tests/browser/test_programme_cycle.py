"""The programme cycle in the browser, in German and in English (docs/backoffice.md):

calibrate to 60–75 Gold / 200–250 Silver → open the draft for feedback → a partner gives
feedback → publish with confirmation → the partner sees its coming tier → apply on the effective
date → the notices go out with progress → the partner sees its new tier and the notice.

The world: 300 partners who all ordered in the running half-year (1 July – 31 December 2026),
with distinct revenues, all Silver under the `previous` programme; partner A (Arne's) buys the
most. The training the `default` draft requires is left out (tests/training covers it), so the
order figures alone decide. The clock stands on 7 December 2026 and travels to the effective
date, 1 January 2027 (the live server runs in this process, so it travels too). Staff sign in
with their second factor recorded (`tests.conftest.sign_in`), injected as the session cookie.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from playwright.sync_api import Page, expect

from channeldesk.backoffice.models import ProgrammeRun, RunStatus
from channeldesk.backoffice.runs import NOTICE_BATCH
from channeldesk.catalog.models import Order, OrderLine, Product
from channeldesk.feedback.models import PolicyFeedback
from channeldesk.partners.models import Partner
from channeldesk.tiers.models import (
    AssignmentSource,
    NoticeStatus,
    PolicyStatus,
    TierAssignment,
    TierCriterion,
    TierNotice,
    TierPolicy,
)
from tests.browser.walk import session_cookie
from tests.clock import instant_of
from tests.contracts.factories import enterprise_product
from tests.personas import Personas
from tests.portal.world import migration_data_ensure

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

PARTNERS = 300
ORDERS_EACH = 4
TARGETS = {"gold_min": "60", "gold_max": "75", "silver_min": "200", "silver_max": "250"}
ORDER_DAYS = (
    dt.date(2026, 7, 15),
    dt.date(2026, 8, 20),
    dt.date(2026, 9, 25),
    dt.date(2026, 11, 5),
)

# What each language shows at the steps the test reads.
TEXTS = {
    "de": {
        "effective": "1. Januar 2027",
        "coming": "Ab 1. Januar 2027: Gold-Partner (35\xa0%)",
        "gold": "Gold-Partner",
        "partial": "1. Juli – 31. Dezember 2026",
    },
    "en": {
        "effective": "1 January 2027",
        "coming": "From 1 January 2027: Gold Partner (35%)",
        "gold": "Gold Partner",
        "partial": "1 July – 31 December 2026",
    },
}


@pytest.fixture
def december(personas: Personas) -> Iterator[Personas]:
    """The world on 7 December 2026, 10:00 Berlin, the clock ticking."""
    with time_machine.travel(instant_of("2026-12-07"), tick=True):
        migration_data_ensure()
        _cycle_world(personas)
        yield personas


def _cycle_world(personas: Personas) -> None:
    TierCriterion.objects.filter(tier__policy__code="default", kind="training").delete()
    product = enterprise_product("ENT-CYCLE", name_de="Endpoint-Schutz", name_en="Endpoint Suite")
    others = Partner.objects.bulk_create(
        Partner(
            partner_number=f"C-{number:04d}",
            name=f"Systemhaus {number} GmbH",
            postal_code="80331",
            city="München",
            email=f"c-{number:04d}@example.com",
        )
        for number in range(1, PARTNERS - 1)
    )
    # Partner A buys the most, partner B sits among the others; every revenue is distinct.
    partners = [*others, personas.partner_b, personas.partner_a]
    _orders(partners, product)
    previous = TierPolicy.objects.get(code="previous")
    silver = previous.tiers.get(code="silver")
    TierAssignment.objects.filter(partner__in=partners).delete()
    TierAssignment.objects.bulk_create(
        TierAssignment(
            partner=partner,
            policy=previous,
            tier=silver,
            valid_from=dt.date(2020, 1, 1),
            source=AssignmentSource.INITIAL,
        )
        for partner in partners
    )
    TierPolicy.objects.update(is_open_for_feedback=False)


def _orders(partners: list[Partner], product: Product) -> None:
    orders = Order.objects.bulk_create(
        Order(partner=partner, order_number=f"O-{partner.pk}-{index}", order_date=day)
        for partner in partners
        for index, day in enumerate(ORDER_DAYS)
    )
    OrderLine.objects.bulk_create(
        OrderLine(
            order=order,
            line_number=1,
            partner_id=order.partner_id,
            order_date=order.order_date,
            product=product,
            quantity=10,
            # 1,000 € more per partner in the list: 4 × 250 € steps.
            net_amount=Decimal(250) * (position // ORDERS_EACH + 1),
        )
        for position, order in enumerate(orders)
    )


@pytest.mark.parametrize("language", ["de", "en"])
def test_the_programme_cycle_from_calibration_to_the_partners_notice(
    page: Page, live_server: Any, december: Personas, language: str, settings: Any
) -> None:
    # The runs go to background threads; the page polls their progress.
    settings.BACKOFFICE_RUNS_INLINE = False
    cycle = Cycle(page=page, base=live_server.url, language=language, personas=december)

    draft = cycle.calibrate()
    cycle.give_feedback(draft)
    cycle.publish(draft)
    cycle.partner_sees_the_coming_tier()
    with time_machine.travel(instant_of("2027-01-01"), tick=True):
        cycle.apply_and_send_the_notices(draft)
        cycle.partner_sees_the_new_tier_and_the_notice()


class Cycle:
    """The steps of the cycle, each as the person doing it sees it."""

    def __init__(self, *, page: Page, base: str, language: str, personas: Personas) -> None:
        self.page, self.base, self.language = page, base, language
        self.texts = TEXTS[language]
        self.staff, self.arne = personas.staff, personas.partner_a_user
        self.partner_a = personas.partner_a

    def sign_in_as(self, user: Any) -> None:
        self.page.context.clear_cookies()
        self.page.context.add_cookies(session_cookie(user, language=self.language, base=self.base))

    def wait_done(self, panel: str) -> None:
        expect(self.page.locator(f"{panel} .run-status")).to_have_attribute(
            "data-status", re.compile("done|failed"), timeout=60_000
        )

    def calibrate(self) -> TierPolicy:
        page = self.page
        # A simulation with the date the page proposes (ISO in every language) runs.
        self.sign_in_as(self.staff)
        page.goto(f"{self.base}/backoffice/?policy=default@1")
        page.locator("#run-form button[hx-post$='/simulate/']").click()
        expect(page.locator("#tier-table")).to_be_visible(timeout=60_000)
        assert ProgrammeRun.objects.filter(kind="simulate", status=RunStatus.DONE).count() == 1

        # Calibrating as of the effective date previews the running half-year, partial.
        page.fill("#id_as_of", "2027-01-01")
        for field, value in TARGETS.items():
            page.fill(f"#id_{field}", value)
        page.locator("#run-form button[hx-post$='/calibrate/']").click()
        self.wait_done("#run-panel")
        calibration = ProgrammeRun.objects.get(kind="calibrate")
        assert calibration.status == RunStatus.DONE, calibration.error
        assert calibration.draft is not None
        counts = {tier["tier"]: tier["count"] for tier in calibration.result["tiers"]}
        assert 60 <= counts["gold"] <= 75, counts
        assert 200 <= counts["silver"] <= 250, counts
        assert calibration.result["evaluation_period"]["partial"] is True

        # The calibrated draft opens from its run, and is opened for feedback.
        page.locator(f"a[href$='?policy={calibration.draft.reference}']").first.click()
        # Its simulation as of the effective date says it previews an unfinished period.
        page.fill("#id_as_of", "2027-01-01")
        page.locator("#run-form button[hx-post$='/simulate/']").click()
        expect(page.get_by_test_id("partial-period")).to_contain_text(
            self.texts["partial"], timeout=60_000
        )
        page.locator("#open-feedback").click()
        draft = TierPolicy.objects.get(pk=calibration.draft.pk)
        assert draft.is_open_for_feedback
        return draft

    def give_feedback(self, draft: TierPolicy) -> None:
        page = self.page
        self.sign_in_as(self.arne)
        page.goto(f"{self.base}/portal/")
        expect(page.get_by_test_id("projected-tier")).to_contain_text(self.texts["gold"])
        page.locator("input[name=stance][value=concerns]").check()
        page.locator("#feedback textarea").fill("Vier Bestellungen sind viel.")
        page.locator("#feedback button[type=submit]").click()
        expect(page.locator("#feedback")).to_be_visible()
        assert PolicyFeedback.objects.get().policy == draft

    def publish(self, draft: TierPolicy) -> None:
        page = self.page
        self.sign_in_as(self.staff)
        page.goto(f"{self.base}/backoffice/?policy={draft.reference}")
        page.fill("#id_effective_from", "2027-01-01")
        page.locator("#publish").click()
        expect(page.locator("h2#confirm-heading")).to_contain_text(self.texts["effective"])
        draft.refresh_from_db()
        assert draft.status == PolicyStatus.DRAFT  # nothing happens before the confirmation
        page.locator("input[name=confirm]").check()
        page.locator("#publish-confirm").click()
        expect(page.get_by_test_id("takes-effect").first).to_contain_text(self.texts["effective"])
        draft.refresh_from_db()
        assert (draft.status, draft.is_open_for_feedback) == (PolicyStatus.PUBLISHED, False)
        # Applying now is refused with the day it can run.
        expect(page.get_by_test_id("apply-refusal")).to_contain_text(self.texts["effective"])

    def partner_sees_the_coming_tier(self) -> None:
        page = self.page
        self.sign_in_as(self.arne)
        page.goto(f"{self.base}/portal/")
        expect(page.get_by_test_id("coming-tier")).to_have_text(self.texts["coming"])
        expect(page.locator("#coming-tier")).to_contain_text(self.texts["partial"])
        expect(page.locator("input[name=stance]")).to_have_count(0)

    def apply_and_send_the_notices(self, draft: TierPolicy) -> None:
        page = self.page
        self.sign_in_as(self.staff)
        page.goto(f"{self.base}/backoffice/?policy={draft.reference}")
        expect(page.get_by_test_id("apply-refusal")).to_have_count(0)
        page.locator("#start-apply").click()
        self.wait_done("#apply-panel")
        applied = ProgrammeRun.objects.get(kind="apply")
        assert applied.status == RunStatus.DONE, applied.error
        due = TierNotice.objects.filter(status=NoticeStatus.PLANNED).count()
        assert due > NOTICE_BATCH  # more than one batch: the progress moves
        expect(page.get_by_test_id("notices-due")).to_contain_text(str(due))
        page.locator("#start-notices").click()
        self.wait_done("#notices-panel")
        notices = ProgrammeRun.objects.get(kind="notices")
        assert notices.status == RunStatus.DONE, notices.error
        assert (notices.progress, notices.result["sent"]) == (100, due)
        expect(page.get_by_test_id("notices-sent").first).to_contain_text(str(due))

    def partner_sees_the_new_tier_and_the_notice(self) -> None:
        page = self.page
        self.sign_in_as(self.arne)
        page.goto(f"{self.base}/portal/")
        expect(page.get_by_test_id("tier")).to_have_text(self.texts["gold"])
        notice = TierNotice.objects.get(partner=self.partner_a)
        assert notice.status == NoticeStatus.SENT
        page.goto(f"{self.base}/portal/messages/")
        letter = f"a[href*='/portal/messages/letters/{notice.document_id}/']"
        expect(page.locator(letter)).to_have_count(1)
