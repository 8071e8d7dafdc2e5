"""What a tier-change notice says, as a DIN 5008 letter and as an e-mail, in the partner's
language.

The wording lives in the letter template of the kind `tier_notice`,
`templates/tiers/letters/tier_notice.<de|en>.txt`, which `TiersConfig.ready()` registers with
the documents module; `notice_context` gives it plain values and the template formats them.
The letter is composed through `documents.composition.letter_compose` and stored through
`documents.services.letter_store`; the e-mail carries the same text and the letter as PDF.

The phrases for the criteria that did not hold are written per language here, not through
gettext: a notice's language is its recipient's, not the language active for the job that sends
it (as the documents module does with its labels). Kinds of other domains describe themselves
(`CriterionKind.describe`, e.g. the training names its course).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from channeldesk.core.formatting import format_money, format_number
from channeldesk.documents.composition import LetterText, letter_compose, letter_text
from channeldesk.documents.letterhead import letterhead_from_settings
from channeldesk.documents.letters import (
    MAX_ADDRESS_LINES,
    Contact,
    InformationBlock,
    Letter,
    address_name_lines,
)
from channeldesk.documents.models import Document
from channeldesk.documents.services import letter_store
from channeldesk.notifications.leases import CLAIM_CLEARED, Lease, leases_held
from channeldesk.notifications.services import AttachmentDraft, outbox_enqueue
from channeldesk.partners.models import Partner
from channeldesk.tiers.criteria import KINDS
from channeldesk.tiers.hotlines import Hotline, hotline_of_tier
from channeldesk.tiers.models import NoticeStatus, TierNotice

# The letter kind: its template is registered by `TiersConfig.ready()`, and the archive files
# the letter under it.
LETTER_KIND = "tier_notice"
HOME_COUNTRY = "DE"

# The criteria that did not hold, per kind and language. {threshold} and {measured} are
# formatted for the language; {months} is the revenue window.
PHRASES: dict[str, dict[str, str]] = {
    "de": {
        "orders": (
            "mindestens {threshold} Bestellungen im Bewertungszeitraum (erreicht: {measured})"
        ),
        "revenue": "mindestens {threshold} Nettoumsatz in {months} Monaten (erreicht: {measured})",
        "beyond_retail": "Bestellungen über das Retail-Sortiment hinaus",
        "distinct_products": (
            "mindestens {threshold} verschiedene Produkte im Bewertungszeitraum "
            "(erreicht: {measured})"
        ),
        "other": "{label}: mindestens {threshold} (erreicht: {measured})",
        "described": "{description} (erreicht: {measured})",
    },
    "en": {
        "orders": "at least {threshold} orders in the evaluation period (reached: {measured})",
        "revenue": "at least {threshold} net revenue in {months} months (reached: {measured})",
        "beyond_retail": "orders beyond the retail range",
        "distinct_products": (
            "at least {threshold} distinct products in the evaluation period (reached: {measured})"
        ),
        "other": "{label}: at least {threshold} (reached: {measured})",
        "described": "{description} (reached: {measured})",
    },
}


def notice_language(partner: Partner) -> str:
    return "de" if (partner.language or "de").startswith("de") else "en"


def criterion_phrase(entry: Mapping[str, Any], *, language: str) -> str:
    """One criterion that did not hold, as a phrase in `language`."""
    phrases = PHRASES[language]
    code = entry["criterion"]
    kind = KINDS.get(code)
    threshold = Decimal(entry["threshold"]) if entry.get("threshold") is not None else None
    measured = Decimal(entry.get("measured") or 0)
    parameters = entry.get("parameters") or {}
    money = code == "revenue"
    values = {
        "threshold": _figure(threshold, language, money=money),
        "measured": _figure(measured, language, money=money),
        "months": parameters.get("months", 12),
        "label": str(kind.label) if kind else code,
    }
    if kind is not None and kind.describe is not None:
        description = kind.describe(parameters, threshold, language)
        return phrases["described"].format(description=description, **values)
    return phrases.get(code, phrases["other"]).format(**values)


def _figure(value: Decimal | None, language: str, *, money: bool) -> str:
    if value is None:
        return ""
    if money:
        return format_money(value, language=language)
    return format_number(value, language=language)


def notice_context(notice: TierNotice, hotline: Hotline, language: str) -> dict[str, Any]:
    """The template context of a notice (plain values; the template formats them), as
    registered for the kind `tier_notice` in `TiersConfig.ready()`."""
    missing = list(notice.missing or [])
    target = missing[0]["tier"] if missing else ""
    target_tier = notice.tier.policy.tiers.filter(code=target).first() if target else None
    context: dict[str, Any] = {
        "partner_name": notice.partner.name,
        "old_tier": notice.previous_tier.name_for(language),
        "new_tier": notice.tier.name_for(language),
        "target_tier": target_tier.name_for(language) if target_tier else "",
        "direction": notice.direction,
        "effective_from": notice.effective_from,
        "discount": notice.tier.discount_percent,
        "old_discount": notice.previous_tier.discount_percent,
        "hotline": hotline.display(language),
        "hotline_hours": hotline.hours(language),
        "missing": [criterion_phrase(entry, language=language) for entry in missing],
        "requirements_missing": any(entry.get("requirement") for entry in missing),
        "only_requirements": bool(missing) and all(entry.get("requirement") for entry in missing),
    }
    if hotline.callback_minutes is not None:
        context["callback_minutes"] = hotline.callback_minutes
    return context


def notice_text(notice: TierNotice) -> LetterText:
    """The notice's subject, salutation, paragraphs and closing in the partner's language."""
    language = notice_language(notice.partner)
    hotline = hotline_of_tier(tier=notice.tier)
    return letter_text(
        template=LETTER_KIND, language=language, context=notice_context(notice, hotline, language)
    )


def notice_letter(notice: TierNotice, *, today: dt.date) -> Letter:
    """The notice as a letter to the partner's address, from the vendor, with the new tier's
    hotline as the number to call."""
    language = notice_language(notice.partner)
    hotline = hotline_of_tier(tier=notice.tier)
    letterhead = letterhead_from_settings()
    return letter_compose(
        template=LETTER_KIND,
        language=language,
        recipient=recipient_lines(notice.partner, language=language),
        information=InformationBlock(
            date=today,
            our_reference=notice.partner.partner_number,
            contact=Contact(
                name=letterhead.name,
                phone=hotline.display(language) or letterhead.phone,
                email=letterhead.email,
            ),
        ),
        context=notice_context(notice, hotline, language),
    )


@dataclass(frozen=True)
class RenderedNotice:
    """A notice's letter, stored, and the outbox key of its e-mail ("" without an address)."""

    document: Document
    email_key: str


