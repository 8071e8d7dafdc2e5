"""`channeldesk backup check`: each check passes on an intact copy and names what is off."""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from channeldesk.documents.services import letter_store
from channeldesk.licensing.services import certificate_issue, keycode_issue
from channeldesk.usage.models import Statement
from tests.documents.factories import renewal_letter
from tests.licensing.factories import enterprise_contract
from tests.personas import Personas
from tests.usage.worlds import october_statements

pytestmark = [pytest.mark.django_db, pytest.mark.today("2026-12-07")]


@pytest.fixture
def installation(settings: Any, tmp_path: Path, personas: Personas) -> Path:
    """Statements, a keycode and a certificate from a key file, one letter."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.LICENSING_KEY_FILE = tmp_path / "licensing-keys.json"
    settings.LICENSING_KEYCODE_KEYS = ""
    settings.LICENSING_SIGNING_KEY = ""
    settings.LICENSING_KEYCODE_RETIRED_KEY_IDS = []
    october_statements(personas.partner_a, personas.partner_b)
    contract = enterprise_contract(personas.partner_a, number="V-B1")
    keycode_issue(contract=contract)
    certificate_issue(contract=contract)
    letter_store(letter=renewal_letter(), kind="renewal", reference="V-B1", key="check:1")
    return tmp_path


def check() -> tuple[dict[str, dict[str, Any]], bool]:
    out = io.StringIO()
    intact = True
    try:
        call_command("backup", "check", "--format", "json", stdout=out)
    except CommandError:
        intact = False
    report = json.loads(out.getvalue())
    assert report["intact"] is intact
    return {item["name"]: item for item in report["checks"]}, intact


def test_an_intact_installation_passes_every_check(installation: Path) -> None:
    report, intact = check()

    assert intact
    assert {name: item["checked"] for name, item in report.items()} == {
        "keys": 2,
        "statements": 2,
        "keycodes": 1,
        "certificates": 1,
        "documents": 1,
    }
    net = sum(statement.net_total for statement in Statement.objects.all())
    assert report["statements"]["figure"] == f"net total of all statements {net:.2f} EUR"


def test_a_statement_whose_lines_do_not_add_up_is_named(installation: Path) -> None:
    statement = Statement.objects.order_by("number").first()
    assert statement is not None
    Statement.objects.filter(pk=statement.pk).update(net_total=statement.net_total + 1)

    report, intact = check()

    assert not intact
    assert report["statements"]["problems"] == [
        f"Statement {statement.number}: the lines add up to {statement.net_total:.2f} EUR net, "
        f"the statement says {statement.net_total + 1:.2f} EUR."
    ]


def test_a_signing_key_other_than_the_one_that_signed_fails_the_certificates(
    installation: Path, settings: Any
) -> None:
    # A key file from another installation (same key id and keycode secrets, another key).
    stored = json.loads(Path(settings.LICENSING_KEY_FILE).read_text())
    stored["signing_key"] = base64.b64encode(bytes(range(32))).decode()
    other = installation / "other-keys.json"
    other.write_text(json.dumps(stored))
    settings.LICENSING_KEY_FILE = other

    report, intact = check()

    assert not intact
    assert report["certificates"]["problem_count"] == 1
    assert "does not verify: the signature does not verify" in report["certificates"]["problems"][0]


def test_a_missing_key_file_stops_the_check_and_makes_no_keys(
    installation: Path, settings: Any
) -> None:
    Path(settings.LICENSING_KEY_FILE).unlink()
    settings.LICENSING_KEY_FILE = Path(settings.LICENSING_KEY_FILE)

    report, intact = check()

    assert not intact
    assert list(report) == ["keys"]
    assert "is missing: restore it" in report["keys"]["problems"][0]
    assert not Path(settings.LICENSING_KEY_FILE).exists()
