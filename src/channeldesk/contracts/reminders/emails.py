"""The e-mails to the partner who looks after the customer: what each says, and handing it over.

The texts are Django templates, one per template code and language
(`contracts/templates/contracts/reminders/<template>.<de|en>.txt`), each with a `subject` and a
`body` block, rendered with the partner's language active so the `letter_format` filters
(`long_date`, `money`, `percent`, `number`) write for the reader. A rule's subject and text fields
replace the shipped block for one language when vendor staff fill them in.

Each builder returns the context (plain values, documented by the samples in `kinds`) and the
attachments; `email_enqueue` stores the message in the outbox under the reminder's key, inside the
caller's transaction, so the reminder is marked sent together with its e-mail or not at all.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass

from django.template import Context, Engine
from django.template.loader_tags import BlockNode
from django.utils import translation

from channeldesk.contracts.models import (
    ContractStatus,
    Reminder,
    ReminderChannel,
    ReminderRule,
    ReminderStatus,
)
from channeldesk.contracts.reminders.occasion import (
    Occasion,
    ReminderMoot,
    ReminderProblem,
    ReminderWaits,
)
from channeldesk.contracts.selectors import NoPartnerAssigned, contract_renewal_quote
from channeldesk.documents.letterhead import letterhead_from_settings
from channeldesk.notifications.services import AttachmentDraft, EnqueueResult, outbox_enqueue
from channeldesk.pricing.selectors import NoTierInForce, PriceQuote
from channeldesk.tiers.hotlines import hotline_for_partner
from channeldesk.tiers.selectors import tier_current

_BLANK_LINES = re.compile(r"\n[ \t]*(\n[ \t]*)+\n")
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
# Statuses of the customer's letter for which the partner's copy waits (staff may still act).
LETTER_UNDECIDED = (
    ReminderStatus.PLANNED,
    ReminderStatus.CLAIMED,
    ReminderStatus.SENDING,
    ReminderStatus.REVIEW,
    ReminderStatus.FAILED,
)


@dataclass(frozen=True)
class EmailContent:
    """What a builder found: the template context and the files to attach."""

    context: dict[str, object]
    attachments: tuple[AttachmentDraft, ...] = ()


def base_context(occasion: Occasion) -> dict[str, object]:
    """What every partner e-mail may name: the customer, the contract, the sender, and the
    support hotline of the partner's tier on the day of sending (empty when there is none)."""
    contract = occasion.contract
    customer = contract.customer
    partner = occasion.partner_or_problem()
    return {
        "customer_name": customer.name,
        "customer_number": customer.customer_number,
        "contract_number": contract.contract_number,
        "product": contract.product.name_for(occasion.partner_language),
        "seats": contract.seats,
        "end_date": contract.end_date,
        "partner_name": partner.name,
        "sender": letterhead_from_settings().name,
        **_hotline_context(occasion),
    }


def _hotline_context(occasion: Occasion) -> dict[str, object]:
    """`hotline_number` as the partner dials it and `hotline_hours`, in the partner's language."""
    language = occasion.partner_language
    hotline = hotline_for_partner(partner=occasion.partner_or_problem(), on=occasion.today)
    if hotline is None or not hotline.phone:
        return {"hotline_number": "", "hotline_hours": ""}
    return {"hotline_number": hotline.display(language), "hotline_hours": hotline.hours(language)}


# --- The builders -----------------------------------------------------------------------------


def advance_notice(*, occasion: Occasion) -> EmailContent:
    """Before the customer's letter: when it goes out, and a renewal quote at the partner's
    current tier discount (none when the partner has no tier; the text then says so)."""
    letter_on = _next_letter_day(occasion)
    quote = _quote(occasion)
    return EmailContent(
        context={
            **base_context(occasion),
            "letter_on": letter_on,
            "letter_in_days": (letter_on - occasion.today).days if letter_on else None,
            "quote": quote,
            "tier_name": _tier_name(occasion) if quote is not None else "",
        }
    )


def letter_copy(*, occasion: Occasion) -> EmailContent:
    """A copy of the customer's letter, attached as the archived PDF.

    The copy follows the latest customer letter of the same contract and end date due on or
    before it. It waits while that letter is undecided, and is moot when the letter was
    cancelled or missed, or when the schedule sends no letter by then.
    """
    letter = _customer_letter(occasion)
    document = letter.document
    if document is None:
        raise ReminderProblem(f"The customer's letter ({letter.key}) has no stored document.")
    with document.file.open("rb") as stored:
        content = stored.read()
    filename = _UNSAFE.sub("-", f"{occasion.contract.contract_number}-{document.kind}.pdf")
    return EmailContent(
        context={**base_context(occasion), "letter_sent_on": letter.sent_on},
        attachments=(
            AttachmentDraft(filename=filename, content=content, mimetype="application/pdf"),
        ),
    )