def notice_render(*, notice: TierNotice, today: dt.date) -> RenderedNotice:
    """Store the letter and enqueue the e-mail of a notice; its status is left as it is.

    Both are stored once per key (the notice's): rendering a notice again, after its dispatcher
    died or staff released it, finds the letter and the e-mail already there.
    """
    letter = notice_letter(notice, today=today)
    stored = letter_store(
        letter=letter,
        kind=LETTER_KIND,
        reference=notice.partner.partner_number,
        key=notice.key,
    )
    email_key = ""
    if notice.partner.email:
        email_key = f"{notice.key}:email"
        text = notice_text(notice)
        outbox_enqueue(
            key=email_key,
            to=[notice.partner.email],
            subject=text.subject,
            text=text.as_email(letter.signed_by),
            language=text.language,
            category="tier_notice",
            attachments=[
                AttachmentDraft(
                    filename=f"{notice.partner.partner_number}-tier-notice.pdf",
                    path=str(stored.document.file.name),
                    mimetype="application/pdf",
                )
            ],
        )
    return RenderedNotice(document=stored.document, email_key=email_key)


def notice_mark_sent(
    *, notice: TierNotice, lease: Lease, rendered: RenderedNotice, now: dt.datetime
) -> bool:
    """Mark a notice sent if `lease` still holds it sending (staff may have released or
    dismissed it, or its lease ran out into review, meanwhile); True when it did."""
    held = leases_held(
        model=TierNotice, lease=lease, rows=[notice], statuses=(NoticeStatus.SENDING,)
    )
    return bool(
        held.update(
            status=NoticeStatus.SENT,
            sent_at=now,
            document=rendered.document,
            email_key=rendered.email_key,
            **CLAIM_CLEARED,
        )
    )


def recipient_lines(partner: Partner, *, language: str) -> tuple[str, ...]:
    """The partner's address in the window: name (split over two lines when too wide), street,
    postal code and city, and the country in capitals abroad."""
    place = f"{partner.postal_code} {partner.city}".strip()
    country = ""
    if partner.country and partner.country.upper() != HOME_COUNTRY:
        country = partner.country.upper()
    tail = [line for line in (partner.street, place, country) if line]
    lines = [*address_name_lines(partner.name), *tail]
    return tuple(lines[:MAX_ADDRESS_LINES])
