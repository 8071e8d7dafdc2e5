"""The generated demo data, without a database: deterministic, exact in size, shaped by the seed.

The shape tests run at the default ratios, scaled down (R1: about half near non-buyers; R2: 80
Gold to 860 Silver before the change; R5: retail-only buyers), and one runs at the default scale
to prove the default policy can be calibrated to Gold 60-75 and Silver 200-250.
"""

import datetime as dt
from collections import Counter
from decimal import Decimal

import pytest
from stdnum.eu import vat

from channeldesk.catalog.models import ProductKind
from channeldesk.commands.demo.generator import PartnerData, partners_generate
from channeldesk.commands.demo.population import (
    DemoShapeError,
    Population,
    Segment,
    plan_make,
    population_build,
)
from channeldesk.commands.demo.reference import PRODUCTS
from channeldesk.core.periods import Period, last_complete_period, months_ending
from tests.demo.factories import ANCHOR


def generate(
    *, partners: int, order_lines: int | None = None, seed: int = 7, today: dt.date = ANCHOR
) -> tuple[Population, list[PartnerData]]:
    plan = plan_make(seed=seed, partners=partners, order_lines=order_lines, today=today)
    population = population_build(plan=plan)
    return population, list(partners_generate(population=population))


def orders_in(data: PartnerData, period: Period) -> int:
    """Orders as the tier criteria count them: with a positive line, inside the period."""
    return sum(
        1
        for order in data.orders
        if order.order_date in period and any(line.quantity > 0 for line in order.lines)
    )


def buys_beyond_retail(data: PartnerData, period: Period) -> bool:
    return any(
        line.quantity > 0 and PRODUCTS[line.product].kind != ProductKind.RETAIL
        for order in data.orders
        if order.order_date in period
        for line in order.lines
    )


def revenue_cents(data: PartnerData, window: Period) -> int:
    return sum(
        line.net_cents
        for order in data.orders
        if order.order_date in window
        for line in order.lines
    )


@pytest.fixture(scope="module")
def tenth() -> tuple[Population, list[PartnerData]]:
    """94 partners: the default scale's ratios at a tenth of its size."""
    return generate(partners=94)


def test_same_seed_and_anchor_give_identical_data() -> None:
    assert generate(partners=30, order_lines=900) == generate(partners=30, order_lines=900)


def test_another_seed_gives_other_data() -> None:
    _, first = generate(partners=30, order_lines=900, seed=1)
    _, second = generate(partners=30, order_lines=900, seed=2)

    assert [data.partner.name for data in first] != [data.partner.name for data in second]


def test_skipping_loaded_partners_leaves_the_others_unchanged() -> None:
    population, everyone = generate(partners=30, order_lines=900)

    rest = list(partners_generate(population=population, skip={"P100001", "P100017"}))

    assert rest == [
        data for data in everyone if data.partner.partner_number not in {"P100001", "P100017"}
    ]


def test_order_lines_add_up_to_exactly_the_number_asked_for() -> None:
    population, data = generate(partners=94, order_lines=4321)

    assert sum(len(order.lines) for partner in data for order in partner.orders) == 4321
    assert sum(population.line_budgets) == 4321


def test_default_lines_scale_with_the_partners() -> None:
    assert plan_make(seed=1, partners=940, order_lines=None, today=ANCHOR).order_lines == 30_000
    assert plan_make(seed=1, partners=94, order_lines=None, today=ANCHOR).order_lines == 3_000


def test_fewer_lines_than_orders_is_refused() -> None:
    plan = plan_make(seed=1, partners=94, order_lines=100, today=ANCHOR)

    with pytest.raises(DemoShapeError, match="too few"):
        population_build(plan=plan)


def test_orders_lie_in_the_two_years_up_to_the_anchor(tenth: tuple[Population, list]) -> None:
    population, data = tenth
    days = [order.order_date for partner in data for order in partner.orders]

    assert population.plan.first_day == dt.date(2024, 5, 21)
    assert min(days) >= dt.date(2024, 5, 21)
    assert max(days) <= ANCHOR


def test_default_scale_starts_with_80_gold_and_860_silver() -> None:
    population = population_build(
        plan=plan_make(seed=2005, partners=940, order_lines=None, today=ANCHOR)
    )

    assert Counter(population.is_gold) == {True: 80, False: 860}


