"""`channeldesk tokens ...`: logins for other systems, each limited to one scope.

- `create --name NAME --scope training|support|usage [--days N]`: prints the secret once;
- `list`: every token with its scope, state and last use (never the secret);
- `revoke KEY_ID`: the token stops working at once.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from rich.table import Table

from channeldesk.commands.console import FORMATS, out_console, positive_int, to_json
from channeldesk.core.models import ServiceToken, TokenScope
from channeldesk.core.tokens import service_token_create, service_token_revoke


class Command(BaseCommand):
    help = "Create, list and revoke service tokens for the training company, phone system, etc."

    def add_arguments(self, parser: CommandParser) -> None:
        commands = parser.add_subparsers(dest="action", required=True, parser_class=CommandParser)
        create = commands.add_parser("create", help="Make a token; its secret is shown once.")
        create.add_argument("--name", required=True, help="Who uses it, e.g. the company.")
        create.add_argument("--scope", required=True, choices=TokenScope.values)
        create.add_argument("--days", type=positive_int, help="Expires after N days.")
        create.add_argument("--format", choices=FORMATS, default="table")
        listing = commands.add_parser("list", help="Every token (without secrets).")
        listing.add_argument("--format", choices=FORMATS, default="table")
        revoke = commands.add_parser("revoke", help="Stop a token working.")
        revoke.add_argument("key_id")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "create":
            days = options["days"]
            expires = timezone.now() + dt.timedelta(days=days) if days else None
            issued = service_token_create(
                name=options["name"], scope=options["scope"], expires_at=expires
            )
            if options["format"] == "json":
                self.stdout.write(to_json(self._row(issued.token) | {"secret": issued.secret}))
                return
            self.stdout.write(f"Token {issued.token.key_id} for {issued.token.name}:")
            self.stdout.write(issued.secret)
            self.stdout.write("Keep it now: it is not stored and cannot be shown again.")
        elif action == "list":
            rows = [self._row(token) for token in ServiceToken.objects.all()]
            if options["format"] == "json":
                self.stdout.write(to_json(rows))
                return
            table = Table("key id", "name", "scope", "state", "last used")
            for row in rows:
                table.add_row(
                    row["key_id"], row["name"], row["scope"], row["state"], row["last_used_at"]
                )
            out_console(self.stdout).print(table)
        else:
            try:
                token = service_token_revoke(key_id=options["key_id"])
            except ServiceToken.DoesNotExist:
                raise CommandError(f"No token with key id {options['key_id']!r}.") from None
            self.stdout.write(f"Token {token.key_id} ({token.name}) is revoked.")

    @staticmethod
    def _row(token: ServiceToken) -> dict[str, Any]:
        now = timezone.now()
        if token.revoked_at:
            state = "revoked"
        elif token.expires_at and token.expires_at <= now:
            state = "expired"
        else:
            state = "active"
        return {
            "key_id": token.key_id,
            "name": token.name,
            "scope": token.scope,
            "state": state,
            "expires_at": token.expires_at.isoformat() if token.expires_at else "",
            "last_used_at": token.last_used_at.isoformat() if token.last_used_at else "",
        }
