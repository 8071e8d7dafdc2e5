"""The generated end customers and contracts, without a database: deterministic, spread over the
two years around the anchor date, shaped for the reminder flow (R10) and the compliance report
(R12: public authorities well represented, seats that make sense per product).
"""

import datetime as dt
from collections import Counter

import pytest

from channeldesk.catalog.models import ProductKind
from channeldesk.commands.demo.customers import (
    CustomerPlan,
    CustomerRecord,
    PartnerCustomers,
    customer_plan_build,
    customers_generate,
)
from channeldesk.commands.demo.population import Population, Segment, plan_make, population_build
from channeldesk.commands.demo.reference import CITIES, PRODUCTS
from channeldesk.commands.demo.regions import REGIONS
from channeldesk.commands.demo.register import partner_city_index
from channeldesk.commands.demo.subscriptions import WORKSTATIONS_PER_UNIT
from channeldesk.contracts.models import ContractStatus, CustomerSector
from tests.demo.factories import ANCHOR

Generated = tuple[Population, CustomerPlan, list[PartnerCustomers]]


def generate(*, partners: int, seed: int = 7, today: dt.date = ANCHOR) -> Generated:
    plan = plan_make(seed=seed, partners=partners, order_lines=None, today=today)
    population = population_build(plan=plan)
    customer_plan = customer_plan_build(population=population)
    data = list(customers_generate(population=population, customer_plan=customer_plan))
    return population, customer_plan, data


def customers_of(data: list[PartnerCustomers]) -> list[CustomerRecord]:
    return [customer for partner in data for customer in partner.customers]


@pytest.fixture(scope="module")
def tenth() -> Generated:
    """94 partners: the default scale's ratios at a tenth of its size."""
    return generate(partners=94)


@pytest.fixture(scope="module")
def default_scale() -> Generated:
    return generate(partners=940, seed=2005)


def test_same_seed_and_anchor_give_identical_customers() -> None:
    assert generate(partners=30) == generate(partners=30)


def test_skipping_partners_leaves_the_others_unchanged(tenth: Generated) -> None:
    population, customer_plan, everyone = tenth
    skipped = {everyone[0].index, everyone[3].index}

    rest = list(
        customers_generate(population=population, customer_plan=customer_plan, skip=skipped)
    )

    assert rest == [partner for partner in everyone if partner.index not in skipped]


def test_customers_follow_the_partners_activity(default_scale: Generated) -> None:
    """Given the default demo, then Gold partners (the biggest buyers before) have many
    customers, near non-buyers few or none, and partners that only sell boxes none."""
    population, customer_plan, _ = default_scale
    counts: dict[str, list[int]] = {}
    for profile, count in zip(population.profiles, customer_plan.counts, strict=True):
        counts.setdefault(profile.segment, []).append(count)
    gold = [
        c for c, is_gold in zip(customer_plan.counts, population.is_gold, strict=True) if is_gold
    ]
    silver = [
        c
        for c, is_gold in zip(customer_plan.counts, population.is_gold, strict=True)
        if not is_gold
    ]

    assert 3_000 <= customer_plan.total <= 5_000
    assert set(counts[Segment.RETAIL_ONLY]) == {0}
    assert sum(1 for count in counts[Segment.NEAR_NON_BUYER] if count == 0) >= 0.8 * len(
        counts[Segment.NEAR_NON_BUYER]
    )
    assert max(counts[Segment.NEAR_NON_BUYER]) <= 3
    assert sum(gold) / len(gold) > 4 * sum(silver) / len(silver)


def test_every_sector_is_present_with_public_authorities_well_represented(
    tenth: Generated,
) -> None:
    _, _, data = tenth

    sectors = Counter(customer.sector for customer in customers_of(data))

    assert set(sectors) == set(CustomerSector)
    assert sectors[CustomerSector.PUBLIC_AUTHORITY] >= 0.15 * sectors.total()
    assert sectors.most_common(1)[0][0] == CustomerSector.PUBLIC_AUTHORITY


def test_contracts_end_on_every_day_of_the_year_before_and_after_the_anchor(
    default_scale: Generated,
) -> None:
    """Given the default demo, then contracts end on every day of the two years around the
    anchor, about as many after it as before, and on every day of the coming year an active
    contract ends: the reminder flow has work every day."""
    _, _, data = default_scale
    contracts = [contract for customer in customers_of(data) for contract in customer.contracts]
    ending = Counter(contract.end_date for contract in contracts)
    active_ending = Counter(
        contract.end_date for contract in contracts if contract.status == ContractStatus.ACTIVE
    )
    before = [ending[ANCHOR - dt.timedelta(days=days)] for days in range(1, 366)]
    after = [ending[ANCHOR + dt.timedelta(days=days)] for days in range(365)]

    assert 8_000 <= len(contracts) <= 15_000
    assert min(before) >= 1
    assert min(after) >= 1
    assert 0.9 <= sum(after) / sum(before) <= 1.1
    assert all(active_ending[ANCHOR + dt.timedelta(days=days)] for days in range(365))