def ended_unrenewed(*, occasion: Occasion) -> EmailContent:
    """After the end: the contract ran out without a renewal (the dispatcher has checked that
    it is neither renewed nor cancelled)."""
    if occasion.contract.status not in (ContractStatus.ACTIVE, ContractStatus.EXPIRED):
        raise ReminderMoot(f"The contract is {occasion.contract.status}.")
    return EmailContent(context=base_context(occasion))


def _next_letter_day(occasion: Occasion) -> dt.date | None:
    """The day the schedule's next customer letter about this contract is due, or None."""
    rule = occasion.reminder.rule
    offsets = ReminderRule.objects.filter(
        schedule_id=rule.schedule_id, channel=ReminderChannel.LETTER, is_active=True
    ).values_list("offset_days", flat=True)
    end = occasion.reminder.contract_end_date
    days = sorted(end + dt.timedelta(days=offset) for offset in offsets)
    return next((day for day in days if day >= occasion.today), None)


def _quote(occasion: Occasion) -> PriceQuote | None:
    try:
        return contract_renewal_quote(contract=occasion.contract, on=occasion.today)
    except (NoTierInForce, NoPartnerAssigned):
        return None


def _tier_name(occasion: Occasion) -> str:
    """The name of the partner's tier, in the partner's language (the quote holds its code)."""
    current = tier_current(partner=occasion.partner_or_problem(), on=occasion.today)
    if current is None:
        return ""
    return current.tier_name_de if occasion.partner_language == "de" else current.tier_name_en


def _customer_letter(occasion: Occasion) -> Reminder:
    reminder = occasion.reminder
    letter = (
        Reminder.objects.filter(
            contract_id=reminder.contract_id,
            contract_end_date=reminder.contract_end_date,
            rule__channel=ReminderChannel.LETTER,
            offset_days__lte=reminder.offset_days,
        )
        .select_related("document")
        .order_by("-offset_days", "-id")
        .first()
    )
    if letter is None:
        raise ReminderMoot("The schedule sends the customer no letter by then: nothing to copy.")
    if letter.status in LETTER_UNDECIDED:
        raise ReminderWaits(f"Waiting for the customer's letter {letter.key} ({letter.status}).")
    if letter.status != ReminderStatus.SENT:
        raise ReminderMoot(
            f"The customer's letter {letter.key} was not sent ({letter.status}: "
            f"{letter.reason or 'no reason given'}): nothing to copy."
        )
    return letter


# --- Texts and handing over -------------------------------------------------------------------


def email_texts(
    *, rule: ReminderRule, language: str, context: Mapping[str, object]
) -> tuple[str, str]:
    """Subject and text of the rule's e-mail in `language`: staff's texts where filled in,
    otherwise the shipped template's blocks."""
    own_subject = str(getattr(rule, f"subject_{language}", ""))
    own_body = str(getattr(rule, f"body_{language}", ""))
    with translation.override(language):
        shipped = {} if own_subject and own_body else _blocks(rule.template, language, context)
        subject = _render(own_subject, context) if own_subject else shipped.get("subject", "")
        body = _render(own_body, context) if own_body else shipped.get("body", "")
    return " ".join(subject.split()), _BLANK_LINES.sub("\n\n", body.strip()) + "\n"


def text_check(*, text: str, context: Mapping[str, object], language: str) -> str:
    """Render staff's text with a sample context; raises TemplateSyntaxError when it is not a
    valid template (the admin shows the message)."""
    with translation.override(language):
        return _render(text, context)


def _render(text: str, context: Mapping[str, object]) -> str:
    template = Engine.get_default().from_string("{% load letter_format %}" + text)
    return template.render(Context(dict(context), autoescape=False))


def _blocks(template_code: str, language: str, values: Mapping[str, object]) -> dict[str, str]:
    name = f"contracts/reminders/{template_code}.{language}.txt"
    template = Engine.get_default().get_template(name)
    context = Context(dict(values), autoescape=False)
    blocks = template.nodelist.get_nodes_by_type(BlockNode)
    with context.render_context.push_state(template), context.bind_template(template):
        return {block.name: block.render(context) for block in blocks}  # type: ignore[attr-defined]


def email_enqueue(*, occasion: Occasion, content: EmailContent) -> EnqueueResult:
    """Store the e-mail in the outbox under the reminder's key (idempotent), to the partner who
    looks after the customer today, in the partner's language."""
    partner = occasion.partner_or_problem()
    if not partner.email:
        raise ReminderProblem(f"Partner {partner.partner_number} has no e-mail address.")
    language = occasion.partner_language
    rule = occasion.reminder.rule
    subject, text = email_texts(rule=rule, language=language, context=content.context)
    return outbox_enqueue(
        key=occasion.reminder.key,
        to=[partner.email],
        subject=subject,
        text=text,
        language=language,
        category=f"reminder:{rule.template}",
        attachments=content.attachments,
    )
