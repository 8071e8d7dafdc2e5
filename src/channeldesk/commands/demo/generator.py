"""Deterministic synthetic demo data shaped by the seed (R1, R2, R5, R6), one partner at a time.

1. `population.population_build` draws every partner's profile, counts its orders, decides the
   initial Gold and Silver status and shares the order lines out (small: a few numbers each).
2. `partners_generate` then yields one partner with its register entry (`register`) and its
   orders (`orders`) at a time, so orders and lines are never all held in memory.

Every random draw comes from streams seeded with the seed and the partner's index only, so a
partner's data never depends on which partners were generated, or skipped, before it: the same
seed, anchor date and scale always give the same data, and a load can resume anywhere.
"""

from __future__ import annotations

from collections.abc import Container, Iterator
from dataclasses import dataclass

from channeldesk.commands.demo.orders import OrderRecord, orders_generate
from channeldesk.commands.demo.population import Population, schedule_draw, slices_make
from channeldesk.commands.demo.register import PartnerRecord, partner_record_make


@dataclass(frozen=True, slots=True)
class PartnerData:
    partner: PartnerRecord
    orders: tuple[OrderRecord, ...]


def partners_generate(
    *, population: Population, skip: Container[str] = frozenset()
) -> Iterator[PartnerData]:
    """Yield each partner of the population with its orders, in partner-number order.

    Partners whose number is in `skip` (already loaded) are not generated at all.
    """
    from faker import Faker  # noqa: PLC0415 (a tenth of a second: not at every command's start)

    plan = population.plan
    faker = Faker("de_DE")
    slices = slices_make(plan=plan)
    for profile in population.profiles:
        partner_number = plan.partner_number(profile.index)
        if partner_number in skip:
            continue
        record = partner_record_make(
            population=population, profile=profile, faker=faker, number=partner_number
        )
        orders = orders_generate(
            population=population,
            profile=profile,
            schedule=schedule_draw(plan=plan, profile=profile, slices=slices),
            number=partner_number,
        )
        yield PartnerData(partner=record, orders=orders)
