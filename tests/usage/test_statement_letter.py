"""The statement letter and its CSVs: exact texts in both languages, one render read back,
the CSV from the stored lines only, and no cell that runs as a formula."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pdfplumber
import pytest
from django.utils import translation

from channeldesk.contracts.models import Customer
from channeldesk.core.exports import GERMAN_EXCEL, PLAIN_CSV
from channeldesk.partners.models import Partner
from channeldesk.usage.models import StatementLine, UsageEvent
from channeldesk.usage.statements import (
    CSV_COLUMNS,
    statement_csv_lines,
    statement_evidence_lines,
    statement_evidence_rows,
    statement_letter,
    statement_pdf,
)
from tests.personas import Personas
from tests.usage.worlds import october_statements

pytestmark = pytest.mark.django_db


def test_partner_statement_in_german_lists_units_prices_and_discount(
    personas: Personas,
) -> None:
    statement = october_statements(personas.partner_a, personas.partner_b)["A-1000"]
    Partner.objects.filter(pk=personas.partner_a.pk).update(language="de")
    statement.partner.refresh_from_db()

    customer = Customer.objects.get(customer_number="K-UA")

    letter = statement_letter(statement=statement)

    assert letter.subject == ("Abrechnung Managed Services 1. Oktober 2026 bis 31. Oktober 2026")
    assert letter.paragraphs[1] == (
        f"V-SUB-A · {customer.name}\n"
        "3 Nutzertage × 0,50\xa0€ abzüglich 25\xa0% Partnerrabatt = 1,13\xa0€"
    )
    assert letter.paragraphs[2] == "Summe netto: 1,13\xa0€ (zu Listenpreisen 1,50\xa0€)"
    assert letter.information.our_reference == "US-2026-10-A-1000"


def test_customer_statement_in_english_shows_list_prices_only(personas: Personas) -> None:
    statement = october_statements(personas.partner_a, personas.partner_b)["A-1000"]
    customer = Customer.objects.get(customer_number="K-UA")
    customer.language = "en"
    customer.save()

    letter = statement_letter(statement=statement, customer=customer)

    assert letter.subject == "Usage record for managed services 1 October 2026 to 31 October 2026"
    assert letter.recipient[0] == customer.name
    assert letter.paragraphs[1] == (f"V-SUB-A · {customer.name}\n3 user-days × €0.50 = €1.50")
    assert letter.paragraphs[2] == "Net total: €1.50"


def test_statement_pdf_is_stored_once_and_reads_back(personas: Personas, media_root: Path) -> None:
    statement = october_statements(personas.partner_a, personas.partner_b)["A-1000"]

    first = statement_pdf(statement=statement)
    again = statement_pdf(statement=statement)

    assert first.pk == again.pk
    with pdfplumber.open(io.BytesIO(first.file.read())) as pdf:
        text = pdf.pages[0].extract_text()
    assert "US-2026-10-A-1000" in text


def _csv_rows(text: str, *, delimiter: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff")), delimiter=delimiter))


def test_statement_csv_in_german_excel_has_the_pdf_lines_with_names_and_german_numbers(
    personas: Personas,
) -> None:
    # Given partner A's October statement (3 user-days at 0.50 €, Silver 25 % off)
    statement = october_statements(personas.partner_a, personas.partner_b)["A-1000"]
    customer = Customer.objects.get(customer_number="K-UA")

    # When a German reader downloads its CSV
    text = "".join(statement_csv_lines(statement=statement, export=GERMAN_EXCEL))

    # Then it is German Excel with the letter's line: names, not codes
    rows = _csv_rows(text, delimiter=";")
    assert text.startswith("\ufeff")
    with translation.override("de"):
        assert rows[0] == [str(column.label) for column in CSV_COLUMNS]
    assert rows[1:] == [
        [
            "US-2026-10-A-1000",
            "1",
            "K-UA",
            customer.name,
            "V-SUB-A",
            "10.2026",
            "nein",
            "Nutzung",
            "Nutzertag",
            "01.10.2026",
            "02.10.2026",
            "3",
            "0,50",
            "Silber-Partner",
            "25,00",
            "1,50",
            "1,13",
        ]
    ]


def test_statement_csv_in_english_is_plain_with_iso_dates(personas: Personas) -> None:
    statement = october_statements(personas.partner_a, personas.partner_b)["A-1000"]

    text = "".join(statement_csv_lines(statement=statement, export=PLAIN_CSV))

    rows = _csv_rows(text, delimiter=",")
    assert rows[0][:5] == [
        "Statement",
        "Position",
        "Customer number",
        "Customer",
        "Contract number",
    ]
    assert rows[1][5:] == [
        "2026-10",
        "no",
        "usage",
        "user-day",
        "2026-10-01",
        "2026-10-02",
        "3",
        "0.50",
        "Silver Partner",
        "25.00",
        "1.50",
        "1.13",
    ]


def test_customer_statement_csv_leaves_out_what_its_pdf_leaves_out(personas: Personas) -> None:
    statement = october_statements(personas.partner_a, personas.partner_b)["A-1000"]
    customer = Customer.objects.get(customer_number="K-UA")

    text = "".join(statement_csv_lines(statement=statement, export=PLAIN_CSV, customer=customer))

    rows = _csv_rows(text, delimiter=",")
    assert "Tier" not in rows[0]
    assert "Net amount (EUR)" not in rows[0]
    assert rows[1][-1] == "1.50"  # the list amount, as on the customer's PDF


def test_renaming_the_customer_after_issue_changes_neither_the_csv_nor_the_letter(
    personas: Personas,
) -> None:
    # Given an issued statement, its CSV and its letter
    statement = october_statements(personas.partner_a, personas.partner_b)["A-1000"]
    customer = Customer.objects.get(customer_number="K-UA")
    issued_name = customer.name
    csv_before = "".join(statement_csv_lines(statement=statement, export=GERMAN_EXCEL))
    letter_before = statement_letter(statement=statement, customer=customer)

    # When the customer is renamed afterwards
    Customer.objects.filter(pk=customer.pk).update(name="=Umbenannt AG")
    customer.refresh_from_db()

    # Then the CSV and the letter still print the name as issued
    assert "".join(statement_csv_lines(statement=statement, export=GERMAN_EXCEL)) == csv_before
    letter_after = statement_letter(statement=statement, customer=customer)
    assert letter_after.paragraphs == letter_before.paragraphs
    assert issued_name in letter_after.paragraphs[1]
    assert "Umbenannt" not in csv_before + "".join(letter_after.paragraphs)


def test_an_issued_customer_name_that_looks_like_a_formula_is_neutralised(
    personas: Personas,
) -> None:
    statement = october_statements(personas.partner_a, personas.partner_b)["A-1000"]
    StatementLine.objects.filter(statement=statement).update(customer_name='=HYPERLINK("x")')

    rows = _csv_rows(
        "".join(statement_csv_lines(statement=statement, export=GERMAN_EXCEL)), delimiter=";"
    )

    assert rows[1][3] == '\'=HYPERLINK("x")'


def test_evidence_user_keys_from_the_platform_cannot_run_as_formulas(personas: Personas) -> None:
    # Given a statement whose evidence has a user key the usage platform chose as a formula
    statement = october_statements(personas.partner_a, personas.partner_b)["A-1000"]
    UsageEvent.objects.filter(event_id="a2").update(user_key="=cmd|' /C calc'!A0")

    # When the evidence is exported, in either dialect
    german = _csv_rows(
        "".join(statement_evidence_lines(statement=statement, export=GERMAN_EXCEL)),
        delimiter=";",
    )
    plain = _csv_rows(
        "".join(statement_evidence_lines(statement=statement, export=PLAIN_CSV)), delimiter=","
    )
    legacy = list(statement_evidence_rows(statement=statement))

    # Then the key is text with a leading apostrophe, and dates follow the dialect
    assert german[1:] == [
        ["V-SUB-A", "K-UA", "10.2026", "01.10.2026", "'=cmd|' /C calc'!A0", "1"],
        ["V-SUB-A", "K-UA", "10.2026", "01.10.2026", "ua1", "1"],
        ["V-SUB-A", "K-UA", "10.2026", "02.10.2026", "ua1", "1"],
    ]
    assert plain[1] == ["V-SUB-A", "K-UA", "2026-10", "2026-10-01", "'=cmd|' /C calc'!A0", "1"]
    assert list(legacy[1]) == plain[1]
