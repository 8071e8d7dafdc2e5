"""Messages: every notice, letter and reminder the partner received, newest first, scoped to
the partner, with the letters' PDFs; account e-mails with secrets never appear."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.test import Client
from django.utils import timezone

from channeldesk.contracts.models import (
    Contract,
    Reminder,
    ReminderRule,
    ReminderStatus,
    ReminderTemplate,
)
from channeldesk.contracts.services import customer_partner_change
from channeldesk.licensing.models import ComplianceEpisode
from channeldesk.notifications.models import OutboxMessage, OutboxStatus
from channeldesk.notifications.services import outbox_enqueue
from channeldesk.partners.models import Partner
from channeldesk.tiers.models import NoticeDirection, NoticeStatus, TierAssignment, TierNotice
from channeldesk.training.models import Enrollment
from channeldesk.usage.models import Statement
from tests.portal.world import PDF, PortalWorld, archived_pdf
from tests.training.factories import record
from tests.usage.worlds import october_statements

DAY = dt.timedelta(days=1)


def _at(days_ago: int) -> dt.datetime:
    return timezone.now() - days_ago * DAY


def _email(key: str, *, to: str, status: str = OutboxStatus.SENT) -> OutboxMessage:
    """An e-mail in the outbox, as its sender queued it (and, by default, delivered)."""
    message = outbox_enqueue(key=key, to=[to], subject=f"About {key}", text="Text.").message
    OutboxMessage.objects.filter(pk=message.pk).update(status=status)
    message.refresh_from_db()
    return message


def _partner_email(
    contract: Contract, template: str, *, days_ago: int, end_date: dt.date | None = None
) -> Reminder:
    """A renewal e-mail of `template` to the partner about `contract` (ending `end_date`, its
    end date unless given), sent `days_ago`."""
    rule = ReminderRule.objects.filter(template=template).first()
    assert rule is not None
    end_date = end_date or contract.end_date
    reminder = Reminder.objects.create(
        contract=contract,
        rule=rule,
        contract_end_date=end_date,
        offset_days=rule.offset_days,
        due_on=end_date + dt.timedelta(days=rule.offset_days),
        status=ReminderStatus.SENT,
        partner=contract.partner,
        recipient=contract.partner.email,
        sent_at=_at(days_ago),
        sent_on=timezone.localdate(_at(days_ago)),
        created_at=_at(days_ago + 1),
        updated_at=_at(days_ago),
    )
    reminder.message = _email(reminder.key, to=contract.partner.email)
    reminder.save(update_fields=["message"])
    return reminder


def _tier_notice(partner: Partner, *, days_ago: int) -> TierNotice:
    """A tier notice to `partner` (Silver → Gold from 1 January 2027), sent with its letter."""
    assignment = TierAssignment.objects.select_related("policy").get(partner=partner)
    tiers = assignment.policy.tiers
    notice = TierNotice.objects.create(
        partner=partner,
        assignment=assignment,
        previous_tier=tiers.get(code="silver"),
        tier=tiers.get(code="gold"),
        effective_from=dt.date(2027, 1, 1),
        direction=NoticeDirection.UP,
        send_on=timezone.localdate(),
        status=NoticeStatus.SENT,
        sent_at=_at(days_ago),
    )
    notice.document = archived_pdf(
        key=notice.key,
        kind="tier_notice",
        reference=partner.partner_number,
        name=f"tier-notice-{notice.pk}.pdf",
    )
    notice.save(update_fields=["document"])
    return notice


def _compliance_notice(contract: Contract, *, days_ago: int) -> ComplianceEpisode:
    episode = ComplianceEpisode.objects.create(
        contract=contract,
        started_on=timezone.localdate() - days_ago * DAY,
        seats=contract.seats,
        active_installations=contract.seats + 5,
    )
    episode.notice = _email(
        f"licensing:episode:{episode.pk}:partner", to=contract.partner.email or "x@example.com"
    )
    episode.save(update_fields=["notice"])
    OutboxMessage.objects.filter(pk=episode.notice.pk).update(sent_at=_at(days_ago))
    return episode


def _training_notice(partner: Partner, *, days_ago: int) -> Enrollment:
    enrollment = record(partner, session_date=dt.date(2024, 12, 1), person="erika")
    Enrollment.objects.filter(pk=enrollment.pk).update(
        expiry_notified_on=timezone.localdate() - days_ago * DAY
    )
    message = _email(f"training-expiry:{enrollment.pk}", to=partner.email or "x@example.com")
    OutboxMessage.objects.filter(pk=message.pk).update(sent_at=_at(days_ago))
    return enrollment


@dataclass
class Inbox:
    world: PortalWorld
    advance_notice: Reminder
    tier_notice: TierNotice
    tier_notice_b: TierNotice
    statements: dict[str, Statement]


@pytest.fixture
def inbox(portal_world: PortalWorld) -> Inbox:
    """Partner A received, newest first: today the renewal letter to K-A (the world's), two
    days ago an advance notice about V-A-SOON, three days ago a tier notice, four days ago a
    licence compliance notice about V-A-LATER, five days ago a training expiry notice, and the
    October statement (issued in November). Partner B got a tier notice and a statement."""
    personas = portal_world.personas
    a, b = personas.partner_a, personas.partner_b
    Partner.objects.filter(pk__in=[a.pk, b.pk]).update(email="office@example.com")
    a.refresh_from_db()
    b.refresh_from_db()
    statements = october_statements(a, b)
    advance_notice = _partner_email(
        portal_world.contract_soon, ReminderTemplate.PARTNER_ADVANCE_NOTICE, days_ago=2
    )
    tier_notice = _tier_notice(a, days_ago=3)
    _compliance_notice(portal_world.contract_later, days_ago=4)
    _training_notice(a, days_ago=5)
    return Inbox(
        world=portal_world,
        advance_notice=advance_notice,
        tier_notice=tier_notice,
        tier_notice_b=_tier_notice(b, days_ago=3),
        statements=statements,
    )


def _rows(text: str) -> list[list[str]]:
    """The visible cells of the messages table, row by row."""
    body = text.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [
        [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row)]
        for row in re.findall(r"<tr>(.*?)</tr>", body, flags=re.DOTALL)
    ]


def test_messages_lists_everything_the_partner_received_newest_first_in_german(
    inbox: Inbox, client_for: Callable[[str], Client]
) -> None:
    client = client_for("partner_a_user")
    client.cookies["django_language"] = "de"

    text = client.get("/portal/messages/").content.decode()

    kinds = [row[1] for row in _rows(text)]
    assert kinds == [
        "Verlängerungsschreiben an Ihren Kunden",
        "Verlängerungserinnerung mit Angebot",
        "Stufenmitteilung",
        "Hinweis zur Lizenzkonformität",
        "Hinweis zum Ablauf einer Schulung",
        "Nutzungsabrechnung",
    ]
    tier_row = _rows(text)[2]
    three_days_ago = timezone.localdate(_at(3))
    months = ["Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August"]
    months += ["September", "Oktober", "November", "Dezember"]
    german_day = f"{three_days_ago.day}. {months[three_days_ago.month - 1]} {three_days_ago.year}"
    assert tier_row[0] == german_day
    assert tier_row[2] == "Ab 1. Januar 2027: Gold-Partner (bis dahin: Silber-Partner)"
    assert "Oktober 2026" in _rows(text)[5][2]
    assert "6 Nachrichten" in text
    # and nothing in the table is a code or an ISO date.
    table = str(_rows(text))
    assert not re.search(r"\d{4}-\d{2}-\d{2}", table)
    for code in ("reminder", "tier_notice", "partner_advance_notice", "silver", "gold"):
        assert code not in table


def test_messages_are_dated_and_described_in_english(
    inbox: Inbox, client_for: Callable[[str], Client]
) -> None:
    client = client_for("partner_a_user")
    client.cookies["django_language"] = "en"

    rows = _rows(client.get("/portal/messages/").content.decode())

    two_days_ago = timezone.localdate(_at(2))
    assert rows[1][0] == f"{two_days_ago.day} {two_days_ago:%B} {two_days_ago.year}"
    assert rows[1][1] == "Renewal reminder with quote"
    assert rows[1][2].startswith("Anton Maschinenbau AG (K-A), contract V-A-SOON, end date ")
    assert rows[3][2].startswith("Anton Maschinenbau AG, contract V-A-LATER: under-licensed since")
    assert rows[5][1] == "Usage statement"
    assert "October 2026" in rows[5][2]


def test_letters_link_their_pdf_and_statements_their_page(
    inbox: Inbox, client_for: Callable[[str], Client]
) -> None:
    client = client_for("partner_a_user")
    text = client.get("/portal/messages/").content.decode()

    letter = inbox.world.letter_a.document
    notice = inbox.tier_notice.document
    assert letter is not None
    assert notice is not None
    assert f'href="/portal/messages/letters/{letter.pk}/"' in text
    assert f'href="/portal/messages/letters/{notice.pk}/"' in text
    number = inbox.statements[inbox.world.personas.partner_a.partner_number].number
    assert f'href="/portal/statements/{number}/"' in text
    response = client.get(f"/portal/messages/letters/{notice.pk}/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content) == PDF


def test_another_partners_messages_and_letters_stay_hidden(
    inbox: Inbox, client_for: Callable[[str], Client]
) -> None:
    client = client_for("partner_b_user")
    client.cookies["django_language"] = "en"

    rows = _rows(client.get("/portal/messages/").content.decode())
    letter_a = inbox.world.letter_a.document
    notice_a = inbox.tier_notice.document
    assert letter_a is not None
    assert notice_a is not None

    # Partner B sees its own renewal letter, tier notice and statement, nothing of A's,
    assert [row[1] for row in rows] == [
        "Renewal letter to your customer",
        "Tier notice",
        "Usage statement",
    ]
    assert "Anton" not in str(rows)
    # and A's letters answer 404, like a document that is no message at all.
    assert client.get(f"/portal/messages/letters/{letter_a.pk}/").status_code == 404
    assert client.get(f"/portal/messages/letters/{notice_a.pk}/").status_code == 404
    unrelated = archived_pdf(key="other:1", kind="renewal", reference="X", name="other.pdf")
    assert client.get(f"/portal/messages/letters/{unrelated.pk}/").status_code == 404


def test_account_emails_with_secrets_never_appear(
    inbox: Inbox, client_for: Callable[[str], Client]
) -> None:
    # Given a password reset and an invitation to partner A's own address,
    partner = inbox.world.personas.partner_a
    for key in ("account:password_reset_key:1", "invitation:1"):
        outbox_enqueue(
            key=key,
            to=[partner.email],
            subject=f"Secret {key}",
            text="https://example.com/secret-link",
            secrets=["https://example.com/secret-link"],
        )
    before = _rows(client_for("partner_a_user").get("/portal/messages/").content.decode())

    text = client_for("partner_a_user").get("/portal/messages/").content.decode()

    # then neither is among the messages, and the list is what it was.
    assert "Secret" not in text
    assert "secret-link" not in text
    assert _rows(text) == before


def test_withdrawn_and_failed_emails_are_not_messages_received(
    inbox: Inbox, client_for: Callable[[str], Client]
) -> None:
    # Given the advance notice's e-mail was withdrawn (its contract renewed before sending),
    assert inbox.advance_notice.message is not None
    OutboxMessage.objects.filter(pk=inbox.advance_notice.message.pk).update(
        status=OutboxStatus.DISMISSED
    )
    client = client_for("partner_a_user")
    client.cookies["django_language"] = "en"

    kinds = [row[1] for row in _rows(client.get("/portal/messages/").content.decode())]

    assert "Renewal reminder with quote" not in kinds
    assert len(kinds) == 5


def test_a_customer_that_moved_leaves_the_messages_the_partner_received(
    inbox: Inbox, client_for: Callable[[str], Client]
) -> None:
    # Given customer K-A moved to partner B yesterday,
    customer_partner_change(
        customer=inbox.world.customer_a,
        partner=inbox.world.personas.partner_b,
        on=timezone.localdate() - DAY,
    )
    client = client_for("partner_a_user")
    client.cookies["django_language"] = "en"

    # then partner A keeps the messages it received about K-A, and B does not get them.
    kinds_a = [row[1] for row in _rows(client.get("/portal/messages/").content.decode())]
    rows_b = _rows(client_for("partner_b_user").get("/portal/messages/").content.decode())
    assert "Renewal reminder with quote" in kinds_a
    assert len(kinds_a) == 6
    assert "Anton" not in str(rows_b)


# The world's letters and statements lie around 7 December 2026; their order is by date.
@pytest.mark.today("2026-12-07")
def test_messages_page_in_pages_of_25_at_a_fixed_number_of_queries(
    inbox: Inbox,
    client_for: Callable[[str], Client],
    django_assert_max_num_queries,  # type: ignore[no-untyped-def]
) -> None:
    # Given 60 more advance notices to partner A, older than the others,
    for index in range(60):
        _partner_email(
            inbox.world.contract_later,
            ReminderTemplate.PARTNER_ADVANCE_NOTICE,
            days_ago=10 + index,
            end_date=inbox.world.contract_later.end_date - (index + 1) * DAY,
        )
    client = client_for("partner_a_user")
    client.cookies["django_language"] = "en"

    # when the pages are read, each costs the same few queries,
    with django_assert_max_num_queries(14):
        first = client.get("/portal/messages/").content.decode()
    with django_assert_max_num_queries(14):
        last = client.get("/portal/messages/", {"page": "3"}).content.decode()

    # and they hold 25, 25 and the last 16 of the 66 messages.
    assert "66 messages" in first
    assert len(_rows(first)) == 25
    assert len(_rows(last)) == 16
    assert "Page 3 of 3" in last
    assert _rows(last)[-1][1] == "Renewal reminder with quote"
