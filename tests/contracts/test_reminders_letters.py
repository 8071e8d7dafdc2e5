"""The customer's letter: archived once, readable back, in the customer's language, attached to
the partner's copy, printed in the day's batch; and at most once when a dispatcher dies."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pdfplumber
import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from channeldesk.contracts.models import Reminder, ReminderStatus
from channeldesk.contracts.reminders.dispatch import reminders_dispatch
from channeldesk.contracts.reminders.planning import reminders_plan
from channeldesk.contracts.reminders.selectors import reminder_letters_sent_on
from channeldesk.contracts.reminders.services import (
    ReminderError,
    reminder_dismiss,
    reminder_release,
)
from channeldesk.documents.composition import letter_compose
from channeldesk.documents.letters import Contact, InformationBlock
from channeldesk.documents.models import Document
from channeldesk.documents.services import letter_store
from channeldesk.notifications.leases import DispatchResult
from channeldesk.notifications.models import OutboxMessage
from tests.contracts.reminders_world import (
    ADVANCE_DAY,
    COPY,
    LETTER,
    LETTER_DAY,
    PLAN_DAY,
    events,
    reminder_of,
    reminders_state,
    world,
)
from tests.personas import Personas, sign_in

pytestmark = pytest.mark.django_db


def pdf_text(data: bytes) -> str:
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        return "\n".join(page.extract_text() for page in pdf.pages)


def letter_day(
    *, customer_language: str = "de", number: str = "V-1", customer: str = "K-1"
) -> None:
    world(customer_language=customer_language, number=number, customer_number=customer)
    reminders_plan(today=PLAN_DAY)
    reminders_dispatch(today=ADVANCE_DAY)
    reminders_dispatch(today=LETTER_DAY)


def test_the_letter_is_archived_under_the_reminders_key_and_reads_back(media_root: Path) -> None:
    letter_day()

    reminder = reminder_of("V-1", LETTER)
    document = Document.objects.get()
    with document.file.open("rb") as stored:
        text = pdf_text(stored.read())
    assert (reminder.status, reminder.document_id, reminder.sent_on) == (
        "sent",
        document.pk,
        LETTER_DAY,
    )
    assert (document.key, document.kind, document.reference, document.language) == (
        reminder.key,
        "renewal",
        "V-1",
        "de",
    )
    assert reminder.recipient == (
        "Müller Maschinenbau GmbH, Anna Beispiel, Industriestraße 12, 70565 Stuttgart"
    )
    assert "Ihr Vertrag V-1 endet am 31. Dezember 2026" in text
    assert "Alpha Systemhaus GmbH" in text
    assert "Guten Tag Anna Beispiel," in text


def test_an_english_customer_gets_an_english_letter(media_root: Path) -> None:
    letter_day(customer_language="en")

    document = Document.objects.get()
    with document.file.open("rb") as stored:
        text = pdf_text(stored.read())
    assert document.language == "en"
    assert "Your contract V-1 ends on 31 December 2026" in text
    assert "Dear Anna Beispiel," in text


def test_the_partners_copy_carries_the_archived_letter(media_root: Path) -> None:
    letter_day()

    message = OutboxMessage.objects.get(idempotency_key=reminder_of("V-1", COPY).key)
    attachment = message.attachments.get()
    with Document.objects.get().file.open("rb") as stored:
        archived = stored.read()
    assert (attachment.filename, attachment.mimetype) == ("V-1-renewal.pdf", "application/pdf")
    assert bytes(attachment.content) == archived


def test_staff_open_the_letter_pdf_in_the_admin(media_root: Path, personas: Personas) -> None:
    letter_day()
    client = Client()
    sign_in(client, personas.staff)
    reminder = reminder_of("V-1", LETTER)

    response = client.get(f"/admin/contracts/reminder/{reminder.pk}/letter.pdf")
    no_letter = client.get(f"/admin/contracts/reminder/{reminder_of('V-1', COPY).pk}/letter.pdf")

    assert (response.status_code, response["Content-Type"]) == (200, "application/pdf")
    assert b"".join(response.streaming_content).startswith(b"%PDF-")
    assert no_letter.status_code == 404


def test_the_print_batch_holds_the_days_letters(media_root: Path, tmp_path: Path) -> None:
    letter_day(number="V-1", customer="K-1")
    letter_day(number="V-2", customer="K-2", customer_language="en")
    target = tmp_path / "batch.pdf"
    out = io.StringIO()

    call_command("letters", "batch", "--date", "16.11.2026", "--output", str(target), stdout=out)

    with pdfplumber.open(target) as pdf:
        pages = [page.extract_text() for page in pdf.pages]
    assert len(pages) == 2
    assert "Ihr Vertrag V-1 endet" in pages[0]
    assert "Your contract V-2 ends" in pages[1]
    assert out.getvalue().startswith(f"{target}: 2 letter(s), 2 page(s), ")


def test_a_day_without_letters_writes_no_batch(media_root: Path, tmp_path: Path) -> None:
    letter_day()
    target = tmp_path / "empty.pdf"

    with pytest.raises(CommandError) as refusal:
        call_command("letters", "batch", "--date", "2026-11-17", "--output", str(target))

    assert str(refusal.value) == "No letters were sent on 2026-11-17; no batch written."
    assert list(tmp_path.iterdir()) == [media_root]


def dead_dispatcher_stored(reminder: Reminder) -> Document:
    """What a dispatcher killed after archiving the letter leaves behind: the reminder
    `sending` under a lease that ran out, and the archived PDF."""
    Reminder.objects.filter(pk=reminder.pk).update(
        status=ReminderStatus.SENDING,
        claimed_by="host:4711",
        lease_expires_at=timezone.now() - dt.timedelta(minutes=1),
        attempts=1,
    )
    letter = letter_compose(
        template="renewal",
        language="de",
        recipient=("Müller Maschinenbau GmbH", "70565 Stuttgart"),
        information=InformationBlock(
            date=LETTER_DAY, our_reference="V-1", contact=Contact(name="Alpha", phone="", email="")
        ),
        context={
            "contract_number": "V-1",
            "product": "ChannelDesk Enterprise",
            "seats": 25,
            "end_date": dt.date(2026, 12, 31),
            "partner_name": "Alpha",
            "partner_phone": "",
            "partner_email": "",
        },
    )
    return letter_store(letter=letter, kind="renewal", reference="V-1", key=reminder.key).document


def test_a_letter_whose_dispatcher_died_goes_to_review_and_is_not_printed(
    media_root: Path,
) -> None:
    world()
    reminders_plan(today=PLAN_DAY)
    reminders_dispatch(today=ADVANCE_DAY)
    letter = reminder_of("V-1", LETTER)
    dead_dispatcher_stored(letter)

    report = reminders_dispatch(today=LETTER_DAY)

    letter.refresh_from_db()
    assert report == DispatchResult(expired=1, claimed=1, deferred=1)
    assert (letter.status, letter.reason) == (
        "review",
        "Outcome unknown: the dispatcher stopped while storing the letter.",
    )
    assert events(letter)[0][0] == "review"
    assert list(reminder_letters_sent_on(day=LETTER_DAY)) == []
    assert reminder_of("V-1", COPY).status == "planned"


def test_releasing_a_letter_in_review_sends_the_archived_letter_not_a_second_one(
    media_root: Path, personas: Personas
) -> None:
    world()
    reminders_plan(today=PLAN_DAY)
    reminders_dispatch(today=ADVANCE_DAY)
    letter = reminder_of("V-1", LETTER)
    archived = dead_dispatcher_stored(letter)
    reminders_dispatch(today=LETTER_DAY)

    reminder_release(reminder=letter, actor=personas.staff, note="Not in any batch yet.")
    report = reminders_dispatch(today=dt.date(2026, 11, 17))

    letter.refresh_from_db()
    assert report == DispatchResult(claimed=2, sent=2, late=2)
    assert (letter.status, letter.document_id, letter.sent_on) == (
        "sent",
        archived.pk,
        dt.date(2026, 11, 17),
    )
    assert Document.objects.count() == 1
    assert [kind for kind, _ in events(letter)] == ["review", "released", "sent"]
    assert list(reminder_letters_sent_on(day=dt.date(2026, 11, 17))) == [archived]


def test_a_sent_reminder_can_be_neither_released_nor_dismissed(media_root: Path) -> None:
    letter_day()
    letter = reminder_of("V-1", LETTER)
    before = reminders_state()

    refusals = []
    for attempt in (
        lambda: reminder_release(reminder=letter),
        lambda: reminder_dismiss(reminder=letter, reason="not needed"),
        lambda: reminder_dismiss(reminder=letter, reason=" "),
    ):
        with pytest.raises(ReminderError) as refusal:
            attempt()
        refusals.append(str(refusal.value))

    assert refusals == [
        f"{letter.key} is sent; only review, failed reminders can be released.",
        f"{letter.key} is sent; only planned, review, failed reminders can be dismissed.",
        "Say why the reminder is dismissed.",
    ]
    assert reminders_state() == before


def test_staff_dismiss_a_letter_in_review_with_a_reason(personas: Personas) -> None:
    world()
    reminders_plan(today=PLAN_DAY)
    letter = reminder_of("V-1", LETTER)
    Reminder.objects.filter(pk=letter.pk).update(status=ReminderStatus.REVIEW)

    dismissed = reminder_dismiss(reminder=letter, reason="Printed by hand", actor=personas.staff)

    assert (dismissed.status, dismissed.reason) == ("cancelled", "Dismissed: Printed by hand")
    assert events(dismissed) == [("cancelled", "Dismissed from review: Printed by hand")]


@pytest.mark.parametrize(
    ("language", "late_text", "on_time_text"),
    [
        (
            "de",
            "Dieses Schreiben erreicht Sie leider später als vorgesehen: Bis zum Vertragsende "
            "bleiben nur noch 40 Tage.",
            "rechtzeitig",
        ),
        (
            "en",
            "We regret that this letter reaches you later than planned: only 40 days remain "
            "until the contract ends.",
            "in good time",
        ),
    ],
)
def test_a_letter_caught_up_after_downtime_says_it_is_late_not_in_good_time(
    media_root: Path, language: str, late_text: str, on_time_text: str
) -> None:
    world(customer_language=language)
    reminders_plan(today=PLAN_DAY)
    reminders_dispatch(today=ADVANCE_DAY)
    caught_up = LETTER_DAY + dt.timedelta(days=5)  # down for five days; 40 days left

    reminders_dispatch(today=caught_up)

    letter = reminder_of("V-1", LETTER)
    with letter.document.file.open("rb") as stored:
        text = " ".join(pdf_text(stored.read()).split())
    assert (letter.status, letter.late, letter.sent_on) == ("sent", True, caught_up)
    assert late_text in text
    assert on_time_text not in text


def test_a_letter_sent_on_its_due_day_says_in_good_time(media_root: Path) -> None:
    letter_day(customer_language="en")

    letter = reminder_of("V-1", LETTER)
    with letter.document.file.open("rb") as stored:
        text = " ".join(pdf_text(stored.read()).split())
    assert letter.late is False
    assert "We are writing in good time" in text
    assert "later than planned" not in text
