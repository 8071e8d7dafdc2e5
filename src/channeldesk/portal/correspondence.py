"""The partner's messages: every notice, letter and reminder the partner received, newest
first, for the portal's "Messages" page (docs/portal.md).

The outbox knows addresses and texts, not partners (`notifications` sits below every domain),
so the messages are read from the domain rows that say whom they were for:

- renewal reminders (`contracts.Reminder`, sent): the e-mails to the partner and the letters to
  its customers, each with the partner it went to at send time (`partner`);
- tier-change notices (`tiers.TierNotice`, sent): a letter and an e-mail to the partner;
- licence compliance notices (`licensing.ComplianceEpisode.notice`): the e-mail to the partner
  who looked after the customer when the under-licensing began (the rule `licensing.notices`
  sends by);
- training expiry notices (`training.Enrollment` with its outbox message
  `training-expiry:<id>`);
- usage statements (`usage.Statement`) issued to the partner.

What the partner received stays in its messages after a customer moves to another partner: the
partner got it (the letter as a copy by e-mail). Account e-mails (invitations, password resets:
they carry secrets) are tied to no domain row here and so never appear; nor does an e-mail the
outbox withdrew or failed to deliver.

**Scoping is in one place**: `_received_by`, which is `partners.selectors.partner_scope_filter`
on each row's partner. Every source and the letter download go through `_sources`, so the list
and the download cannot disagree.

The list is one UNION over the sources (kind, id, time), ordered and cut in SQL: a page costs
a count, the page's keys and one query per kind on the page, whatever the partner's size.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from babel.dates import format_date as babel_format_date
from django.core.paginator import Page, Paginator
from django.db.models import (
    CharField,
    DateTimeField,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Cast, Coalesce, Concat
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from channeldesk.contracts.models import (
    Reminder,
    ReminderStatus,
    ReminderTemplate,
)
from channeldesk.core.formatting import babel_locale, format_date
from channeldesk.documents.models import Document
from channeldesk.licensing.models import ComplianceEpisode
from channeldesk.notifications.models import OutboxMessage, OutboxStatus
from channeldesk.partners.selectors import AnyUser, partner_scope_filter
from channeldesk.tiers.models import NoticeStatus, TierNotice
from channeldesk.training.models import Enrollment
from channeldesk.usage.models import Statement

# An e-mail in one of these states never reached the partner: withdrawn or undeliverable.
NOT_RECEIVED = (OutboxStatus.DISMISSED, OutboxStatus.FAILED)
TRAINING_EXPIRY_KEY_PREFIX = "training-expiry:"


class MessageKind:
    """The sources, as the first column of the UNION."""

    REMINDER = "reminder"
    TIER_NOTICE = "tier_notice"
    COMPLIANCE = "compliance"
    TRAINING = "training"
    STATEMENT = "statement"


@dataclass(frozen=True)
class Message:
    """One message as the page shows it: when, what kind (in words), what about, and where to
    read it (the letter's PDF, or the statement's page)."""

    at: dt.datetime
    day: str
    kind: str
    summary: str
    letter_url: str = ""
    page_url: str = ""


def _received_by(*, user: AnyUser, lookup: str) -> Q:
    """The one scoping rule of this module: rows whose partner (`lookup`) the user may see."""
    return partner_scope_filter(user=user, lookup=lookup)


def _reminders(user: AnyUser) -> QuerySet[Reminder]:
    return Reminder.objects.filter(
        _received_by(user=user, lookup="partner"), status=ReminderStatus.SENT
    ).exclude(message__status__in=NOT_RECEIVED)


def _tier_notices(user: AnyUser) -> QuerySet[TierNotice]:
    return TierNotice.objects.filter(
        _received_by(user=user, lookup="partner"), status=NoticeStatus.SENT
    )


def _compliance_notices(user: AnyUser) -> QuerySet[ComplianceEpisode]:
    """Episodes whose notice went to a partner the user may see: the partner who looked after
    the customer on the episode's first day.

    The conditions on the customer's assignment are in one `filter()` call, so they hold for the
    same assignment row (one join); spans of one customer never overlap, so an episode is found
    once. The planner can start from the partner's assignments instead of every episode.
    """
    span = "contract__customer__assignments"
    return ComplianceEpisode.objects.filter(
        _received_by(user=user, lookup=f"{span}__partner"),
        Q(**{f"{span}__valid_to__isnull": True}) | Q(**{f"{span}__valid_to__gt": F("started_on")}),
        **{f"{span}__valid_from__lte": F("started_on")},
        notice__isnull=False,
    ).exclude(notice__status__in=NOT_RECEIVED)


def _training_notices(user: AnyUser) -> QuerySet[Enrollment]:
    """Enrollments whose expiry notice the outbox holds (a partner without an e-mail address
    was not told, though the enrollment is marked as notified)."""
    notice = OutboxMessage.objects.filter(
        idempotency_key=Concat(Value(TRAINING_EXPIRY_KEY_PREFIX), Cast(OuterRef("pk"), CharField()))
    ).exclude(status__in=NOT_RECEIVED)
    return (
        Enrollment.objects.filter(
            _received_by(user=user, lookup="partner"), expiry_notified_on__isnull=False
        )
        .annotate(
            notice_at=Subquery(
                notice.annotate(at=Coalesce("sent_at", "created_at")).values("at")[:1],
                output_field=DateTimeField(),
            )
        )
        .filter(notice_at__isnull=False)
    )


def _statements(user: AnyUser) -> QuerySet[Statement]:
    return Statement.objects.filter(_received_by(user=user, lookup="partner"))


def _keys(queryset: QuerySet[Any], kind: str, at: Any) -> QuerySet[Any]:
    """The source as (kind, id, time) rows, all three annotations so that every part of the
    UNION has the same columns in the same order."""
    return (
        queryset.annotate(
            message_kind=Value(kind, output_field=CharField()),
            message_ref=F("pk"),
            message_at=at,
        )
        .order_by()
        .values_list("message_kind", "message_ref", "message_at")
    )


def messages_received(*, user: AnyUser) -> QuerySet[Any]:
    """(kind, id, time) of every message the user's partner received, newest first."""
    parts = [
        _keys(_reminders(user), MessageKind.REMINDER, F("sent_at")),
        _keys(_tier_notices(user), MessageKind.TIER_NOTICE, F("sent_at")),
        _keys(
            _compliance_notices(user),
            MessageKind.COMPLIANCE,
            Coalesce("notice__sent_at", "notice__created_at", output_field=DateTimeField()),
        ),
        _keys(_training_notices(user), MessageKind.TRAINING, F("notice_at")),
        _keys(_statements(user), MessageKind.STATEMENT, F("issued_at")),
    ]
    first, *others = parts
    return first.union(*others, all=True).order_by("-message_at", "message_kind", "-message_ref")


