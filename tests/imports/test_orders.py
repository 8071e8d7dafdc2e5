"""The `orders` import: lines grouped into orders, credit notes, replacement, set-based writes."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from channeldesk.catalog.imports import ORDERS_IMPORTER
from channeldesk.catalog.models import Order, OrderLine
from channeldesk.partners.models import Partner
from tests.factories import PartnerFactory, ProductFactory
from tests.imports.helpers import (
    DATA,
    database_state,
    excel_csv,
    problem_lines,
    refused_problems,
    reimported,
    run_import,
)

pytestmark = pytest.mark.django_db

HEADER = "order_number;partner_number;order_date;sku;quantity;net_amount\n"
EXCEL_FILE = HEADER + (
    "SO-1;P-1001;15.03.2026;AV-ENT-1Y;10;9.876,00\n"
    "SO-2;P-1002;16.03.2026;MSS-USER;1.000;3.562,50\n"
    "SO-1;P-1001;15.03.2026;AV-BOX;2;59,85\n"
    "GS-1;P-1001;20.03.2026;AV-BOX;-1;-29,93\n"
)


@pytest.fixture
def catalogue() -> None:
    """The partners and products the order files name."""
    for number in ("P-1001", "P-1002"):
        PartnerFactory(partner_number=number)
    for sku in ("AV-BOX", "AV-ENT-1Y", "MSS-USER"):
        ProductFactory(sku=sku)


def lines_of(order_number: str) -> list[tuple[object, ...]]:
    return list(
        OrderLine.objects.filter(order__order_number=order_number)
        .order_by("line_number")
        .values_list(
            "line_number",
            "partner__partner_number",
            "order_date",
            "product__sku",
            "quantity",
            "net_amount",
        )
    )


@pytest.mark.usefixtures("catalogue")
def test_german_excel_file_groups_lines_into_orders_in_file_order() -> None:
    # Given order lines as German Excel saves them, the lines of SO-1 not next to each other
    report = run_import(ORDERS_IMPORTER, excel_csv(EXCEL_FILE), name="orders.csv")
    # Then three orders exist, each with its lines numbered in file order
    assert (report.accepted, report.rows, report.created) == (True, 4, 3)
    march_15 = dt.date(2026, 3, 15)
    assert lines_of("SO-1") == [
        (1, "P-1001", march_15, "AV-ENT-1Y", 10, Decimal("9876.00")),
        (2, "P-1001", march_15, "AV-BOX", 2, Decimal("59.85")),
    ]
    assert lines_of("SO-2") == [
        (1, "P-1002", dt.date(2026, 3, 16), "MSS-USER", 1000, Decimal("3562.50"))
    ]


@pytest.mark.usefixtures("catalogue")
def test_a_credit_note_imports_as_an_order_with_negative_lines() -> None:
    run_import(ORDERS_IMPORTER, excel_csv(EXCEL_FILE))
    credit_note = Order.objects.get(order_number="GS-1")
    assert credit_note.order_date == dt.date(2026, 3, 20)
    assert lines_of("GS-1") == [
        (1, "P-1001", dt.date(2026, 3, 20), "AV-BOX", -1, Decimal("-29.93"))
    ]


@pytest.mark.usefixtures("catalogue")
def test_plain_utf8_file_imports() -> None:
    report = run_import(ORDERS_IMPORTER, (DATA / "orders_utf8.csv").read_bytes())
    assert (report.accepted, report.created, report.delimiter) == (True, 3, ",")
    assert lines_of("SO-2") == [
        (1, "P-1002", dt.date(2026, 3, 16), "MSS-USER", 100, Decimal("356.25"))
    ]


@pytest.mark.usefixtures("catalogue")
def test_the_same_order_number_at_two_partners_is_two_orders() -> None:
    content = excel_csv(
        HEADER
        + "SO-9;P-1001;15.03.2026;AV-BOX;1;10,00\n"
        + "SO-9;P-1002;15.03.2026;AV-BOX;2;20,00\n"
    )
    report = run_import(ORDERS_IMPORTER, content)
    assert report.created == 2
    assert sorted(Order.objects.values_list("partner__partner_number", "order_number")) == [
        ("P-1001", "SO-9"),
        ("P-1002", "SO-9"),
    ]


@pytest.mark.usefixtures("catalogue")
def test_unknown_partner_numbers_and_skus_are_row_errors_and_nothing_is_written() -> None:
    content = excel_csv(
        EXCEL_FILE
        + "SO-3;P-9999;17.03.2026;AV-BOX;1;10,00\n"
        + "SO-4;P-1001;17.03.2026;NO-SUCH-SKU;1;10,00\n"
    )
    assert refused_problems(ORDERS_IMPORTER, content, name="orders.csv") == [
        "orders.csv:6: partner_number: unknown partner number P-9999; import the partner first",
        "orders.csv:7: sku: unknown SKU NO-SUCH-SKU; import the product first",
    ]


@pytest.mark.usefixtures("catalogue")
def test_lines_of_one_order_with_different_dates_are_refused() -> None:
    content = excel_csv(
        EXCEL_FILE.replace("SO-1;P-1001;15.03.2026;AV-BOX", "SO-1;P-1001;16.03.2026;AV-BOX")
    )
    assert refused_problems(ORDERS_IMPORTER, content, name="orders.csv") == [
        "orders.csv:4: order_date: order SO-1 of partner P-1001 is dated 2026-03-15 on line 2; "
        "all lines of an order need the same date"
    ]


@pytest.mark.usefixtures("catalogue")
def test_file_and_database_problems_are_reported_together() -> None:
    content = excel_csv(
        HEADER + "SO-1;P-9999;15.03.2026;AV-BOX;x;1,00\nSO-2;P-8888;15.03.2026;AV-BOX;1;1,00\n"
    )
    assert refused_problems(ORDERS_IMPORTER, content, name="orders.csv") == [
        "orders.csv:2: quantity: 'x' is not a number (write e.g. 1.234,50 or 1234.50)",
        "orders.csv:3: partner_number: unknown partner number P-8888; import the partner first",
    ]


@pytest.mark.usefixtures("catalogue")
def test_reimporting_the_same_file_changes_nothing() -> None:
    # Given the file was imported once, when the same file comes again,
    report = reimported(ORDERS_IMPORTER, excel_csv(EXCEL_FILE))
    # then every order is unchanged, imported_at included.
    assert (report.created, report.updated, report.unchanged) == (0, 0, 3)


@pytest.mark.usefixtures("catalogue")
def test_an_order_with_changed_lines_is_replaced_and_reported_as_updated() -> None:
    # Given the file was imported once
    run_import(ORDERS_IMPORTER, excel_csv(EXCEL_FILE))
    others = [lines_of("SO-2"), lines_of("GS-1")]
    order_id = Order.objects.get(order_number="SO-1").pk
    # When the ERP changed SO-1: one line fewer, a new date, another amount
    changed = HEADER + (
        "SO-1;P-1001;18.03.2026;AV-ENT-1Y;12;11.851,20\n"
        "SO-2;P-1002;16.03.2026;MSS-USER;1.000;3.562,50\n"
        "GS-1;P-1001;20.03.2026;AV-BOX;-1;-29,93\n"
    )
    report = run_import(ORDERS_IMPORTER, excel_csv(changed))
    # Then SO-1 was replaced as a whole, and the other orders are untouched
    assert (report.created, report.updated, report.unchanged) == (0, 1, 2)
    assert Order.objects.values_list("pk", "order_date").get(order_number="SO-1") == (
        order_id,
        dt.date(2026, 3, 18),
    )
    assert lines_of("SO-1") == [
        (1, "P-1001", dt.date(2026, 3, 18), "AV-ENT-1Y", 12, Decimal("11851.20"))
    ]
    assert [lines_of("SO-2"), lines_of("GS-1")] == others
    assert Order.objects.count() == 3


@pytest.mark.usefixtures("catalogue")
def test_dry_run_checks_against_the_database_and_writes_nothing() -> None:
    before = database_state()
    report = run_import(ORDERS_IMPORTER, excel_csv(EXCEL_FILE), dry_run=True)
    assert (report.accepted, report.created) == (True, 3)
    assert database_state() == before
    refused = run_import(
        ORDERS_IMPORTER, excel_csv(EXCEL_FILE.replace("P-1002", "P-7")), dry_run=True
    )
    assert problem_lines(refused) == [
        "file.csv:3: partner_number: unknown partner number P-7; import the partner first"
    ]


def test_a_large_file_is_written_with_a_fixed_number_of_lookups() -> None:
    # Given 50 partners, 4 products and 200 stored orders of 2 lines each
    partners = [PartnerFactory(partner_number=f"P-{index:03d}") for index in range(50)]
    skus = [ProductFactory(sku=f"SKU-{index}").sku for index in range(4)]
    rows = [
        f"SO-{order};{partners[order % 50].partner_number};15.03.2026;{skus[line]};1;{order},00"
        for order in range(200)
        for line in range(2)
    ]
    run_import(ORDERS_IMPORTER, excel_csv(HEADER + "\n".join(rows) + "\n"))
    # When the file comes again with every order changed
    changed = [row.replace(";1;", ";2;") for row in rows]
    with CaptureQueriesContext(connection) as queries:
        report = run_import(ORDERS_IMPORTER, excel_csv(HEADER + "\n".join(changed) + "\n"))
    # Then the staged lines were checked and counted with a fixed number of SELECTs (one per
    # check: dates, partners, SKUs; one per count: stored, all, replaced), not one per row
    selects = [
        query["sql"]
        for query in queries
        if query["sql"].startswith("SELECT") and "set_config" not in query["sql"]
    ]
    assert (report.updated, len(selects)) == (200, 6)
    # 400 lines in about 30 statements (staging, checks, writes, the audit entry, clean-up):
    # nowhere near one statement per line
    assert len(queries) < 40
    assert Partner.objects.count() == 50
    assert set(OrderLine.objects.values_list("quantity", flat=True)) == {2}


@pytest.mark.usefixtures("catalogue")
@time_machine.travel(dt.datetime(2026, 12, 7, 10, tzinfo=ZoneInfo("Europe/Berlin")))
def test_orders_dated_more_than_a_year_ahead_are_refused_and_nothing_is_written() -> None:
    # Given today is 7 December 2026: 7 December 2027 is the latest order date
    content = excel_csv(
        HEADER + "SO-9;P-1001;07.12.2027;AV-BOX;1;10,00\nSO-8;P-1001;08.12.2027;AV-BOX;1;10,00\n"
    )

    assert refused_problems(ORDERS_IMPORTER, content, name="orders.csv") == [
        "orders.csv:3: order_date: 2027-12-08 is more than a year ahead (latest 2027-12-07)"
    ]


@pytest.mark.usefixtures("catalogue")
@pytest.mark.parametrize(
    ("line", "message"),
    [
        (
            "SO-9;P-1001;15.03.2026;AV-BOX;0;10,00",
            "quantity: the quantity is 0; leave the line out or give the quantity",
        ),
        (
            "SO-9;P-1001;15.03.2026;AV-BOX;2;-10,00",
            "net_amount: -10.00 has the other sign than "
            "the quantity 2; an order line is positive in both",
        ),
        (
            "GS-9;P-1001;15.03.2026;AV-BOX;-2;10,00",
            "net_amount: 10.00 has the other sign than "
            "the quantity -2; a credit line is negative in both",
        ),
        (
            "SO-9;P-1001;15.03.2026;AV-BOX;1;999999999999999999999999999,99",
            "net_amount: Decimal "
            "input should have no more than 14 digits in total (found "
            "'999999999999999999999999999,99')",
        ),
    ],
)
def test_order_lines_that_cannot_be_right_are_row_errors(line: str, message: str) -> None:
    content = excel_csv(HEADER + line + "\n")

    assert refused_problems(ORDERS_IMPORTER, content, name="orders.csv") == [
        f"orders.csv:2: {message}"
    ]


@pytest.mark.usefixtures("catalogue")
def test_a_free_line_with_amount_zero_goes_with_either_sign() -> None:
    content = excel_csv(
        HEADER + "SO-9;P-1001;15.03.2026;AV-BOX;1;0,00\nGS-9;P-1001;16.03.2026;AV-BOX;-1;0,00\n"
    )

    report = run_import(ORDERS_IMPORTER, content, name="orders.csv")

    assert report.problems == []
    assert report.created == 2


@pytest.mark.usefixtures("catalogue")
def test_new_and_replaced_orders_in_one_file_each_get_their_own_lines() -> None:
    # Given the file was imported once
    run_import(ORDERS_IMPORTER, excel_csv(EXCEL_FILE))
    stored = dict(Order.objects.values_list("order_number", "pk"))
    others = lines_of("SO-2")
    # When a file replaces SO-1, keeps SO-2, and brings two new orders, one of them numbered
    # like a stored order of another partner, the lines of the new orders interleaved
    mixed = HEADER + (
        "SO-9;P-1002;21.03.2026;AV-BOX;3;89,79\n"
        "SO-1;P-1001;15.03.2026;AV-BOX;5;149,63\n"
        "SO-1;P-1002;22.03.2026;MSS-USER;4;14,25\n"
        "SO-9;P-1002;21.03.2026;AV-ENT-1Y;1;987,60\n"
        "SO-2;P-1002;16.03.2026;MSS-USER;1.000;3.562,50\n"
        "GS-1;P-1001;20.03.2026;AV-BOX;-1;-29,93\n"
    )
    report = run_import(ORDERS_IMPORTER, excel_csv(mixed))
    # Then the new orders got new ids in file order, SO-1 of P-1001 kept its id, and every
    # order holds exactly its own lines
    assert (report.created, report.updated, report.unchanged) == (2, 1, 2)
    new_nine = Order.objects.get(order_number="SO-9").pk
    new_one = Order.objects.get(order_number="SO-1", partner__partner_number="P-1002").pk
    assert max(stored.values()) < new_nine < new_one
    assert (
        Order.objects.get(order_number="SO-1", partner__partner_number="P-1001").pk
        == (stored["SO-1"])
    )
    march_15, march_21 = dt.date(2026, 3, 15), dt.date(2026, 3, 21)
    assert lines_of("SO-9") == [
        (1, "P-1002", march_21, "AV-BOX", 3, Decimal("89.79")),
        (2, "P-1002", march_21, "AV-ENT-1Y", 1, Decimal("987.60")),
    ]
    assert list(
        OrderLine.objects.filter(order_id=stored["SO-1"]).values_list(
            "line_number", "order_date", "product__sku", "quantity", "net_amount"
        )
    ) == [(1, march_15, "AV-BOX", 5, Decimal("149.63"))]
    assert list(
        OrderLine.objects.filter(order_id=new_one).values_list(
            "line_number", "order_date", "product__sku", "quantity", "net_amount"
        )
    ) == [(1, dt.date(2026, 3, 22), "MSS-USER", 4, Decimal("14.25"))]
    assert lines_of("SO-2") == others
    assert (Order.objects.count(), OrderLine.objects.count()) == (5, 6)
