"""allauth, fitted to ChannelDesk: no public sign-up, sealed account e-mails through the outbox,
login throttles an attacker cannot use to lock the owner out, and staff keep a second factor.

Partners do not sign themselves up: the vendor creates a partner's first login and a partner
admin invites colleagues (`portal.accounts`). Password-reset and verification e-mails are stored
in the outbox like every other message (docs/outbox.md), so they are retried and never sent
inline from a request; the links and codes in them are **secrets** of the recipient, so the
outbox stores those e-mails sealed and shows everyone else a redacted copy
(`notifications.sealing`, docs/security-login.md).
"""

from __future__ import annotations

import uuid
from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.internal.ratelimit import get_ip
from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.mfa.models import Authenticator
from django.core.mail import EmailMultiAlternatives
from django.http import HttpRequest
from django.utils import translation

from channeldesk.core.second_factor import SECOND_FACTOR_TYPES
from channeldesk.notifications.services import outbox_enqueue

# What allauth puts into an e-mail's context that lets its reader act as the recipient: the
# reset link and its key, the e-mail confirmation link and key, sign-in and reset codes.
SECRET_CONTEXT_NAMES = ("password_reset_url", "activate_url", "key", "code", "token")


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
            secrets=mail_secrets(context),
        )

    def _get_login_attempts_cache_key(self, request: HttpRequest, **credentials: Any) -> str:
        """Failed logins count per login **and address**, so nobody locks the owner out.

        allauth's per-login limit (`login_failed`, "…/key") would otherwise count every
        address together: ten wrong passwords from anywhere lock the owner out of the account.
        Keyed by login and client address, an attacker exhausts only their own address's
        allowance; the per-address limit (`…/ip`) still bounds what one address may try
        across all logins, and the second factor guards what a guessed password opens.
        """
        login_key = super()._get_login_attempts_cache_key(request, **credentials)
        # allauth's own reading of the address: IPv6 cut to its /64, as for the "/ip" limits,
        # so one host cannot rotate through its network's addresses.
        return f"{login_key}@{get_ip(request)}"


def mail_secrets(context: dict[str, Any]) -> list[str]:
    """The secrets in an allauth e-mail's context (see SECRET_CONTEXT_NAMES)."""
    return [str(context[name]) for name in SECRET_CONTEXT_NAMES if context.get(name)]


class MFAAdapter(DefaultMFAAdapter):
    def can_delete_authenticator(self, authenticator: Authenticator) -> bool:
        """Vendor staff must keep a second factor: not their last TOTP or passkey."""
        if not authenticator.user.is_staff or authenticator.type not in SECOND_FACTOR_TYPES:
            return True
        others = Authenticator.objects.filter(
            user_id=authenticator.user_id, type__in=SECOND_FACTOR_TYPES
        ).exclude(pk=authenticator.pk)
        return others.exists()
