"""`channeldesk keycodes ...`: the licence keycodes of enterprise contracts.

- `issue CONTRACT`: the contract's keycode (refused when it has one: rotate it instead);
- `show CONTRACT`: its keycodes, the active one first, with the full codes;
- `check CODE`: valid, or exactly why not (typo, unknown, revoked, other key, expired, contract
  ended); exits with status 1 when the code is not valid, so scripts can use it;
- `revoke CONTRACT --reason TEXT`: revoke the active keycode;
- `rotate CONTRACT --reason TEXT`: revoke it and issue a new one (installations move along).
"""

from __future__ import annotations

import getpass
import sys
from typing import Any

from django.core.management.base import CommandError

from channeldesk.commands.console import SubcommandCommand, new_table
from channeldesk.contracts.models import Contract
from channeldesk.licensing.models import Keycode, KeycodeStatus, RevealChannel
from channeldesk.licensing.reports import keycode_report
from channeldesk.licensing.services import (
    keycode_check,
    keycode_issue,
    keycode_reveal,
    keycode_revoke,
    keycode_rotate,
)


def _contract(number: str) -> Contract:
    contract = Contract.objects.filter(contract_number=number).first()
    if contract is None:
        raise CommandError(f"Unknown contract number {number}.")
    return contract


def _active(contract: Contract) -> Keycode:
    keycode = Keycode.objects.filter(contract=contract, status=KeycodeStatus.ACTIVE).first()
    if keycode is None:
        raise CommandError(f"{contract.contract_number} has no active keycode.")
    return keycode


def keycode_row(keycode: Keycode) -> dict[str, Any]:
    """The keycode as shown on the command line: the whole code, so the reveal is recorded."""
    code = keycode_reveal(
        keycode=keycode, actor=None, channel=RevealChannel.CLI, detail=getpass.getuser()
    )
    return keycode_report(keycode, code=code)


class Command(SubcommandCommand):
    help = "Issue, show, check, revoke and rotate licence keycodes."
    error_codes_shown = True

    def add_actions(self, commands: Any) -> None:
        self.action(commands, "issue", "Issue the contract's keycode.").add_argument("contract")
        self.action(commands, "show", "The contract's keycodes.").add_argument("contract")
        check = self.action(commands, "check", "Is this keycode valid? Why not?")
        check.add_argument("code", nargs="+", help="The code (spaces and missing dashes are fine).")
        for name, text in (("revoke", "Revoke the active keycode."), ("rotate", "Replace it.")):
            change = self.action(commands, name, text)
            change.add_argument("contract")
            change.add_argument("--reason", required=True, help="Why (kept with the keycode).")

    def show_rows(self, rows: list[dict[str, Any]]) -> None:
        if self.format == "json":
            self.emit(rows)
            return
        table = new_table("code", "contract", "key id", "status", "issued", "revoked", "reason")
        for row in rows:
            table.add_row(
                row["code"],
                row["contract_number"],
                str(row["key_id"]),
                row["status"],
                row["issued_at"][:19],
                (row["revoked_at"] or "")[:19],
                row["revocation_reason"],
            )
        self.console.print(table)

    def do_issue(self, options: dict[str, Any]) -> None:
        issued = keycode_issue(contract=_contract(options["contract"]))
        self.show_rows([keycode_row(issued.keycode)])

    def do_show(self, options: dict[str, Any]) -> None:
        contract = _contract(options["contract"])
        keycodes = sorted(
            Keycode.objects.filter(contract=contract).select_related("contract"),
            key=lambda item: (item.status != KeycodeStatus.ACTIVE, -item.pk),
        )
        if not keycodes:
            raise CommandError(f"{contract.contract_number} has no keycode.")
        self.show_rows([keycode_row(keycode) for keycode in keycodes])

    def do_check(self, options: dict[str, Any]) -> None:
        text = " ".join(options["code"])
        check = keycode_check(text=text)
        document = {
            "valid": check.valid,
            "reason": check.reason or None,
            "message": check.message,
            "contract_number": check.contract.contract_number if check.contract else None,
        }
        if self.format == "json":
            self.emit(document)
        elif check.valid:
            self.console.print(f"valid: {document['contract_number']} — {check.message}")
        else:
            self.console.print(f"not valid ({check.reason}): {check.message}")
        if not check.valid:
            sys.exit(1)

    def do_revoke(self, options: dict[str, Any]) -> None:
        keycode = keycode_revoke(
            keycode=_active(_contract(options["contract"])), reason=options["reason"]
        )
        self.show_rows([keycode_row(keycode)])

    def do_rotate(self, options: dict[str, Any]) -> None:
        issued = keycode_rotate(
            keycode=_active(_contract(options["contract"])), reason=options["reason"]
        )
        self.show_rows([keycode_row(issued.keycode)])
