"""Rules every import kind gets from the framework, not from its own row model."""

from __future__ import annotations

from typing import Any

import pytest

from channeldesk.catalog.imports import ORDERS_IMPORTER, PRODUCTS_IMPORTER
from channeldesk.contracts.imports import CONTRACTS_IMPORTER, CUSTOMERS_IMPORTER
from channeldesk.contracts.models import Contract, Customer
from channeldesk.core.importing import Importer
from channeldesk.partners.imports import PARTNERS_IMPORTER
from channeldesk.training.imports import TRAINING_IMPORTER
from channeldesk.training.models import Enrollment
from tests.imports.helpers import database_state, excel_utf8_csv, problem_lines, run_import

pytestmark = pytest.mark.django_db

IMPORTERS = [
    PARTNERS_IMPORTER,
    PRODUCTS_IMPORTER,
    ORDERS_IMPORTER,
    CUSTOMERS_IMPORTER,
    CONTRACTS_IMPORTER,
    TRAINING_IMPORTER,
]


def _everything() -> dict[str, Any]:
    return {
        **database_state(),
        "customers": list(Customer.objects.values()),
        "contracts": list(Contract.objects.values()),
        "enrollments": list(Enrollment.objects.values()),
    }


def _file(importer: Importer[Any], first_cell: str) -> bytes:
    columns = list(importer.row_model.columns())
    row = [first_cell] + ["x"] * (len(columns) - 1)
    return excel_utf8_csv(";".join(columns) + "\n" + ";".join(row) + "\n")


@pytest.mark.parametrize("importer", IMPORTERS, ids=lambda importer: importer.name)
@pytest.mark.parametrize("cell", ["A\x00B", "\x1b[2J"])
def test_every_import_kind_refuses_control_characters_and_writes_nothing(
    importer: Importer[Any], cell: str
) -> None:
    # Given a file of the kind with a control character in its first cell
    before = _everything()
    column = next(iter(importer.row_model.columns()))
    code = f"U+{ord(next(char for char in cell if ord(char) < 32)):04X}"

    # When it is imported
    report = run_import(importer, _file(importer, cell), name="file.csv")

    # Then the cell is a problem with its line and column, and nothing was written
    assert f"file.csv:2: {column}: contains the control character {code}; remove it" in (
        problem_lines(report)
    )
    assert not report.accepted
    assert _everything() == before


@pytest.mark.parametrize("importer", IMPORTERS, ids=lambda importer: importer.name)
def test_every_import_kind_refuses_invalid_utf8_after_a_byte_order_mark(
    importer: Importer[Any],
) -> None:
    before = _everything()
    content = _file(importer, "x").replace(b"\nx", b"\n\xff", 1)

    report = run_import(importer, content, name="file.csv")

    assert problem_lines(report)[0].startswith("file.csv:2: byte 0xff at byte offset ")
    assert _everything() == before
