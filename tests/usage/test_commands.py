"""`channeldesk usage ...`: import all or nothing, rate, close, statements out."""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from channeldesk.usage.closing import period_close
from channeldesk.usage.models import Statement, Subscription, UsageEvent
from tests.usage.factories import after_grace

pytestmark = pytest.mark.django_db


def _run(*args: str) -> str:
    out = io.StringIO()
    call_command("usage", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def _jsonl(path: Path, items: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(item) + "\n" for item in items), encoding="utf-8")
    return path


def _item(event_id: str, day: int, user: str = "u1") -> dict[str, Any]:
    return {
        "event_id": event_id,
        "subscription_key": "SUB-A",
        "user_key": user,
        "occurred_at": f"2026-10-{day:02d}T09:00:00+02:00",
    }


def test_import_jsonl_twice_stores_each_event_once(
    subscription: Subscription, tmp_path: Path
) -> None:
    path = _jsonl(tmp_path / "events.jsonl", [_item(f"e{i}", 1 + i % 9) for i in range(25)])

    first = _run("import", str(path))
    second = _run("import", str(path))

    assert "25 events stored, 0 duplicates" in first
    assert "0 events stored, 25 duplicates" in second
    assert UsageEvent.objects.count() == 25


def test_import_csv(subscription: Subscription, tmp_path: Path) -> None:
    path = tmp_path / "events.csv"
    path.write_text(
        "event_id,subscription_key,user_key,occurred_at,quantity\n"
        "c1,SUB-A,u1,2026-10-01T09:00:00+02:00,2\n"
        "c2,SUB-A,u2,2026-10-01T10:00:00+02:00,\n",
        encoding="utf-8",
    )

    _run("import", str(path))

    assert list(UsageEvent.objects.order_by("event_id").values_list("event_id", "quantity")) == [
        ("c1", 2),
        ("c2", 1),
    ]


def test_a_file_with_one_bad_line_imports_nothing(
    subscription: Subscription, tmp_path: Path
) -> None:
    items = [_item("e1", 1), {**_item("e2", 2), "occurred_at": "gestern"}, _item("e3", 3)]
    path = _jsonl(tmp_path / "bad.jsonl", items)
    errors = io.StringIO()

    with pytest.raises(CommandError, match="rejected with 1 problems; nothing was imported"):
        call_command("usage", "import", str(path), stdout=io.StringIO(), stderr=errors)

    # The CLI speaks the default language, German.
    assert f"{path}:2: occurred_at: kein Datum mit Uhrzeit nach ISO 8601." in errors.getvalue()
    assert UsageEvent.objects.count() == 0


def test_rate_close_and_export_a_statement(
    subscription: Subscription, tmp_path: Path, media_root: Path
) -> None:
    _run("import", str(_jsonl(tmp_path / "e.jsonl", [_item("e1", 1), _item("e2", 2, "u2")])))

    rated = _run("rate", "--month", "2026-10")
    period_close(month=dt.date(2026, 10, 1), now=after_grace())
    listing = _run("statement", "list", "--format", "json")
    number = Statement.objects.get().number
    shown = _run("statement", "show", number, "--format", "csv")
    pdf, evidence = tmp_path / "s.pdf", tmp_path / "evidence.csv"
    _run("statement", "export", number, "--pdf", str(pdf), "--evidence", str(evidence))

    assert "2026-10: 1 subscriptions, 1 lines, 2 units, net 0.75 EUR." in rated
    assert json.loads(listing)["net_total"] == "0.75"
    assert shown.splitlines()[1].endswith(",2,0.50,Silver Partner,25.00,1.00,0.75")
    assert pdf.read_bytes().startswith(b"%PDF")
    assert evidence.read_text().splitlines()[1:] == [
        "V-SUB-A,K-SUB-A,2026-10,2026-10-01,u1,1",
        "V-SUB-A,K-SUB-A,2026-10,2026-10-02,u2,1",
    ]


def test_close_in_the_grace_period_is_an_error(subscription: Subscription) -> None:
    with pytest.raises(CommandError, match="grace_period"):
        _run("close", "--month", "2099-01")
