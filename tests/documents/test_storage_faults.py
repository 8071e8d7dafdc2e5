"""Letter storage not writable: the letter goes to review, the run goes on with the others, and
once the storage is back a release sends the letter (rendered then, never twice)."""

from __future__ import annotations

import os
import stat
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.core.files.storage import FileSystemStorage

from channeldesk.contracts.models import ReminderStatus
from channeldesk.contracts.reminders.dispatch import reminders_dispatch
from channeldesk.contracts.reminders.planning import reminders_plan
from channeldesk.contracts.reminders.selectors import reminder_letters_sent_on
from channeldesk.contracts.reminders.services import reminder_release
from channeldesk.documents.models import Document
from channeldesk.documents.services import DocumentStorageUnavailable, letter_store
from channeldesk.notifications.models import OutboxMessage
from tests.contracts.reminders_world import (
    ADVANCE_DAY,
    LETTER_DAY,
    PLAN_DAY,
    events,
    reminder_of,
    world,
)
from tests.documents.factories import renewal_letter, stored_files

pytestmark = pytest.mark.django_db

LETTER, COPY = "renewal_letter", "partner_letter_copy"


@dataclass
class Unwritable:
    """A document directory the process cannot write into, and how the operator fixes it."""

    root: Path
    fix: Callable[[], Path]


def _read_only_directory(root: Path) -> Iterator[Unwritable]:
    """Mode 0500 for an ordinary user; root, whom modes do not stop, gets a read-only bind
    mount of the directory instead (EROFS), or the case is skipped where it cannot mount."""
    root.mkdir()
    if os.geteuid() != 0:

        def make_writable() -> Path:
            root.chmod(stat.S_IRWXU)
            return root

        root.chmod(stat.S_IRUSR | stat.S_IXUSR)
        try:
            yield Unwritable(root, fix=make_writable)
        finally:
            make_writable()
        return
    mounting = subprocess.run(
        ["mount", "--bind", "-o", "ro", str(root), str(root)],
        capture_output=True,
        check=False,
    )
    if mounting.returncode != 0:
        pytest.skip(f"root cannot mount read-only here: {mounting.stderr!r}")

    # os.path.ismount cannot tell a bind mount on the same file system: remember it.
    mounted = {"now": True}

    def unmount() -> Path:
        if mounted["now"]:
            subprocess.run(["umount", str(root)], check=True)
            mounted["now"] = False
        return root

    try:
        yield Unwritable(root, fix=unmount)
    finally:
        unmount()


@pytest.fixture(params=["read-only directory", "path through a file"])
def unwritable(request: Any, settings: Any, tmp_path: Path) -> Iterator[Unwritable]:
    """A real document directory the process cannot write into: read-only (see above), or a
    MEDIA_ROOT below a regular file (ENOTDIR, for any user)."""
    if request.param == "read-only directory":
        settings.MEDIA_ROOT = tmp_path / "media"
        yield from _read_only_directory(tmp_path / "media")
        return
    blocker = tmp_path / "not-a-directory"
    blocker.write_bytes(b"")
    settings.MEDIA_ROOT = blocker / "media"

    def elsewhere() -> Path:
        settings.MEDIA_ROOT = tmp_path / "media-fixed"
        return Path(settings.MEDIA_ROOT)

    yield Unwritable(blocker / "media", fix=elsewhere)  # noqa: PT022 - the other case tears down


def test_a_letter_the_storage_refuses_goes_to_review_and_is_sent_after_release(
    unwritable: Unwritable,
) -> None:
    # Given two contracts whose customer letters fall due today, and a storage that refuses
    world(number="V-1", customer_number="K-1")
    world(number="V-2", customer_number="K-2")
    reminders_plan(today=PLAN_DAY)
    reminders_dispatch(today=ADVANCE_DAY)

    # When the day's run sends the letters
    report = reminders_dispatch(today=LETTER_DAY)

    # Then both letters are in review with the reason, nothing is archived or printed, the
    # run finished (the partners' copies wait for the letters), and nothing was lost
    assert report.review == 2
    assert report.sent == 0
    for number in ("V-1", "V-2"):
        letter = reminder_of(number, LETTER)
        assert letter.status == ReminderStatus.REVIEW
        assert letter.reason == "The letter storage did not take the letter."
        kind, detail = events(letter)[-1]
        assert kind == "review"
        assert detail.startswith(f"The document storage did not take the letter {letter.key}:")
        assert reminder_of(number, COPY).status == ReminderStatus.PLANNED
    assert Document.objects.count() == 0
    assert not reminder_letters_sent_on(day=LETTER_DAY).exists()

    # When the storage is writable again and staff release the letters
    media = unwritable.fix()
    for number in ("V-1", "V-2"):
        reminder_release(reminder=reminder_of(number, LETTER))
    again = reminders_dispatch(today=LETTER_DAY)

    # Then each letter is archived once and sent, and the copies go out with it
    assert again.sent == 4
    assert {reminder_of(n, LETTER).status for n in ("V-1", "V-2")} == {ReminderStatus.SENT}
    assert len(stored_files(media)) == 2
    assert reminder_letters_sent_on(day=LETTER_DAY).count() == 2
    assert OutboxMessage.objects.filter(attachments__isnull=False).count() == 2


class RefusesFirstSave(FileSystemStorage):
    """A file-system storage that fails its first write as a full disk would."""

    refused: list[str] = []

    def _save(self, name: str, content: Any) -> str:
        if not RefusesFirstSave.refused:
            RefusesFirstSave.refused.append(name)
            raise OSError(28, "No space left on device", str(Path(self.location) / name))
        return super()._save(name, content)


@pytest.fixture
def storage_refusing_once(settings: Any, tmp_path: Path) -> Path:
    RefusesFirstSave.refused = []
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": f"{__name__}.RefusesFirstSave"},
    }
    return Path(settings.MEDIA_ROOT)


def test_the_run_goes_on_with_the_other_letters(storage_refusing_once: Path) -> None:
    # Given three customer letters due today, and a storage that fails the first write
    for number in (1, 2, 3):
        world(number=f"V-{number}", customer_number=f"K-{number}")
    reminders_plan(today=PLAN_DAY)
    reminders_dispatch(today=ADVANCE_DAY)

    # When the day's run sends them
    report = reminders_dispatch(today=LETTER_DAY)

    # Then the first goes to review and the other two (with their copies) are sent
    statuses = {n: reminder_of(f"V-{n}", LETTER).status for n in (1, 2, 3)}
    assert sorted(statuses.values()) == ["review", "sent", "sent"]
    assert (report.review, report.sent) == (1, 4)
    assert Document.objects.count() == 2
    assert len(stored_files(storage_refusing_once)) == 2
    [in_review] = [number for number, status in statuses.items() if status == "review"]
    _, detail = events(reminder_of(f"V-{in_review}", LETTER))[-1]
    assert "No space left on device" in detail


def test_letter_store_says_the_storage_refused_and_stores_no_row(unwritable: Unwritable) -> None:
    with pytest.raises(DocumentStorageUnavailable, match="did not take the letter reminder:1"):
        letter_store(
            letter=renewal_letter(), kind="renewal", reference="V-2026-0042", key="reminder:1"
        )

    assert Document.objects.count() == 0
