"""What a tier-change notice says, as a DIN 5008 letter and as an e-mail, in the partner's
language.

The wording lives in `templates/tiers/notices/tier_change.<de|en>.txt` (blocks `subject`,
`salutation`, `body`, `closing`, rendered with the `letter_format` filters of the documents
module). The letter is built here as a `documents.letters.Letter` and stored through
`documents.services.letter_store`; the e-mail carries the same text and the letter as PDF.

The phrases for the criteria that did not hold are written per language here, not through
gettext: a notice's language is its recipient's, not the language active for the job that sends
it (as the documents module does with its labels). Kinds of other domains describe themselves
(`CriterionKind.describe`, e.g. the training names its course).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, cast

from django.template import Context, Engine
from django.template.loader_tags import BlockNode
from django.utils import timezone, translation

from channeldesk.core.formatting import format_money, format_number
from channeldesk.documents.letterhead import letterhead_from_settings
from channeldesk.documents.letters import MAX_ADDRESS_LINES, Contact, InformationBlock, Letter
from channeldesk.documents.rendering import (
    ADDRESS_TEXT_WIDTH_MM,
    RECIPIENT_FONT_SIZE_PT,
    text_width_mm,
)
from channeldesk.documents.services import letter_store
from channeldesk.notifications.services import AttachmentDraft, outbox_enqueue
from channeldesk.partners.models import Partner
from channeldesk.tiers.criteria import KINDS
from channeldesk.tiers.hotlines import Hotline, hotline_of_tier
from channeldesk.tiers.models import NoticeStatus, TierNotice

LETTER_KIND = "tier_notice"
HOME_COUNTRY = "DE"
_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n")

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


@dataclass(frozen=True)
class NoticeText:
    language: str
    subject: str
    salutation: str
    paragraphs: tuple[str, ...]
    closing: str

    def as_email(self, signature: str) -> str:
        return "\n\n".join((self.salutation, *self.paragraphs, self.closing + "\n" + signature))


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
    """The template context of a notice (plain values; the template formats them)."""
    missing = list(notice.missing or [])
    target = missing[0]["tier"] if missing else ""
    target_tier = notice.tier.policy.tiers.filter(code=target).first() if target else None
    return {
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
        "callback_minutes": hotline.callback_minutes,
        "missing": [criterion_phrase(entry, language=language) for entry in missing],
        "requirements_missing": any(entry.get("requirement") for entry in missing),
        "only_requirements": bool(missing) and all(entry.get("requirement") for entry in missing),
    }


def notice_text(notice: TierNotice) -> NoticeText:
    """The notice's subject, salutation, paragraphs and closing in the partner's language."""
    language = notice_language(notice.partner)
    hotline = hotline_of_tier(tier=notice.tier)
    blocks = _render_blocks(
        f"tiers/notices/tier_change.{language}.txt",
        notice_context(notice, hotline, language),
        language,
    )
    return NoticeText(
        language=language,
        subject=" ".join(blocks.get("subject", "").split()),
        salutation=" ".join(blocks.get("salutation", "").split()),
        paragraphs=_paragraphs(blocks.get("body", "")),
        closing=" ".join(blocks.get("closing", "").split()),
    )


def notice_letter(notice: TierNotice, *, today: dt.date) -> Letter:
    text = notice_text(notice)
    hotline = hotline_of_tier(tier=notice.tier)
    letterhead = letterhead_from_settings()
    return Letter(
        language=text.language,
        recipient=recipient_lines(notice.partner, language=text.language),
        information=InformationBlock(
            date=today,
            our_reference=notice.partner.partner_number,
            contact=Contact(
                name=letterhead.name,
                phone=hotline.display(text.language) or letterhead.phone,
                email=letterhead.email,
            ),
        ),
        subject=text.subject,
        salutation=text.salutation,
        paragraphs=text.paragraphs,
        closing=text.closing,
    )


@dataclass(frozen=True)
class SentNotice:
    notice: TierNotice
    email_key: str


def notice_send(*, notice: TierNotice, today: dt.date) -> SentNotice:
    """Store the letter and enqueue the e-mail of a claimed notice, and mark it sent. Runs in
    the caller's transaction; the letter and the e-mail are stored once per key."""
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
    notice.status = NoticeStatus.SENT
    notice.sent_at = timezone.now()
    notice.document = stored.document
    notice.email_key = email_key
    notice.save(update_fields=["status", "sent_at", "document", "email_key"])
    return SentNotice(notice=notice, email_key=email_key)


def recipient_lines(partner: Partner, *, language: str) -> tuple[str, ...]:
    """The partner's address in the window: name (split over two lines when too wide), street,
    postal code and city, and the country in capitals abroad."""
    place = f"{partner.postal_code} {partner.city}".strip()
    country = ""
    if partner.country and partner.country.upper() != HOME_COUNTRY:
        country = partner.country.upper()
    tail = [line for line in (partner.street, place, country) if line]
    lines = [*_fitted(partner.name), *tail]
    return tuple(lines[:MAX_ADDRESS_LINES])


def _fitted(name: str) -> list[str]:
    if _fits(name):
        return [name]
    words = name.split()
    for cut in range(len(words) - 1, 0, -1):
        first, second = " ".join(words[:cut]), " ".join(words[cut:])
        if _fits(first):
            return [first, second] if _fits(second) else [name]
    return [name]


def _fits(line: str) -> bool:
    return text_width_mm(line, size_pt=RECIPIENT_FONT_SIZE_PT) <= ADDRESS_TEXT_WIDTH_MM


def _render_blocks(name: str, values: Mapping[str, object], language: str) -> dict[str, str]:
    template = Engine.get_default().get_template(name)
    context = Context(dict(values), autoescape=False)
    blocks = cast(list[BlockNode], template.nodelist.get_nodes_by_type(BlockNode))
    with (
        translation.override(language),
        context.render_context.push_state(template),
        context.bind_template(template),
    ):
        return {block.name: block.render(context) for block in blocks}


def _paragraphs(text: str) -> tuple[str, ...]:
    paragraphs = (
        "\n".join(line.strip() for line in part.strip().splitlines())
        for part in _PARAGRAPH_BREAK.split(text)
    )
    return tuple(paragraph for paragraph in paragraphs if paragraph)
