"""The demo partners' end customers with their contracts, one partner at a time (R10, docs/demo.md).

1. `customer_plan_build` decides, for every partner of the population, how many customers it
   looks after and where it sits (a few numbers each, like the population itself). The number
   follows the partner's activity: its expected enterprise and service lines per year, so Gold
   and big Silver buyers have dozens, occasional buyers a few, near non-buyers mostly none, and
   partners that sell only boxed retail products none at all.
2. `customers_generate` then yields one partner's customers at a time: German organisations of
   the sector mix (`sectors`) in the partner's city or a district around it (`regions`), each
   with its contracts (`subscriptions`) and the partner who looked after it when.
3. A few customers moved to another reseller in the same city during the two years before the
   anchor date: their first span of care ends on the day of the move and the new partner's span
   starts there. Each contract was sold by whoever looked after the customer when it was booked.

Like the partners, every draw comes from streams seeded with the seed and the partner's index,
so the same plan always gives the same customers, and loading can skip partners whose customers
are already there. Customer and contract numbers are not drawn here: the loader hands them out
in order, as the ERP would (`customer_loader`).
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Container, Iterator, Sequence
from dataclasses import dataclass
from itertools import accumulate
from typing import TYPE_CHECKING, NamedTuple

from channeldesk.commands.demo.population import (
    PartnerProfile,
    Population,
    poisson,
    random_stream,
    weighted_index,
)
from channeldesk.commands.demo.reference import CITIES, LEGAL_FORMS, City
from channeldesk.commands.demo.regions import CITY_STATE_OFFICES, REGIONS, District
from channeldesk.commands.demo.register import ascii_slug, partner_city_index
from channeldesk.commands.demo.sectors import (
    CANCELLATION_REASONS,
    DEPARTMENTS,
    DIRECTIONS,
    FAMOUS,
    PARKS,
    SAINTS,
    SECTORS,
    SectorShape,
)
from channeldesk.commands.demo.subscriptions import Term, subscriptions_draw
from channeldesk.contracts.models import ContractStatus, CustomerSector

if TYPE_CHECKING:
    from faker import Faker

# Customers per expected enterprise or service line a year: about 4,000 at the default scale.
CUSTOMERS_PER_ACTIVITY = 0.25
DISTRICT_SHARE = 0.35
NAME_ATTEMPTS = 5
# Half of the town halls and district offices buy per department, a third of the size.
DEPARTMENT_CHANCE = 0.5
DEPARTMENT_SIZE = 0.35
MOVE_CHANCE = 0.05
MOVE_WINDOW_DAYS = 730
MIN_WORKSTATIONS, MAX_WORKSTATIONS = 10, 2_000
# How long before its first contract in the data a customer came to its partner (days).
CUSTOMER_SINCE_DAYS = (0, 1_500)


class AssignmentRecord(NamedTuple):
    """A span of care: the partner (its index) looks after the customer from `valid_from` until
    `valid_to` (exclusive; None: still)."""

    partner: int
    valid_from: dt.date
    valid_to: dt.date | None


class ContractRecord(NamedTuple):
    """One contract; `partner` is the selling partner's index, `renews` the position of the
    renewed contract among the customer's contracts (which are in order of their start)."""

    partner: int
    product: int
    seats: int
    start_date: dt.date
    end_date: dt.date
    status: ContractStatus
    renews: int | None
    cancelled_on: dt.date | None
    cancellation_reason: str


@dataclass(frozen=True, slots=True)
class CustomerRecord:
    """A customer as the register holds it, with its spans of care and its contracts; the
    loader gives it its number."""

    name: str
    street: str
    postal_code: str
    city: str
    language: str
    sector: CustomerSector
    contact_name: str
    contact_email: str
    assignments: tuple[AssignmentRecord, ...]
    contracts: tuple[ContractRecord, ...]


@dataclass(frozen=True, slots=True)
class PartnerCustomers:
    """The customers a partner brought in (some may have moved on since)."""

    index: int
    customers: tuple[CustomerRecord, ...]


@dataclass(frozen=True)
class CustomerPlan:
    """How many customers each partner brought in, where its customers sit, and who could take
    one over: the partners with customers, per city, in index order."""

    counts: tuple[int, ...]
    cities: tuple[int, ...]
    sellers_by_city: dict[int, tuple[int, ...]]

    @property
    def total(self) -> int:
        return sum(self.counts)


def customer_plan_build(*, population: Population) -> CustomerPlan:
    """Every partner's number of customers and its city."""
    plan = population.plan
    counts = tuple(_customer_count(population=population, profile=p) for p in population.profiles)
    cities = tuple(partner_city_index(plan=plan, index=index) for index in range(plan.partners))
    sellers: dict[int, list[int]] = {}
    for index, count in enumerate(counts):
        if count:
            sellers.setdefault(cities[index], []).append(index)
    return CustomerPlan(
        counts=counts,
        cities=cities,
        sellers_by_city={city: tuple(indexes) for city, indexes in sellers.items()},
    )