def messages_page(
    *, user: AnyUser, language: str, number: str | int | None, per_page: int
) -> tuple[Page[Any], list[Message]]:
    """One page of the partner's messages, each written for the reader in `language`."""
    page = Paginator(messages_received(user=user), per_page).get_page(number)
    keys = list(page.object_list)
    refs: dict[str, list[int]] = defaultdict(list)
    for kind, ref, _at in keys:
        refs[kind].append(ref)
    described: dict[tuple[str, int], Message] = {}
    for kind, ids in refs.items():
        for ref, message in DESCRIBERS[kind](ids, language).items():
            described[(kind, ref)] = message
    return page, [described[(kind, ref)] for kind, ref, _at in keys if (kind, ref) in described]


def message_letter(*, user: AnyUser, document_id: int) -> Document:
    """The PDF of a letter among the user's partner's messages (a letter to one of its customers
    or a tier notice); raises `Document.DoesNotExist` for any other document."""
    letters = Q(pk__in=_reminders(user).values("document_id")) | Q(
        pk__in=_tier_notices(user).values("document_id")
    )
    return Document.objects.filter(letters).get(pk=document_id)


# --- Describing each kind for the reader ------------------------------------------------------


def _message(
    at: dt.datetime,
    language: str,
    *,
    kind: str,
    summary: str,
    letter_url: str = "",
    page_url: str = "",
) -> Message:
    """A message received at `at`, its day written for the reader in `language`."""
    day = format_date(timezone.localdate(at), language=language)
    return Message(
        at=at, day=day, kind=kind, summary=summary, letter_url=letter_url, page_url=page_url
    )


def _letter_url(document_id: int | None) -> str:
    if document_id is None:
        return ""
    return reverse("portal:message-letter", kwargs={"document_id": document_id})


def _reminder_kinds() -> dict[str, str]:
    return {
        ReminderTemplate.RENEWAL_LETTER: _("Renewal letter to your customer"),
        ReminderTemplate.PARTNER_ADVANCE_NOTICE: _("Renewal reminder with quote"),
        ReminderTemplate.PARTNER_LETTER_COPY: _("Copy of a renewal letter"),
        ReminderTemplate.PARTNER_ENDED_UNRENEWED: _("Contract ended without renewal"),
    }


