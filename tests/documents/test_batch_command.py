"""`channeldesk letters batch`: where the day's print batch is written."""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from channeldesk.contracts.reminders.dispatch import reminders_dispatch
from channeldesk.contracts.reminders.planning import reminders_plan
from tests.contracts.reminders_world import ADVANCE_DAY, LETTER_DAY, PLAN_DAY, world

pytestmark = pytest.mark.django_db

BATCH = f"letters-{LETTER_DAY.isoformat()}.pdf"


@pytest.fixture
def letters_sent(media_root: Path) -> None:
    """One renewal letter sent on LETTER_DAY."""
    world()
    reminders_plan(today=PLAN_DAY)
    reminders_dispatch(today=ADVANCE_DAY)
    reminders_dispatch(today=LETTER_DAY)


@pytest.fixture
def var_dir(settings: Any, tmp_path: Path) -> Path:
    settings.VAR_DIR = tmp_path / "var"
    return Path(settings.VAR_DIR)


@pytest.fixture
def elsewhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working directory of its own, to see that nothing lands in it."""
    directory = tmp_path / "cwd"
    directory.mkdir()
    monkeypatch.chdir(directory)
    return directory


def batch(*arguments: str) -> str:
    out = io.StringIO()
    call_command("letters", "batch", "--date", LETTER_DAY.isoformat(), *arguments, stdout=out)
    return out.getvalue()


def test_the_batch_goes_into_the_letters_directory_of_the_data_directory(
    letters_sent: None, var_dir: Path, elsewhere: Path
) -> None:
    # When the batch is written without --output
    output = batch()

    # Then it is in var/letters/, readable by the owner only, and not in the working directory
    target = var_dir / "letters" / BATCH
    assert target.read_bytes().startswith(b"%PDF-")
    assert output.startswith(f"{target}: 1 letter(s), 1 page(s), ")
    assert os.stat(var_dir / "letters").st_mode & 0o777 == 0o700
    assert list(elsewhere.iterdir()) == []


def test_output_naming_a_directory_puts_the_batch_into_it(
    letters_sent: None, var_dir: Path, elsewhere: Path, tmp_path: Path
) -> None:
    directory = tmp_path / "mailing-house"
    directory.mkdir()

    batch("--output", str(directory))

    assert [path.name for path in directory.iterdir()] == [BATCH]
    assert not (var_dir / "letters").exists()
    assert list(elsewhere.iterdir()) == []


def test_a_day_without_letters_writes_nothing_into_the_letters_directory(
    media_root: Path, var_dir: Path, elsewhere: Path
) -> None:
    with pytest.raises(CommandError, match="no batch written"):
        batch()

    assert list((var_dir / "letters").iterdir()) == []
    assert list(elsewhere.iterdir()) == []


def test_a_letter_missing_from_the_storage_is_named_and_no_batch_is_written(
    letters_sent: None, var_dir: Path, elsewhere: Path, settings: Any, tmp_path: Path
) -> None:
    # Given the documents are looked for in another data directory than they were stored in
    # (an installed package once took ./var of whatever folder it was started from)
    settings.MEDIA_ROOT = tmp_path / "other-var" / "media"

    # When the batch is bound
    with pytest.raises(CommandError) as refusal:
        batch()

    # Then the command names the letter and the storage, and writes nothing
    message = str(refusal.value)
    assert message.startswith("The file of document reminder:")
    assert f"is not in the document storage (directory {settings.MEDIA_ROOT})" in message
    assert message.endswith("No batch written.")
    assert list((var_dir / "letters").iterdir()) == []
    assert list(elsewhere.iterdir()) == []


def test_output_in_a_missing_directory_is_refused_before_anything_is_read(
    media_root: Path, var_dir: Path, tmp_path: Path
) -> None:
    missing = tmp_path / "no-such-folder" / "batch.pdf"

    with pytest.raises(CommandError, match=r"the directory .*no-such-folder does not exist"):
        batch("--output", str(missing))

    assert not missing.parent.exists()