def activity(*, profile: PartnerProfile) -> float:
    """Expected enterprise and service order lines per year: what brings in end customers."""
    contract_share = (profile.mix[1] + profile.mix[2]) / sum(profile.mix)
    return 2 * profile.rate * profile.basket * contract_share


def _customer_count(*, population: Population, profile: PartnerProfile) -> int:
    mean = CUSTOMERS_PER_ACTIVITY * activity(profile=profile)
    if mean <= 0:
        return 0
    rng = random_stream(plan=population.plan, index=profile.index, purpose="customer-count")
    return poisson(rng=rng, mean=mean)


def customers_generate(
    *, population: Population, customer_plan: CustomerPlan, skip: Container[int] = frozenset()
) -> Iterator[PartnerCustomers]:
    """Yield each partner's customers, in partner order; partners without customers and those
    whose index is in `skip` (customers already loaded) are left out."""
    from faker import Faker  # noqa: PLC0415 (a tenth of a second: not at every command's start)

    faker = Faker("de_DE")
    for index, count in enumerate(customer_plan.counts):
        if count and index not in skip:
            maker = _CustomerMaker(
                population=population, customer_plan=customer_plan, index=index, faker=faker
            )
            yield PartnerCustomers(
                index=index, customers=tuple(maker.customer() for _ in range(count))
            )


_SECTOR_LIST = tuple(SECTORS)
_SECTOR_WEIGHTS = tuple(accumulate(shape.weight for shape in SECTORS.values()))
_NAME_WEIGHTS = {
    sector: tuple(accumulate(name.weight for name in shape.names))
    for sector, shape in SECTORS.items()
}
_LEGAL_FORM_WEIGHTS = tuple(accumulate(weight for _, weight in LEGAL_FORMS))


class _Place(NamedTuple):
    town: str
    postal_code: str
    district: District


class _Identity(NamedTuple):
    """Who a customer is: sector, name, place, and its size relative to the sector's median."""

    sector: CustomerSector
    name: str
    place: _Place
    size: float


