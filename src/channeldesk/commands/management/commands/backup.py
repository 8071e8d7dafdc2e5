"""`channeldesk backup check [--format json]`: after a restore, does the copy hold together?

Run it against the restored database, document storage and keys before the installation goes
back into service (docs/backups.md, "Restoring"): statements total to the cent, keycodes
verify, certificates verify with the restored signing key, every letter opens as stored. It
reads only, and never makes licence keys (a missing key file is reported, not created). Exit
status 1 with the problems when anything is off.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from django.core.management.base import CommandError

from channeldesk.commands.console import SubcommandCommand, new_table


class Command(SubcommandCommand):
    help = "Check a restored installation: statements, keycodes, certificates, documents."

    def add_actions(self, commands: Any) -> None:
        self.action(commands, "check", "Check the restored database, storage, keys.")

    def do_check(self, options: dict[str, Any]) -> None:
        from channeldesk.commands.restore_checks import restore_check  # noqa: PLC0415 (start-up cost: commands/console.py)

        result = restore_check()
        if self.format == "json":
            self.emit(
                {"intact": result.intact, "checks": [asdict(check) for check in result.checks]}
            )
        else:
            table = new_table("check", "checked", "problems", "details")
            for check in result.checks:
                table.add_row(
                    check.name, str(check.checked), str(check.problem_count), check.figure
                )
            self.console.print(table)
            for check in result.checks:
                for problem in check.problems:
                    self.console.print(f"{check.name}: {problem}", markup=False)
        if not result.intact:
            count = sum(check.problem_count for check in result.checks)
            raise CommandError(f"The restored copy has {count} problem(s); see above.")
