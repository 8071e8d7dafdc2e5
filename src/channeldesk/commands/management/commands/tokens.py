"""`channeldesk tokens ...`: logins for other systems, each limited to one scope, and people's
personal API tokens.

- `create --name NAME --scope training|support|usage [--days N]`: prints the secret once;
- `create --user USERNAME --name NAME [--days N]`: a personal token that acts as that user, with
  that user's rights (scope `personal`); the secret is shown once too;
- `list`: every token with its scope, user, state and last use (never the secret);
- `revoke KEY_ID`: the token stops working at once.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError
from django.utils import timezone

from channeldesk.commands.console import SubcommandCommand, new_table, positive_int
from channeldesk.core.models import ServiceToken, TokenScope
from channeldesk.core.tokens import service_token_create, service_token_revoke


class Command(SubcommandCommand):
    help = "Create, list and revoke service tokens for the training company, phone system, etc."

    def add_actions(self, commands: Any) -> None:
        create = self.action(commands, "create", "Make a token; its secret is shown once.")
        create.add_argument("--name", required=True, help="Who uses it, e.g. the company.")
        create.add_argument(
            "--scope",
            choices=TokenScope.values,
            help="The system's scope; 'personal' (the default with --user) for a person.",
        )
        create.add_argument(
            "--user", help="A personal token for this user name: it acts with the user's rights."
        )
        create.add_argument("--days", type=positive_int, help="Expires after N days.")
        self.action(commands, "list", "Every token (without secrets).")
        revoke = self.action(commands, "revoke", "Stop a token working.", formats=False)
        revoke.add_argument("key_id")

    def do_create(self, options: dict[str, Any]) -> None:
        days = options["days"]
        expires = timezone.now() + dt.timedelta(days=days) if days else None
        user = None
        if options["user"]:
            user = get_user_model().objects.filter(username=options["user"]).first()
            if user is None:
                raise CommandError(f"No user {options['user']!r}.")
        scope = options["scope"] or (TokenScope.PERSONAL if user is not None else None)
        if scope is None:
            raise CommandError("Give --scope for a system's token, or --user for a personal one.")
        issued = service_token_create(
            name=options["name"], scope=scope, expires_at=expires, user=user
        )
        if self.format == "json":
            self.emit(self._row(issued.token) | {"secret": issued.secret})
            return
        self.stdout.write(f"Token {issued.token.key_id} for {issued.token.name}:")
        self.stdout.write(issued.secret)
        self.stdout.write("Keep it now: it is not stored and cannot be shown again.")

    def do_list(self, options: dict[str, Any]) -> None:
        rows = [self._row(token) for token in ServiceToken.objects.select_related("user")]
        if self.format == "json":
            self.emit(rows)
            return
        table = new_table("key id", "name", "scope", "user", "state", "last used")
        for row in rows:
            table.add_row(
                row["key_id"],
                row["name"],
                row["scope"],
                row["user"],
                row["state"],
                row["last_used_at"],
            )
        self.console.print(table)

    def do_revoke(self, options: dict[str, Any]) -> None:
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
            "user": token.user.get_username() if token.user is not None else "",
            "state": state,
            "expires_at": token.expires_at.isoformat() if token.expires_at else "",
            "last_used_at": token.last_used_at.isoformat() if token.last_used_at else "",
        }