def test_statuses_agree_with_the_anchor_date(tenth: Generated) -> None:
    """Nothing active has ended (the expiry sweep would have nothing to do on the anchor date),
    nothing expired before its end, and every cancellation has a day and a reason."""
    _, _, data = tenth
    contracts = [contract for customer in customers_of(data) for contract in customer.contracts]
    by_status = Counter(contract.status for contract in contracts)

    assert set(by_status) == set(ContractStatus)
    for contract in contracts:
        assert contract.start_date <= contract.end_date
        if contract.status == ContractStatus.ACTIVE:
            assert contract.end_date >= ANCHOR
        if contract.status == ContractStatus.EXPIRED:
            assert contract.end_date < ANCHOR
        if contract.status == ContractStatus.CANCELLED:
            assert contract.cancelled_on is not None
            assert contract.start_date <= contract.cancelled_on <= ANCHOR
            assert contract.cancellation_reason
        else:
            assert (contract.cancelled_on, contract.cancellation_reason) == (None, "")


def test_renewed_contracts_and_only_they_have_a_follow_up(tenth: Generated) -> None:
    _, _, data = tenth
    renewals = 0
    for customer in customers_of(data):
        contracts = customer.contracts
        followed = Counter(c.renews for c in contracts if c.renews is not None)
        for position, contract in enumerate(contracts):
            assert followed[position] == (1 if contract.status == ContractStatus.RENEWED else 0)
            if contract.renews is not None:
                renewals += 1
                renewed = contracts[contract.renews]
                assert contract.renews < position
                assert contract.start_date > renewed.end_date
                assert contract.start_date <= max(ANCHOR, renewed.end_date + dt.timedelta(days=1))

    assert renewals >= 100


def test_contracts_are_for_enterprise_and_service_products_with_sensible_seats(
    tenth: Generated,
) -> None:
    _, _, data = tenth
    contracts = [contract for customer in customers_of(data) for contract in customer.contracts]

    for contract in contracts:
        product = PRODUCTS[contract.product]
        assert product.kind in {ProductKind.ENTERPRISE, ProductKind.SERVICE}
        assert product.sku != "EN-MGMT"
        if product.sku in WORKSTATIONS_PER_UNIT:
            assert 1 <= contract.seats <= 40
        else:
            assert 10 <= contract.seats <= 2_000
            assert contract.seats % 5 == 0
    assert {PRODUCTS[c.product].kind for c in contracts} == {
        ProductKind.ENTERPRISE,
        ProductKind.SERVICE,
    }


def test_public_authorities_are_bigger_than_small_businesses(tenth: Generated) -> None:
    _, _, data = tenth
    endpoint_seats: dict[str, list[int]] = {}
    for customer in customers_of(data):
        for contract in customer.contracts:
            if PRODUCTS[contract.product].sku in {"EN-EP-STD", "EN-EP-ADV", "MS-AV"}:
                endpoint_seats.setdefault(customer.sector, []).append(contract.seats)

    def median(sector: str) -> int:
        seats = sorted(endpoint_seats[sector])
        return seats[len(seats) // 2]

    assert median(CustomerSector.PUBLIC_AUTHORITY) > 2 * median(CustomerSector.SERVICES)


def test_customers_sit_in_their_partners_region(tenth: Generated) -> None:
    population, _, data = tenth

    for partner in data:
        city = CITIES[partner_city_index(plan=population.plan, index=partner.index)]
        towns = {city.name} | {district.town for district in REGIONS[city.name]}
        assert {customer.city for customer in partner.customers} <= towns


def test_contacts_are_people_at_reserved_example_domains(tenth: Generated) -> None:
    _, _, data = tenth
    customers = customers_of(data)
    languages = Counter(customer.language for customer in customers)

    assert all(customer.contact_name.count(" ") >= 1 for customer in customers)
    assert all(
        customer.contact_email.endswith(("@example.com", "@example.org")) for customer in customers
    )
    assert set(languages) == {"de", "en"}
    assert languages["de"] >= 0.9 * len(customers)


def test_one_partner_never_has_two_customers_of_the_same_name(tenth: Generated) -> None:
    _, _, data = tenth

    for partner in data:
        names = [customer.name for customer in partner.customers]
        assert len(set(names)) == len(names)


def test_some_customers_moved_to_another_partner_in_the_same_city(
    default_scale: Generated,
) -> None:
    """A move closes the first span on the day the next one opens; contracts booked from then on
    were sold by the new partner, the ones before by the old one."""
    _, customer_plan, data = default_scale
    moved = [customer for customer in customers_of(data) if len(customer.assignments) > 1]

    assert 0.02 * customer_plan.total <= len(moved) <= 0.08 * customer_plan.total
    for customer in moved:
        before, after = customer.assignments
        assert before.valid_to == after.valid_from <= ANCHOR
        assert after.valid_to is None
        assert after.partner != before.partner
        assert customer_plan.cities[after.partner] == customer_plan.cities[before.partner]
        for contract in customer.contracts:
            booked = min(contract.start_date, ANCHOR)
            expected = after.partner if booked >= after.valid_from else before.partner
            assert contract.partner == expected
