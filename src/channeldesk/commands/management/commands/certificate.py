"""`channeldesk certificate issue CONTRACT [--output FILE]`: a signed licence certificate for an
offline or air-gapped site. It prints the token (or writes it to FILE); `--format json` prints
the token with its content and the vendor's public key."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import CommandError

from channeldesk.commands.console import SubcommandCommand
from channeldesk.contracts.models import Contract
from channeldesk.licensing.keys import key_material
from channeldesk.licensing.services import certificate_issue


class Command(SubcommandCommand):
    help = "Issue a signed licence certificate for a contract."
    error_codes_shown = True

    def add_actions(self, commands: Any) -> None:
        issue = self.action(commands, "issue", "Issue a certificate.")
        issue.add_argument("contract")
        issue.add_argument("--output", type=Path, help="Write the token to this file.")

    def do_issue(self, options: dict[str, Any]) -> None:
        contract = Contract.objects.filter(contract_number=options["contract"]).first()
        if contract is None:
            raise CommandError(f"Unknown contract number {options['contract']}.")
        certificate = certificate_issue(contract=contract)
        if options["output"]:
            options["output"].write_text(certificate.token + "\n")
        if self.format == "json":
            self.emit(
                {
                    "certificate": certificate.token,
                    "content": certificate.body,
                    "key_id": certificate.signing_key_id,
                    "public_key": key_material().public_key_base64,
                }
            )
        elif not options["output"]:
            self.stdout.write(certificate.token)
        else:
            self.stdout.write(
                f"{options['output']}: certificate for {contract.contract_number}, "
                f"valid until {certificate.valid_until.isoformat()}."
            )