def test_initial_tiers_keep_the_seed_ratio_when_scaled_down(tenth: tuple[Population, list]) -> None:
    _, data = tenth

    assert Counter(partner.partner.initial_tier for partner in data) == {"gold": 8, "silver": 86}


def test_about_half_are_near_non_buyers(tenth: tuple[Population, list]) -> None:
    _, data = tenth
    period = last_complete_period(ANCHOR)

    near_non_buyers = sum(1 for partner in data if orders_in(partner, period) <= 1)

    assert 0.45 <= near_non_buyers / len(data) <= 0.6


def test_near_non_buyers_order_at_most_once_per_calendar_half_year(
    tenth: tuple[Population, list],
) -> None:
    _, data = tenth
    per_half_year = Counter(
        (partner.partner.partner_number, order.order_date.year, order.order_date.month > 6)
        for partner in data
        if partner.partner.segment is Segment.NEAR_NON_BUYER
        for order in partner.orders
        if not order.is_credit_note
    )

    assert per_half_year
    assert max(per_half_year.values()) == 1


def test_some_partners_buy_only_retail_products(tenth: tuple[Population, list]) -> None:
    _, data = tenth
    period = last_complete_period(ANCHOR)

    retail_only = [
        partner
        for partner in data
        if orders_in(partner, period) >= 2 and not buys_beyond_retail(partner, period)
    ]

    assert len(retail_only) >= 3


def test_vat_ids_are_valid_and_distinct(tenth: tuple[Population, list]) -> None:
    _, data = tenth
    vat_ids = [partner.partner.vat_id for partner in data]

    assert all(vat.is_valid(vat_id) and vat_id.startswith("DE") for vat_id in vat_ids)
    assert len(set(vat_ids)) == len(vat_ids)


def test_credit_notes_take_back_part_of_an_earlier_line(tenth: tuple[Population, list]) -> None:
    _, data = tenth
    credit_notes = 0
    for partner in data:
        for index, order in enumerate(partner.orders):
            if not order.is_credit_note:
                continue
            credit_notes += 1
            (line,) = order.lines
            assert line.net_cents < 0
            assert any(
                earlier.product == line.product and earlier.quantity >= -line.quantity
                for previous in partner.orders[:index]
                for earlier in previous.lines
            )

    assert credit_notes >= 3


def test_order_numbers_are_unique(tenth: tuple[Population, list]) -> None:
    _, data = tenth
    numbers = [order.order_number for partner in data for order in partner.orders]

    assert len(set(numbers)) == len(numbers)


def test_catalogue_has_retail_enterprise_and_service_products() -> None:
    kinds = Counter(product.kind for product in PRODUCTS)

    assert len(PRODUCTS) == 31
    assert set(kinds) == {ProductKind.RETAIL, ProductKind.ENTERPRISE, ProductKind.SERVICE}
    assert all(product.list_price > Decimal(0) for product in PRODUCTS)
    assert len({product.sku for product in PRODUCTS}) == 31


def test_default_scale_leaves_room_to_calibrate_gold_and_silver() -> None:
    """Given the default demo, when the default policy's order criteria are applied, then far
    more partners meet them than Gold (60-75) and Silver (200-250) take, with distinct revenues,
    so that revenue thresholds can cut at any count; and Gold went mostly, not only, to the
    biggest buyers."""
    _, data = generate(partners=940, seed=2005)
    period = last_complete_period(ANCHOR)
    window = months_ending(period.end, 12)
    eligible = [partner for partner in data if buys_beyond_retail(partner, period)]
    gold_candidates = [partner for partner in eligible if orders_in(partner, period) >= 4]
    silver_candidates = [partner for partner in eligible if orders_in(partner, period) >= 2]
    revenues = [revenue_cents(partner, window) for partner in silver_candidates]
    biggest = sorted(data, key=lambda partner: -revenue_cents(partner, window))[:80]
    biggest_gold = sum(1 for partner in biggest if partner.partner.initial_tier == "gold")

    assert len(gold_candidates) >= 150
    assert len(silver_candidates) >= 75 + 250 + 50
    assert len(set(revenues)) == len(revenues)
    assert 40 <= biggest_gold <= 75
