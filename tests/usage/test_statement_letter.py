"""The statement letter: exact texts in both languages, one render read back."""

from __future__ import annotations

import io
from pathlib import Path

import pdfplumber
import pytest

from channeldesk.contracts.models import Customer
from channeldesk.partners.models import Partner
from channeldesk.usage.statements import statement_letter, statement_pdf
from tests.conftest import Personas
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
