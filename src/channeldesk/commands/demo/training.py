"""Demo data of the training domain, loaded by `channeldesk demo load` after the contracts.

The training company's records for the demo partners, drawn per partner from its own random
stream, so the same plan always gives the same records:

- most partners Gold under the previous programme attended the two-day course (some long ago,
  so it has expired or expires within 60 days; some have only booked it; about one in eight
  never went);
- key accounts and regular buyers often took the two-day or the half-day course, occasional
  buyers now and then the half-day one; a few records are no-shows.

So under the `default` policy, which asks Gold for the two-day and Silver for the half-day
course, training is a real factor: some partners whose orders qualify for Gold stay Silver
because the course is missing. Idempotent like the rest of the demo: records are keyed by
record id and participants by e-mail, so a second load adds nothing. Set-based: one insert per
table, whatever the scale.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass

from channeldesk.commands.demo.population import DemoPlan, Population, Segment, population_build
from channeldesk.commands.demo.register import ascii_slug
from channeldesk.partners.models import Partner
from channeldesk.tiers.defaults import GOLD_COURSE, SILVER_COURSE
from channeldesk.tiers.hotlines import caller_numbers_refresh
from channeldesk.training.models import Course, Enrollment, EnrollmentStatus, Participant
from channeldesk.training.validity import months_after

WRITE_BATCH = 5_000
FIRST_NAMES = (
    "Anna", "Ben", "Clara", "David", "Elif", "Felix", "Greta", "Hannah", "Jonas", "Katrin",
    "Lukas", "Mara", "Nils", "Oskar", "Paula", "Sven", "Tanja", "Ufuk", "Vera", "Yusuf",
)  # fmt: skip
LAST_NAMES = (
    "Albers", "Brandt", "Demir", "Engel", "Fischer", "Graf", "Hoffmann", "Kaya", "Lange",
    "Meyer", "Novak", "Peters", "Schulz", "Vogel", "Weber", "Zimmermann",
)  # fmt: skip
# Chance of the two-day and of the half-day course per segment (non-Gold partners).
COURSE_CHANCES: dict[Segment, tuple[float, float]] = {
    Segment.KEY_ACCOUNT: (0.65, 0.25),
    Segment.REGULAR: (0.40, 0.40),
    Segment.OCCASIONAL: (0.05, 0.35),
    Segment.RETAIL_ONLY: (0.0, 0.10),
    Segment.NEAR_NON_BUYER: (0.0, 0.03),
}


@dataclass(frozen=True)
class DemoRecord:
    record_id: str
    partner_index: int
    person: int
    course: str
    session_date: dt.date
    status: str


def demo_training_load(*, plan: DemoPlan, write: Callable[[str], None]) -> None:
    """Load the training demo data for the plan; `write` reports a line to the console."""
    population = population_build(plan=plan)
    numbers = [plan.partner_number(index) for index in range(plan.partners)]
    partners = dict(
        Partner.objects.filter(partner_number__in=numbers).values_list("partner_number", "id")
    )
    courses = {course.code: course for course in Course.objects.all()}
    if GOLD_COURSE not in courses or SILVER_COURSE not in courses:
        write("Training: the courses are missing (run `channeldesk migrate`); nothing loaded.")
        return
    records = [
        record
        for index in range(plan.partners)
        if plan.partner_number(index) in partners
        for record in partner_records(plan=plan, population=population, index=index)
    ]
    participants = _participants_ensure(plan=plan, records=records, partners=partners)
    added = _enrollments_insert(
        plan=plan, records=records, partners=partners, participants=participants, courses=courses
    )
    write(
        f"Training: {added:,} records of the training company added "
        f"({len(records):,} in the demo, {len(participants):,} participants)."
    )
    # The phone system finds callers by number from now on (the job refreshes it daily).
    write(f"Support: {caller_numbers_refresh():,} caller numbers ready for call routing.")


def partner_records(*, plan: DemoPlan, population: Population, index: int) -> list[DemoRecord]:
    """The training company's records of one partner."""
    rng = random.Random(f"channeldesk-demo:{plan.seed}:{index}:training")
    segment = population.profiles[index].segment
    number = plan.partner_number(index)
    if population.is_gold[index]:
        return _gold_records(rng=rng, today=plan.today, number=number, index=index)
    two_day, half_day = COURSE_CHANCES[segment]
    draw = rng.random()
    if draw < two_day:
        course = GOLD_COURSE
    elif draw < two_day + half_day:
        course = SILVER_COURSE
    else:
        return []
    return _attendances(rng=rng, today=plan.today, number=number, index=index, course=course)


