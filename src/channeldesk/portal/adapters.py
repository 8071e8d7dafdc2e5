"""allauth, fitted to ChannelDesk: no public sign-up, and account e-mails go through the outbox.

Partners do not sign themselves up: the vendor creates a partner's first login and a partner
admin invites colleagues (`portal.accounts`). Password-reset and verification e-mails are stored
in the outbox like every other message (docs/outbox.md), so they are retried, visible to staff
and never sent inline from a request.
"""

from __future__ import annotations

import uuid
from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from django.core.mail import EmailMultiAlternatives
from django.http import HttpRequest
from django.utils import translation

from channeldesk.notifications.services import outbox_enqueue


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return False

    def send_mail(self, template_prefix: str, email: str, context: dict[str, Any]) -> None:
        request = context.get("request")
        message = self.render_mail(
            template_prefix, email, {"email": email, "request": request, **context}
        )
        html = ""
        if isinstance(message, EmailMultiAlternatives):
            html = next(
                (str(content) for content, kind in message.alternatives if kind == "text/html"),
                "",
            )
        outbox_enqueue(
            # Each request for a reset or verification is its own message.
            key=f"account:{template_prefix.rsplit('/', 1)[-1]}:{uuid.uuid4()}",
            to=list(message.to),
            subject=" ".join(str(message.subject).split()),
            text=str(message.body),
            html=html,
            language=translation.get_language() or "",
            category="account",
        )
