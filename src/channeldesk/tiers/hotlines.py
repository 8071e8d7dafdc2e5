"""Support hotlines per tier (R8, R9): which number a partner calls, and routing a call.

Support is free and direct, with a different number per tier. Each `Tier` holds its hotline
(E.164), opening hours, call-back time and the priority the phone system queues the call with.

- `hotline_for_partner(partner=, on=)` is what every message to a partner uses (tier notices;
  renewal and compliance messages and the portal are meant to use it too): the hotline of the
  tier the partner holds on that day, or the entry tier's line of the policy in force.
- `support_route(partner_number=, caller=, on=)` answers the phone system and the support desk:
  the partner, its current tier, the line and the priority. An unknown caller gets the entry
  tier's line. Callers are found in `CallerNumber`, the partners' and contacts' numbers in
  E.164, rebuilt by `caller_numbers_refresh` (daily, and after the demo load): a number typed
  into the register today routes by partner number until the next refresh.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import FilteredRelation, Q, QuerySet, Subquery

from channeldesk.core.errors import DomainError
from channeldesk.partners.models import Contact, Partner
from channeldesk.tiers.models import CallerNumber, PolicyStatus, Tier, TierAssignment

HOME_REGION = "DE"


@dataclass(frozen=True)
class Hotline:
    """A tier's support line and its service level."""

    tier_code: str
    tier_name_de: str
    tier_name_en: str
    phone: str  # E.164, or "" when the tier has none
    hours_de: str
    hours_en: str
    callback_minutes: int | None
    priority: int

    def display(self, language: str) -> str:
        """The number as a reader writes it: national in German (`089 12345678`), international
        otherwise (`+49 89 12345678`)."""
        return phone_display(self.phone, language=language)

    def hours(self, language: str) -> str:
        return self.hours_de if language.startswith("de") else self.hours_en

    def tier_name(self, language: str) -> str:
        return self.tier_name_de if language.startswith("de") else self.tier_name_en

    def as_dict(self) -> dict[str, Any]:
        return {
            "number": self.phone,
            "display_de": self.display("de"),
            "display_en": self.display("en"),
            "hours_de": self.hours_de,
            "hours_en": self.hours_en,
            "callback_minutes": self.callback_minutes,
        }


def phone_display(phone: str, *, language: str) -> str:
    if not phone:
        return ""
    import phonenumbers  # noqa: PLC0415 - loaded at the first number, not at every start

    try:
        number = phonenumbers.parse(phone, HOME_REGION)
    except phonenumbers.NumberParseException:
        return phone
    style = (
        phonenumbers.PhoneNumberFormat.NATIONAL
        if language.startswith("de") and number.country_code == 49
        else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
    return phonenumbers.format_number(number, style)


_TIER_FIELDS = (
    "code",
    "name_de",
    "name_en",
    "hotline_phone",
    "hotline_hours_de",
    "hotline_hours_en",
    "callback_minutes",
    "support_priority",
)


def _hotline(values: tuple[Any, ...]) -> Hotline:
    return Hotline(*values)


def hotline_of_tier(*, tier: Tier) -> Hotline:
    return _hotline(tuple(getattr(tier, name) for name in _TIER_FIELDS))


def entry_hotline(*, on: dt.date) -> Hotline | None:
    """The entry tier's line of the policy in force (for callers nobody knows), in one query."""
    row = (
        Tier.objects.filter(policy__status=PolicyStatus.PUBLISHED, policy__effective_from__lte=on)
        .order_by("-policy__effective_from", "-policy__version", "rank")
        .values_list(*_TIER_FIELDS)
        .first()
    )
    return _hotline(row) if row else None


def _assigned_hotline(partner_id: int, on: dt.date) -> Hotline | None:
    row = (
        TierAssignment.objects.filter(partner_id=partner_id, valid_from__lte=on)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=on))
        .values_list(*(f"tier__{name}" for name in _TIER_FIELDS))
        .first()
    )
    return _hotline(row) if row else None


def hotline_for_partner(*, partner: Partner | int, on: dt.date) -> Hotline | None:
    """The hotline a partner calls on `on`: its current tier's, else the entry tier's line."""
    partner_id = partner if isinstance(partner, int) else partner.pk
    return _assigned_hotline(partner_id, on) or entry_hotline(on=on)


@dataclass(frozen=True)
class SupportRoute:
    """The answer to the phone system: who calls, in which tier, which line, which priority."""

    matched_by: str | None  # "partner_number", "caller" or None (unknown)
    partner_number: str | None
    partner_name: str | None
    tier: str | None
    hotline: Hotline | None

    def as_dict(self) -> dict[str, Any]:
        hotline = self.hotline
        return {
            "known": self.partner_number is not None,
            "matched_by": self.matched_by,
            "partner": None
            if self.partner_number is None
            else {"partner_number": self.partner_number, "name": self.partner_name},
            "tier": None
            if self.tier is None or hotline is None
            else {
                "code": self.tier,
                "name_de": hotline.tier_name_de,
                "name_en": hotline.tier_name_en,
            },
            "hotline": hotline.as_dict() if hotline else None,
            "priority": hotline.priority if hotline else None,
        }


