"""`channeldesk demo load` writes the end customers and contracts: exactly the generated ones,
numbered in order, consistent with the contract services, and never twice.

Runs on SQLite and on PostgreSQL (COPY).
"""

import datetime as dt

import pytest
from django.apps import apps
from django.db.models import Count, F, Q

from channeldesk.commands.demo.customers import customer_plan_build, customers_generate
from channeldesk.commands.demo.population import plan_make, population_build
from channeldesk.commands.demo.reference import PRODUCTS
from channeldesk.commands.demo.shape import customers_shape
from channeldesk.contracts.models import (
    Contract,
    ContractStatus,
    Customer,
    CustomerAssignment,
    CustomerSector,
)
from channeldesk.contracts.selectors import customer_partner_on
from channeldesk.contracts.services import contract_renew, contracts_expire
from channeldesk.partners.models import Partner
from tests.demo.factories import ANCHOR, load

pytestmark = pytest.mark.django_db

SMALL = ("--seed", "7", "--partners", "47", "--orders", "1500", "--today", ANCHOR.isoformat())


CUSTOMER_COLUMNS = (
    "customer_number", "name", "street", "postal_code", "city", "language", "sector",
    "contact_name", "contact_email",
)  # fmt: skip
ASSIGNMENT_COLUMNS = (
    "customer__customer_number", "valid_from", "valid_to", "partner__partner_number",
)  # fmt: skip
CONTRACT_COLUMNS = (
    "contract_number", "customer__customer_number", "partner__partner_number", "product__sku",
    "seats", "start_date", "end_date", "status", "renews__contract_number", "cancelled_at",
    "cancellation_reason",
)  # fmt: skip


def snapshot() -> dict[str, list[tuple[object, ...]]]:
    """Everything the customer phase writes, without the ids."""
    return {
        "customers": list(
            Customer.objects.order_by("customer_number").values_list(*CUSTOMER_COLUMNS)
        ),
        "assignments": list(
            CustomerAssignment.objects.order_by(*ASSIGNMENT_COLUMNS[:2]).values_list(
                *ASSIGNMENT_COLUMNS
            )
        ),
        "contracts": list(
            Contract.objects.order_by("contract_number").values_list(*CONTRACT_COLUMNS)
        ),
    }


# Rows of the later domains that hang on contracts, in an order their foreign keys allow.
_CONTRACT_DEPENDENTS = (
    "usage.StatementLine",
    "usage.Statement",
    "usage.RatingResult",
    "usage.RerateRequest",
    "usage.UsageEvent",
    "usage.UsagePeriod",
    "usage.Subscription",
    "licensing.Heartbeat",
    "licensing.Installation",
    "licensing.LicenceCertificate",
    "licensing.ComplianceEpisode",
    "licensing.ComplianceRecord",
    "licensing.Keycode",
)


def remove_customers() -> None:
    for label in _CONTRACT_DEPENDENTS:
        apps.get_model(label).objects.all().delete()
    Contract.objects.update(renews=None)
    Contract.objects.all().delete()
    CustomerAssignment.objects.all().delete()
    Customer.objects.all().delete()


def test_load_writes_exactly_the_generated_customers_in_partner_order() -> None:
    load(*SMALL)

    plan = plan_make(seed=7, partners=47, order_lines=1500, today=ANCHOR)
    population = population_build(plan=plan)
    generated = [
        (plan.partner_number(partner.index), customer)
        for partner in customers_generate(
            population=population, customer_plan=customer_plan_build(population=population)
        )
        for customer in partner.customers
    ]
    loaded = list(
        Customer.objects.order_by("customer_number").values_list("customer_number", "name")
    )
    first_partners = [
        spans.order_by("valid_from").first().partner.partner_number
        for spans in (customer.assignments.all() for customer in Customer.objects.order_by("id"))
    ]
    contract_count = sum(len(customer.contracts) for _, customer in generated)

    assert loaded == [
        (f"K{1_000_001 + position}", customer.name)
        for position, (_, customer) in enumerate(generated)
    ]
    assert first_partners == [number for number, _ in generated]
    assert Contract.objects.count() == contract_count


def test_contracts_are_numbered_after_their_customer_in_order_of_start() -> None:
    load(*SMALL)
    customer = Customer.objects.annotate(contracts_count=Count("contracts")).filter(
        contracts_count__gte=3
    )[0]

    contracts = list(customer.contracts.order_by("contract_number"))

    assert [contract.contract_number for contract in contracts] == [
        f"V-{customer.customer_number[1:]}-{position:02d}"
        for position in range(1, len(contracts) + 1)
    ]
    assert [contract.start_date for contract in contracts] == sorted(
        contract.start_date for contract in contracts
    )


def test_end_dates_lie_on_both_sides_of_the_anchor() -> None:
    load(*SMALL)

    shape = customers_shape(as_of=ANCHOR)
    active_ahead = Contract.objects.filter(
        status=ContractStatus.ACTIVE,
        end_date__gte=ANCHOR,
        end_date__lt=ANCHOR + dt.timedelta(days=365),
    )

    assert shape.ending_before > 100
    assert shape.ending_after > 100
    assert 0.75 <= shape.ending_after / shape.ending_before <= 1.25
    assert active_ahead.filter(end_date__lt=ANCHOR + dt.timedelta(days=61)).exists()
    assert not Contract.objects.filter(end_date__lt=ANCHOR - dt.timedelta(days=365)).exists()