def _describe_reminders(ids: list[int], language: str) -> dict[int, Message]:
    kinds = _reminder_kinds()
    reminders = Reminder.objects.filter(pk__in=ids).select_related("rule", "contract__customer")
    return {
        reminder.pk: _message(
            reminder.sent_at or timezone.now(),
            language,
            kind=kinds.get(reminder.rule.template, _("Renewal reminder")),
            summary=_("%(customer)s (%(number)s), contract %(contract)s, end date %(end)s")
            % {
                "customer": reminder.contract.customer.name,
                "number": reminder.contract.customer.customer_number,
                "contract": reminder.contract.contract_number,
                "end": format_date(reminder.contract_end_date, language=language),
            },
            letter_url=_letter_url(reminder.document_id),
        )
        for reminder in reminders
    }


def _describe_tier_notices(ids: list[int], language: str) -> dict[int, Message]:
    german = language.startswith("de")
    notices = TierNotice.objects.filter(pk__in=ids).select_related("tier", "previous_tier")
    result = {}
    for notice in notices:
        at = notice.sent_at or timezone.now()
        tier, previous = notice.tier, notice.previous_tier
        result[notice.pk] = _message(
            at,
            language,
            kind=_("Tier notice"),
            summary=_("From %(date)s: %(tier)s (until then: %(previous)s)")
            % {
                "date": format_date(notice.effective_from, language=language),
                "tier": tier.name_de if german else tier.name_en,
                "previous": previous.name_de if german else previous.name_en,
            },
            letter_url=_letter_url(notice.document_id),
        )
    return result


def _describe_compliance(ids: list[int], language: str) -> dict[int, Message]:
    episodes = ComplianceEpisode.objects.filter(pk__in=ids).select_related(
        "contract__customer", "notice"
    )
    result = {}
    for episode in episodes:
        assert episode.notice is not None  # the source keeps episodes with a notice only
        at = episode.notice.sent_at or episode.notice.created_at
        result[episode.pk] = _message(
            at,
            language,
            kind=_("Licence compliance notice"),
            summary=_("%(customer)s, contract %(contract)s: under-licensed since %(date)s")
            % {
                "customer": episode.contract.customer.name,
                "contract": episode.contract.contract_number,
                "date": format_date(episode.started_on, language=language),
            },
        )
    return result


def _describe_training(ids: list[int], language: str) -> dict[int, Message]:
    enrollments = Enrollment.objects.filter(pk__in=ids).select_related("course", "participant")
    sent = dict(
        OutboxMessage.objects.filter(
            idempotency_key__in=[f"{TRAINING_EXPIRY_KEY_PREFIX}{pk}" for pk in ids]
        )
        .annotate(at=Coalesce("sent_at", "created_at"))
        .values_list("idempotency_key", "at")
    )
    result = {}
    for enrollment in enrollments:
        at = sent.get(f"{TRAINING_EXPIRY_KEY_PREFIX}{enrollment.pk}") or timezone.now()
        last_day = (
            enrollment.valid_until - dt.timedelta(days=1)
            if enrollment.valid_until is not None
            else None
        )
        result[enrollment.pk] = _message(
            at,
            language,
            kind=_("Training expiry notice"),
            summary=_("%(participant)s: %(course)s, valid until %(date)s")
            % {
                "participant": enrollment.participant.name,
                "course": enrollment.course.name_for(language),
                "date": format_date(last_day, language=language) if last_day else "–",
            },
        )
    return result


def _describe_statements(ids: list[int], language: str) -> dict[int, Message]:
    result = {}
    for statement in Statement.objects.filter(pk__in=ids):
        month = babel_format_date(statement.period, format="LLLL y", locale=babel_locale(language))
        result[statement.pk] = _message(
            statement.issued_at,
            language,
            kind=_("Usage statement"),
            summary=_("Statement %(number)s for %(month)s")
            % {"number": statement.number, "month": month},
            page_url=reverse("portal:statement", kwargs={"number": statement.number}),
        )
    return result


DESCRIBERS: dict[str, Callable[[list[int], str], dict[int, Message]]] = {
    MessageKind.REMINDER: _describe_reminders,
    MessageKind.TIER_NOTICE: _describe_tier_notices,
    MessageKind.COMPLIANCE: _describe_compliance,
    MessageKind.TRAINING: _describe_training,
    MessageKind.STATEMENT: _describe_statements,
}
