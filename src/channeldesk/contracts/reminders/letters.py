"""The renewal letter to the end customer, composed through `channeldesk.documents`.

The letter names the partner who looks after the customer on the day it is sent; the address
follows DIN 5008 (at most six lines, each within the window's 80 mm): the company name, split
over two lines when it is too wide, the contact person, street, postal code and city, and the
country in capitals for an address abroad.
"""

from __future__ import annotations

from babel import Locale

from channeldesk.contracts.models import Customer
from channeldesk.contracts.reminders.occasion import Occasion
from channeldesk.core.formatting import babel_locale
from channeldesk.documents.composition import letter_compose
from channeldesk.documents.letters import (
    MAX_ADDRESS_LINES,
    Contact,
    InformationBlock,
    Letter,
    address_name_lines,
)

HOME_COUNTRY = "DE"
# The letter kind: its template is registered by `ContractsConfig.ready()` (the files are
# `templates/contracts/letters/renewal.<de|en>.txt`), and the archive files the letter under it.
LETTER_TEMPLATE = "renewal"


def renewal_letter(*, occasion: Occasion) -> Letter:
    """The customer's renewal letter, in the customer's language, dated on the day of sending."""
    contract = occasion.contract
    customer = contract.customer
    partner = occasion.partner_or_problem()
    context: dict[str, object] = {
        "contract_number": contract.contract_number,
        "product": contract.product.name_for(customer.language),
        "seats": contract.seats,
        "end_date": contract.end_date,
        "partner_name": partner.name,
        "partner_phone": partner.phone,
        "partner_email": partner.email,
    }
    if customer.contact_name:
        context["contact_name"] = customer.contact_name
    if occasion.today > occasion.reminder.due_on:
        # A catch-up after downtime: "in good time" would be wrong, say how little is left.
        context["sent_late"] = True
        context["days_left"] = max((contract.end_date - occasion.today).days, 0)
    return letter_compose(
        template=LETTER_TEMPLATE,
        language=customer.language,
        recipient=recipient_lines(customer=customer, language=customer.language),
        information=InformationBlock(
            date=occasion.today,
            our_reference=contract.contract_number,
            contact=Contact(name=partner.name, phone=partner.phone, email=partner.email),
        ),
        context=context,
    )


def recipient_lines(*, customer: Customer, language: str) -> tuple[str, ...]:
    """The address field's lines; the contact person is left out when there are too many."""
    place = f"{customer.postal_code} {customer.city}".strip()
    country = _country_line(customer.country, language=language)
    head = address_name_lines(customer.name)
    tail = [line for line in (customer.street, place, country) if line]
    contact = [customer.contact_name] if customer.contact_name else []
    if len(head) + len(contact) + len(tail) > MAX_ADDRESS_LINES:
        contact = []
    return (*head, *contact, *tail)


def _country_line(country: str, *, language: str) -> str:
    """Nothing at home; abroad, the country's name in capitals (DIN 5008), in the letter's
    language."""
    if not country or country.upper() == HOME_COUNTRY:
        return ""
    territories = Locale.parse(babel_locale(language)).territories
    return str(territories.get(country.upper(), country)).upper()