def test_every_sector_is_present_and_public_authorities_are_at_least_15_percent() -> None:
    load(*SMALL)

    shape = customers_shape(as_of=ANCHOR)

    assert set(shape.by_sector) == set(CustomerSector.values)
    assert shape.by_sector[CustomerSector.PUBLIC_AUTHORITY] >= 0.15 * shape.customers


def test_renewed_contracts_have_their_follow_up_and_nothing_else_has_one() -> None:
    load(*SMALL)
    renewed = Contract.objects.filter(status=ContractStatus.RENEWED)

    follow_ups = Contract.objects.filter(renews__isnull=False)

    assert renewed.count() >= 50
    assert set(follow_ups.values_list("renews_id", flat=True)) == set(
        renewed.values_list("id", flat=True)
    )
    assert not follow_ups.exclude(customer=F("renews__customer")).exists()
    assert not follow_ups.filter(start_date__lte=F("renews__end_date")).exists()


def test_statuses_are_what_the_contract_services_would_have_left_on_the_anchor_date() -> None:
    """The expiry sweep on the anchor date finds nothing to expire; expired contracts ended
    before it; cancelled ones carry when and why."""
    load(*SMALL)

    expired_now = contracts_expire(today=ANCHOR)

    assert expired_now == 0
    assert not Contract.objects.filter(status=ContractStatus.EXPIRED, end_date__gte=ANCHOR).exists()
    cancelled = Contract.objects.filter(status=ContractStatus.CANCELLED)
    assert cancelled.exists()
    assert not cancelled.filter(Q(cancelled_at__isnull=True) | Q(cancellation_reason="")).exists()
    assert (
        not Contract.objects.exclude(status=ContractStatus.CANCELLED)
        .filter(cancelled_at__isnull=False)
        .exists()
    )


def test_contracts_are_for_enterprise_and_service_products_of_the_catalogue() -> None:
    load(*SMALL)
    contract_skus = {spec.sku for spec in PRODUCTS if spec.kind != "retail"} - {"EN-MGMT"}

    skus = set(Contract.objects.values_list("product__sku", flat=True))

    assert skus <= contract_skus
    assert Contract.objects.filter(seats__gte=10, seats__lte=2_000).count() >= (
        0.85 * Contract.objects.count()
    )


def test_each_contract_was_sold_by_whoever_looked_after_the_customer_when_it_was_booked() -> None:
    load("--seed", "7", "--partners", "94", "--today", ANCHOR.isoformat(), "--no-users")
    moved = Customer.objects.annotate(spans=Count("assignments")).filter(spans=2)

    assert moved.exists()
    assert (
        not CustomerAssignment.objects.filter(valid_to__isnull=True)
        .values("customer")
        .annotate(open_spans=Count("id"))
        .filter(open_spans__gt=1)
        .exists()
    )
    for contract in Contract.objects.filter(customer__in=moved).select_related("customer"):
        booked = min(contract.start_date, ANCHOR)
        assert contract.partner == customer_partner_on(customer=contract.customer, on=booked)


def test_an_active_demo_contract_can_be_renewed_through_the_service() -> None:
    load(*SMALL)
    contract = Contract.objects.filter(status=ContractStatus.ACTIVE, renews__isnull=True).first()

    follow_up = contract_renew(
        contract=contract,
        contract_number="V-RENEWAL-1",
        end_date=contract.end_date + dt.timedelta(days=365),
    )

    contract.refresh_from_db()
    assert contract.status == ContractStatus.RENEWED
    assert follow_up.renews == contract


def test_loading_twice_adds_no_customers_or_contracts() -> None:
    load(*SMALL)
    before = snapshot()

    output = load(*SMALL)

    assert snapshot() == before
    assert "Nothing to add" in output


def test_a_partners_only_database_gets_the_same_customers_on_the_next_load() -> None:
    load(*SMALL)
    first = snapshot()
    remove_customers()
    partners = Partner.objects.count()

    output = load(*SMALL)

    assert snapshot() == first
    assert Partner.objects.count() == partners
    assert f"Loaded {len(first['customers'])} customers" in output
    assert "partners with" not in output


def test_a_larger_load_adds_customers_for_the_new_partners_only() -> None:
    load("--seed", "7", "--partners", "20", "--orders", "600", "--today", ANCHOR.isoformat())
    first = snapshot()

    load(*SMALL)

    after = snapshot()
    assert set(first["customers"]) <= set(after["customers"])
    assert set(first["contracts"]) <= set(after["contracts"])
    assert len(after["customers"]) > len(first["customers"])
    numbers = [row[0] for row in after["customers"]]
    assert numbers == [f"K{1_000_001 + position}" for position in range(len(numbers))]


def test_rows_loaded_with_explicit_ids_leave_room_for_new_customers_and_contracts() -> None:
    load(*SMALL)
    existing = Contract.objects.order_by("-pk").first()

    customer = Customer.objects.create(customer_number="K-NEW-1", name="Neu GmbH")
    contract = Contract.objects.create(
        contract_number="V-NEW-1",
        customer=customer,
        partner=existing.partner,
        product=existing.product,
        seats=10,
        start_date=ANCHOR,
        end_date=ANCHOR + dt.timedelta(days=364),
    )

    assert customer.pk > Customer.objects.exclude(pk=customer.pk).order_by("-pk").first().pk
    assert contract.pk > existing.pk


def test_load_reports_customers_and_contracts() -> None:
    output = load(*SMALL)

    assert f"Loaded {Customer.objects.count():,} customers" in output
    assert "public authorities" in output
    assert "ending in the year before 2026-05-20" in output