class CallerNumberInvalid(DomainError):
    """The caller's number cannot be read as a telephone number (a problem of the field
    `caller`)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, details=[{"field": "caller", "message": message}])


def caller_e164(caller: str) -> str:
    """The caller's number in E.164 (German numbers may come without the country code)."""
    import phonenumbers  # noqa: PLC0415 - loaded at the first number, not at every start

    try:
        number = phonenumbers.parse(caller, HOME_REGION)
    except phonenumbers.NumberParseException as error:
        raise CallerNumberInvalid(f"'{caller}' is not a telephone number.") from error
    if not phonenumbers.is_possible_number(number):
        raise CallerNumberInvalid(f"'{caller}' is not a possible telephone number.")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


# A search with fewer digits is a name or a partner number, not a telephone number.
MIN_PHONE_DIGITS = 6


def partners_calling_from(search: str) -> QuerySet[CallerNumber, int] | None:
    """The ids of the partners that have this telephone number (their own or a contact's) in
    any format ("089 1234-567", "+49 (0)89 1234567", "0049891234567"), when the search reads as
    one; None when it does not. The caller-number table holds every number in E.164 (rebuilt
    daily and after a partners import)."""
    if sum(char.isdigit() for char in search) < MIN_PHONE_DIGITS:
        return None
    number = _e164_or_none(search)
    if number is None:
        return None
    return CallerNumber.objects.filter(number=number).values_list("partner_id", flat=True)


def _e164_or_none(text: str) -> str | None:
    try:
        return caller_e164(text)
    except CallerNumberInvalid:
        return None


@transaction.atomic
def caller_numbers_refresh() -> int:
    """Rebuild the caller-number table from the partners' and contacts' numbers (set-based: two
    reads, one delete, bulk inserts); returns how many numbers it holds. Numbers that cannot be
    read are skipped."""
    rows: dict[tuple[str, int], bool] = {}
    for sources, is_contact in (
        (Partner.objects.exclude(phone="").values_list("phone", "id"), False),
        (Contact.objects.exclude(phone="").values_list("phone", "partner_id"), True),
    ):
        for phone, partner_id in sources.iterator(chunk_size=10_000):
            number = _e164_or_none(phone)
            if number is not None:
                rows.setdefault((number, partner_id), is_contact)
    CallerNumber.objects.all().delete()
    CallerNumber.objects.bulk_create(
        (
            CallerNumber(number=number, partner_id=partner_id, is_contact=is_contact)
            for (number, partner_id), is_contact in rows.items()
        ),
        batch_size=5_000,
    )
    return len(rows)


def _partner_row(partners: QuerySet[Partner], on: dt.date) -> tuple[Any, ...] | None:
    """The partner's number and name with the tier fields in force on `on` (None when it has no
    tier), in one query: a LEFT JOIN on the assignment in force."""
    in_force = Q(tier_assignments__valid_from__lte=on) & (
        Q(tier_assignments__valid_to__isnull=True) | Q(tier_assignments__valid_to__gt=on)
    )
    return (
        partners.annotate(current=FilteredRelation("tier_assignments", condition=in_force))
        .values_list("partner_number", "name", *(f"current__tier__{name}" for name in _TIER_FIELDS))
        .first()
    )


def _by_caller(caller: str) -> QuerySet[Partner]:
    """The partner whose own number, else whose contact's number, the caller has: one probe of
    the indexed caller-number table, as a subquery."""
    first = (
        CallerNumber.objects.filter(number=caller_e164(caller))
        .order_by("is_contact", "partner_id")
        .values("partner_id")[:1]
    )
    return Partner.objects.filter(pk=Subquery(first))


def support_route(
    *, on: dt.date, partner_number: str | None = None, caller: str | None = None
) -> SupportRoute:
    """Route a call by partner number or by the caller's number (see the module docstring):
    one query for a known partner, two for an unknown caller.

    Raises `CallerNumberInvalid` for a caller number that is not a telephone number.
    """
    row = None
    matched_by = None
    if partner_number:
        row = _partner_row(Partner.objects.filter(partner_number=partner_number.strip()), on)
        matched_by = "partner_number" if row else None
    if row is None and caller:
        row = _partner_row(_by_caller(caller), on)
        matched_by = "caller" if row else None
    if row is None:
        return SupportRoute(None, None, None, None, entry_hotline(on=on))
    number, name, *tier = row
    assigned = _hotline(tuple(tier)) if tier[0] is not None else None
    return SupportRoute(
        matched_by,
        number,
        name,
        assigned.tier_code if assigned else None,
        assigned or entry_hotline(on=on),
    )
