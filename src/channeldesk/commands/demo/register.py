"""The partner register of the demo: German company names, addresses, VAT IDs, contacts.

Names combine an owner's surname (Faker `de_DE`, seeded per partner) or a made-up brand with a
trade and a legal form; addresses use real German cities with their real postal-code ranges and
dialling codes; e-mail addresses live under the reserved `.example` domain, so a demo never mails
anybody.
"""

from __future__ import annotations

import datetime as dt
import functools
import random
import unicodedata
from dataclasses import dataclass
from itertools import accumulate
from typing import TYPE_CHECKING

from stdnum.iso7064 import mod_11_10

from channeldesk.commands.demo.population import (
    INITIAL_STATUS_FROM,
    DemoPlan,
    PartnerProfile,
    Population,
    Segment,
    random_stream,
    weighted_index,
)
from channeldesk.commands.demo.reference import (
    BRANDS,
    CITIES,
    CONTACT_ROLES,
    LEGAL_FORMS,
    NAME_PATTERNS,
    City,
)

if TYPE_CHECKING:
    from faker import Faker


@dataclass(frozen=True, slots=True)
class PartnerRecord:
    """A partner as the register holds it, with one contact person and the initial tier."""

    index: int
    partner_number: str
    name: str
    street: str
    postal_code: str
    city: str
    vat_id: str
    email: str
    phone: str
    language: str
    partner_since: dt.date
    contact_name: str
    contact_role: str
    contact_email: str
    segment: Segment
    initial_tier: str


def vat_id_make(*, serial: int) -> str:
    """A valid German VAT ID: 'DE', eight digits (first not zero) and the ISO 7064 MOD 11,10 check
    digit the Bundeszentralamt für Steuern uses."""
    digits = str(10_000_000 + serial % 90_000_000)
    return f"DE{digits}{mod_11_10.calc_check_digit(digits)}"


_CITY_WEIGHTS = list(accumulate(city.weight for city in CITIES))
_LEGAL_FORM_WEIGHTS = list(accumulate(weight for _, weight in LEGAL_FORMS))


@functools.lru_cache(maxsize=16_384)
def ascii_slug(*, text: str) -> str:
    """'Müller & Söhne' -> 'mueller-soehne': German transliteration for e-mail addresses.

    Cached: the names come from Faker's finite lists, and customers repeat them often.
    """
    for umlaut, spelled in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss")):
        text = text.lower().replace(umlaut, spelled)
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "-".join("".join(c if c.isalnum() else " " for c in text).split())


def partner_record_make(
    *, population: Population, profile: PartnerProfile, faker: Faker, number: str
) -> PartnerRecord:
    plan = population.plan
    rng = random_stream(plan=plan, index=profile.index, purpose="register")
    faker.seed_instance(f"channeldesk-demo:{plan.seed}:{profile.index}:faker")
    city = CITIES[_city_draw(rng=rng)]
    owner, partner_name = faker.last_name(), faker.last_name()
    brand = BRANDS[rng.randrange(len(BRANDS))]
    pattern = NAME_PATTERNS[rng.randrange(len(NAME_PATTERNS))]
    legal_form = LEGAL_FORMS[weighted_index(rng=rng, cumulative=_LEGAL_FORM_WEIGHTS)][0]
    name = pattern.format(
        last=owner, other=partner_name, brand=brand, city=city.name, form=legal_form
    )
    trade_name = brand if "{brand}" in pattern else owner
    domain = f"{ascii_slug(text=trade_name)}-{ascii_slug(text=city.name)}"
    contact_first, contact_last = faker.first_name(), faker.last_name()
    since_first, since_last = dt.date(1991, 1, 1).toordinal(), INITIAL_STATUS_FROM.toordinal() - 1
    return PartnerRecord(
        index=profile.index,
        partner_number=number,
        name=name,
        street=f"{faker.street_name()} {rng.randint(1, 180)}",
        postal_code=f"{rng.randint(*city.postal_codes):05d}",
        city=city.name,
        vat_id=_vat_for(plan=plan, index=profile.index),
        email=f"info@{domain}.example",
        phone=_phone(rng=rng, city=city),
        language="en" if rng.random() < 0.03 else "de",
        partner_since=dt.date.fromordinal(rng.randint(since_first, since_last)),
        contact_name=f"{contact_first} {contact_last}",
        contact_role=CONTACT_ROLES[rng.randrange(len(CONTACT_ROLES))],
        contact_email=f"{ascii_slug(text=contact_first)}.{ascii_slug(text=contact_last)}@{domain}.example",
        segment=profile.segment,
        initial_tier=population.initial_tier(profile.index),
    )


def partner_city_index(*, plan: DemoPlan, index: int) -> int:
    """The partner's city (an index into `CITIES`) without generating the rest of its register
    entry: the first draw of its register stream, as `partner_record_make` draws it. The
    customers of a partner sit around its city."""
    return _city_draw(rng=random_stream(plan=plan, index=index, purpose="register"))


def _city_draw(*, rng: random.Random) -> int:
    return weighted_index(rng=rng, cumulative=_CITY_WEIGHTS)


def _phone(*, rng: random.Random, city: City) -> str:
    """A number in the city's dialling area, ten digits after the country code as in Germany."""
    digits = max(5, 10 - len(city.area_code))
    subscriber = rng.randint(2 * 10 ** (digits - 1), 10**digits - 1)
    return f"+49 {city.area_code} {subscriber}"


def _vat_for(*, plan: DemoPlan, index: int) -> str:
    """Distinct VAT IDs: the index through a seeded permutation of the 90 million serials
    (7,919,317 shares no factor with 90,000,000, so the mapping is one-to-one)."""
    offset = random_stream(plan=plan, index=-1, purpose="vat").randrange(90_000_000)
    return vat_id_make(serial=(index * 7_919_317 + offset) % 90_000_000)