def _gold_records(
    *, rng: random.Random, today: dt.date, number: str, index: int
) -> list[DemoRecord]:
    draw = rng.random()
    if draw < 0.78:  # trained, valid (a few expire within the next 60 days)
        return _attendances(rng=rng, today=today, number=number, index=index, course=GOLD_COURSE)
    if draw < 0.84:  # went long ago: expired; booked again
        return [
            DemoRecord(
                f"NA-{number}-1", index, 0, GOLD_COURSE, _months_ago(today, 27), "completed"
            ),
            DemoRecord(
                f"NA-{number}-2",
                index,
                0,
                GOLD_COURSE,
                today + dt.timedelta(days=rng.randint(10, 60)),
                EnrollmentStatus.BOOKED,
            ),
        ]
    if draw < 0.88:  # sent someone to the half-day course only
        return _attendances(rng=rng, today=today, number=number, index=index, course=SILVER_COURSE)
    if draw < 0.92:  # booked, then did not come
        session = today - dt.timedelta(days=rng.randint(20, 200))
        return [
            DemoRecord(f"NA-{number}-1", index, 0, GOLD_COURSE, session, EnrollmentStatus.NO_SHOW)
        ]
    return []  # never went


def _attendances(
    *, rng: random.Random, today: dt.date, number: str, index: int, course: str
) -> list[DemoRecord]:
    """One or two people attended; about one partner in ten attended 22–23 months ago, so the
    completion expires within the next 60 days; one in ten also booked someone who did not
    come."""
    people = 1 if rng.random() < 0.7 else 2
    records = []
    for person in range(people):
        months = 22 if rng.random() < 0.1 else rng.randint(1, 20)
        session = _months_ago(today, months) + dt.timedelta(days=rng.randint(0, 27))
        session = min(session, today - dt.timedelta(days=1))
        records.append(
            DemoRecord(f"NA-{number}-{person + 1}", index, person, course, session, "completed")
        )
    if rng.random() < 0.1:
        session = today - dt.timedelta(days=rng.randint(20, 300))
        records.append(
            DemoRecord(f"NA-{number}-{people + 1}", index, people, course, session, "no_show")
        )
    return records


def _months_ago(today: dt.date, months: int) -> dt.date:
    return months_after(today, -months)


def _person(plan: DemoPlan, index: int, person: int) -> tuple[str, str]:
    """The name and address of a partner's person; a partner's people have distinct first names,
    so their addresses never collide."""
    rng = random.Random(f"channeldesk-demo:{plan.seed}:{index}:participants")
    first = FIRST_NAMES[(rng.randrange(len(FIRST_NAMES)) + person) % len(FIRST_NAMES)]
    last = LAST_NAMES[
        random.Random(f"channeldesk-demo:{plan.seed}:{index}:{person}").randrange(len(LAST_NAMES))
    ]
    slug = ascii_slug(text=f"{first}.{last}").replace("-", ".")
    return f"{first} {last}", f"{slug}@{plan.partner_number(index).lower()}.partner.example"


def _participants_ensure(
    *, plan: DemoPlan, records: list[DemoRecord], partners: dict[str, int]
) -> dict[tuple[int, int], int]:
    """(partner index, person) → participant id, creating the ones missing."""
    wanted: dict[tuple[int, str], tuple[str, tuple[int, int]]] = {}
    for record in records:
        name, email = _person(plan, record.partner_index, record.person)
        partner_id = partners[plan.partner_number(record.partner_index)]
        wanted[(partner_id, email)] = (name, (record.partner_index, record.person))
    Participant.objects.bulk_create(
        [
            Participant(partner_id=partner_id, email=email, name=name)
            for (partner_id, email), (name, _key) in wanted.items()
        ],
        batch_size=WRITE_BATCH,
        ignore_conflicts=True,
    )
    stored = Participant.objects.filter(partner_id__in={key[0] for key in wanted}).values_list(
        "id", "partner_id", "email"
    )
    return {
        wanted[(partner_id, email)][1]: pk
        for pk, partner_id, email in stored
        if (partner_id, email) in wanted
    }


def _enrollments_insert(
    *,
    plan: DemoPlan,
    records: list[DemoRecord],
    partners: dict[str, int],
    participants: dict[tuple[int, int], int],
    courses: dict[str, Course],
) -> int:
    before = Enrollment.objects.filter(record_id__startswith="NA-").count()
    Enrollment.objects.bulk_create(
        [
            Enrollment(
                record_id=record.record_id,
                partner_id=partners[plan.partner_number(record.partner_index)],
                participant_id=participants[(record.partner_index, record.person)],
                course=courses[record.course],
                session_date=record.session_date,
                status=record.status,
                valid_until=months_after(
                    record.session_date, courses[record.course].validity_months
                )
                if record.status == EnrollmentStatus.COMPLETED
                else None,
            )
            for record in records
        ],
        batch_size=WRITE_BATCH,
        ignore_conflicts=True,
    )
    return Enrollment.objects.filter(record_id__startswith="NA-").count() - before