class _CustomerMaker:
    """Makes one partner's customers from the partner's own random streams."""

    def __init__(
        self, *, population: Population, customer_plan: CustomerPlan, index: int, faker: Faker
    ) -> None:
        plan = population.plan
        self.plan, self.customer_plan, self.index, self.faker = plan, customer_plan, index, faker
        self.rng = random_stream(plan=plan, index=index, purpose="customers")
        faker.seed_instance(f"channeldesk-demo:{plan.seed}:{index}:customers-faker")
        profile = population.profiles[index]
        self.managed_share = profile.mix[2] / ((profile.mix[1] + profile.mix[2]) or 1.0)
        # Bigger resellers serve somewhat bigger customers.
        self.size_factor = profile.size**0.3
        self.city: City = CITIES[customer_plan.cities[index]]
        self.names: set[str] = set()

    def customer(self) -> CustomerRecord:
        rng = self.rng
        identity = self._identity()
        shape = SECTORS[identity.sector]
        first_name, last_name = self.faker.first_name(), self.faker.last_name()
        chains = subscriptions_draw(
            rng=rng,
            anchor=self.plan.today,
            workstations=self._workstations(shape=shape, size=identity.size),
            managed=rng.random() < self.managed_share,
        )
        assignments = self._assignments(chains=chains)
        return CustomerRecord(
            name=identity.name,
            street=f"{self.faker.street_name()} {rng.randint(1, 120)}",
            postal_code=identity.place.postal_code,
            city=identity.place.town,
            language="en" if rng.random() < shape.english else "de",
            sector=identity.sector,
            contact_name=f"{first_name} {last_name}",
            contact_email=(
                f"{ascii_slug(text=first_name)}.{ascii_slug(text=last_name)}@{shape.domain}"
            ),
            assignments=assignments,
            contracts=_contracts(
                rng=rng,
                chains=chains,
                assignments=assignments,
                today=self.plan.today,
            ),
        )

    def _identity(self) -> _Identity:
        """Sector, name and place; drawn again (a few times at most) when the partner already
        has a customer of that name: one reseller listing "Caritasverband Essen e.V." twice
        would look like a duplicate, not like two customers."""
        identity = self._identity_draw()
        for _ in range(NAME_ATTEMPTS):
            if identity.name not in self.names:
                break
            identity = self._identity_draw()
        self.names.add(identity.name)
        return identity

    def _identity_draw(self) -> _Identity:
        rng = self.rng
        sector = _SECTOR_LIST[weighted_index(rng=rng, cumulative=_SECTOR_WEIGHTS)]
        shape = SECTORS[sector]
        pattern = shape.names[weighted_index(rng=rng, cumulative=_NAME_WEIGHTS[sector])]
        place = self._place(in_district="{district}" in pattern.pattern)
        name, size = self._name(pattern=pattern.pattern, place=place)
        return _Identity(sector=sector, name=name, place=place, size=pattern.size * size)

    def _place(self, *, in_district: bool) -> _Place:
        """The partner's city, or the seat of a district around it."""
        rng = self.rng
        regions = REGIONS[self.city.name]
        district = regions[rng.randrange(len(regions))]
        if in_district or rng.random() < DISTRICT_SHARE:
            return _Place(district.town, district.postal_code, district)
        return _Place(self.city.name, f"{rng.randint(*self.city.postal_codes):05d}", district)

    def _name(self, *, pattern: str, place: _Place) -> tuple[str, float]:
        """The name, and how much smaller than the whole organisation the customer is: a town
        hall's or district office's department buys for itself now and then."""
        rng = self.rng
        department = None
        if ("{office}" in pattern or "{district}" in pattern) and rng.random() < DEPARTMENT_CHANCE:
            department = DEPARTMENTS[rng.randrange(len(DEPARTMENTS))]
        fields = {
            "town": place.town,
            "district": place.district.authority,
            "office": self._office(place=place, department=department),
            "form": LEGAL_FORMS[weighted_index(rng=rng, cumulative=_LEGAL_FORM_WEIGHTS)][0],
            "famous": FAMOUS[rng.randrange(len(FAMOUS))],
            "saint": SAINTS[rng.randrange(len(SAINTS))],
            "direction": DIRECTIONS[rng.randrange(len(DIRECTIONS))],
            "park": PARKS[rng.randrange(len(PARKS))],
            "last": self.faker.last_name() if "{last}" in pattern else "",
            "other": self.faker.last_name() if "{other}" in pattern else "",
        }
        name = pattern.format(**fields)
        if department is None:
            return name, 1.0
        if "{district}" in pattern:
            name = f"{name} – {department}"
        return name, DEPARTMENT_SIZE

    def _office(self, *, place: _Place, department: str | None) -> str:
        """The town hall, or in a city state one of the district offices (already a part of the
        city's administration, so named without a department)."""
        offices = CITY_STATE_OFFICES.get(place.town)
        if offices:
            return offices[self.rng.randrange(len(offices))]
        return (
            f"Stadt {place.town} – {department}" if department else f"Stadtverwaltung {place.town}"
        )

    def _workstations(self, *, shape: SectorShape, size: float) -> float:
        median = shape.median_workstations * size * self.size_factor
        drawn = median * self.rng.lognormvariate(0.0, shape.spread)
        return max(MIN_WORKSTATIONS, min(MAX_WORKSTATIONS, drawn))

    def _assignments(self, *, chains: Sequence[tuple[Term, ...]]) -> tuple[AssignmentRecord, ...]:
        """Looked after by this partner since some time before its first contract; a few moved
        to another partner in the same city (one with customers of its own)."""
        rng, today = self.rng, self.plan.today
        first_start = min(chain[0].start_date for chain in chains)
        since = first_start - dt.timedelta(days=rng.randint(*CUSTOMER_SINCE_DAYS))
        stay = (AssignmentRecord(self.index, since, None),)
        if rng.random() >= MOVE_CHANCE:
            return stay
        sellers = self.customer_plan.sellers_by_city[self.customer_plan.cities[self.index]]
        others = [seller for seller in sellers if seller != self.index]
        earliest = max(since + dt.timedelta(days=1), today - dt.timedelta(days=MOVE_WINDOW_DAYS))
        if not others or earliest > today:
            return stay
        moved = earliest + dt.timedelta(days=rng.randrange((today - earliest).days + 1))
        new_partner = others[rng.randrange(len(others))]
        return (
            AssignmentRecord(self.index, since, moved),
            AssignmentRecord(new_partner, moved, None),
        )


def _contracts(
    *,
    rng: random.Random,
    chains: Sequence[tuple[Term, ...]],
    assignments: Sequence[AssignmentRecord],
    today: dt.date,
) -> tuple[ContractRecord, ...]:
    """The customer's contracts in order of their start, each renewal linked to the contract it
    renews and sold by whoever looked after the customer when it was booked."""
    ordered = sorted(
        (
            (term.start_date, chain_number, step)
            for chain_number, chain in enumerate(chains)
            for step, term in enumerate(chain)
        ),
    )
    position = {(chain, step): at for at, (_, chain, step) in enumerate(ordered)}
    records = []
    for _, chain_number, step in ordered:
        term = chains[chain_number][step]
        booked = min(term.start_date, today)
        records.append(
            ContractRecord(
                partner=_partner_on(assignments=assignments, day=booked),
                product=term.product,
                seats=term.seats,
                start_date=term.start_date,
                end_date=term.end_date,
                status=term.status,
                renews=position[chain_number, step - 1] if step else None,
                cancelled_on=term.cancelled_on,
                cancellation_reason=(
                    CANCELLATION_REASONS[rng.randrange(len(CANCELLATION_REASONS))]
                    if term.cancelled_on
                    else ""
                ),
            )
        )
    return tuple(records)


def _partner_on(*, assignments: Sequence[AssignmentRecord], day: dt.date) -> int:
    for assignment in reversed(assignments):
        if assignment.valid_from <= day:
            return assignment.partner
    return assignments[0].partner
