"""The CLI: keycodes issue|show|check|revoke|rotate, certificate issue, compliance scan|report."""

from __future__ import annotations

import getpass
import io
import json
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from channeldesk.licensing.models import KeycodeReveal, RevealChannel
from tests.licensing.factories import enterprise_contract


def _run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_keycodes_commands(personas: Any) -> None:
    enterprise_contract(personas.partner_a, number="V-7")
    issued = json.loads(_run("keycodes", "issue", "V-7", "--format", "json"))[0]
    code = issued["code"]
    assert json.loads(_run("keycodes", "check", code.replace("-", " "), "--format", "json"))[
        "valid"
    ]
    symbols = code.replace("-", "")
    typo = symbols[:5] + ("1" if symbols[5] != "1" else "2") + symbols[6:]
    with pytest.raises(SystemExit) as exited:
        _run("keycodes", "check", typo, "--format", "json")
    assert exited.value.code == 1
    with pytest.raises(CommandError, match="keycode_exists"):
        _run("keycodes", "issue", "V-7")
    rotated = json.loads(_run("keycodes", "rotate", "V-7", "--reason", "leak", "--format", "json"))[
        0
    ]
    shown = json.loads(_run("keycodes", "show", "V-7", "--format", "json"))
    assert [row["code"] for row in shown] == [rotated["code"], code]
    _run("keycodes", "revoke", "V-7", "--reason", "end")
    with pytest.raises(CommandError, match="no active keycode"):
        _run("keycodes", "revoke", "V-7", "--reason", "again")
    with pytest.raises(CommandError, match="Unknown contract"):
        _run("keycodes", "issue", "V-404")


def test_every_keycode_the_command_line_shows_in_full_is_recorded(personas: Any) -> None:
    enterprise_contract(personas.partner_a, number="V-7")
    _run("keycodes", "issue", "V-7")
    _run("keycodes", "rotate", "V-7", "--reason", "leak")

    _run("keycodes", "show", "V-7")

    # issue (1), rotate (the new code, 1), show (both codes, 2); all through the command line.
    reveals = KeycodeReveal.objects.filter(keycode__contract__contract_number="V-7")
    assert reveals.count() == 4
    assert set(reveals.values_list("channel", "actor", "detail")) == {
        (RevealChannel.CLI, None, getpass.getuser())
    }


def test_check_says_why_in_words(personas: Any) -> None:
    out = io.StringIO()
    with pytest.raises(SystemExit):
        call_command("keycodes", "check", "ABCDE", stdout=out)
    assert "not valid (typo)" in out.getvalue()


def test_certificate_and_compliance_commands(personas: Any, tmp_path: Any) -> None:
    enterprise_contract(personas.partner_a, number="V-8")
    _run("keycodes", "issue", "V-8")
    target = tmp_path / "licence.cdl"
    assert "valid until" in _run("certificate", "issue", "V-8", "--output", str(target))
    assert target.read_text().startswith("CDLC1.")
    scan = json.loads(_run("compliance", "scan", "--date", "2026-11-27", "--format", "json"))
    assert scan["days"][0]["contracts"] == 1
    report = json.loads(_run("compliance", "report", "--format", "json"))
    assert report["customers"] == 1
    assert _run("compliance", "report", "--format", "csv").startswith("Contract number,")
    assert "customers under-licensed" in _run("compliance", "report")
