"""allauth, fitted to ChannelDesk: no public sign-up, sealed account e-mails through the outbox,
login throttles an attacker cannot use to lock the owner out, and staff keep a second factor.

Partners do not sign themselves up: the vendor creates a partner's first login and a partner
admin invites colleagues (`portal.accounts`). Password-reset and verification e-mails are stored
in the outbox like every other message (docs/outbox.md), so they are retried and never sent
inline from a request; the links and codes in them are **secrets** of the recipient, so the
outbox stores those e-mails sealed and shows everyone else a redacted copy
(`notifications.sealing`, docs/security-login.md).

With `STAFF_PASSWORD_LOGIN` off, vendor staff sign in only through the company's identity
provider (`portal.sso`, docs/sso.md): their password and passkey sign-ins are refused once the
password proved right, so the refusal tells nobody else that a login is staff. Superusers keep
their password (with their second factor) as the break-glass way in.
"""

from __future__ import annotations

import uuid
from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.internal.stagekit import clear_login
from allauth.core import context as allauth_context
from allauth.core.internal.ratelimit import get_ip
from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.mail import EmailMultiAlternatives
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from channeldesk.core.second_factor import SECOND_FACTOR_TYPES
from channeldesk.notifications.services import outbox_enqueue
from channeldesk.portal.sso import just_signed_in_through_provider, record_provider_second_factor

# What allauth puts into an e-mail's context that lets its reader act as the recipient: the
# reset link and its key, the e-mail confirmation link and key, sign-in and reset codes.
SECRET_CONTEXT_NAMES = ("password_reset_url", "activate_url", "key", "code", "token")


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return False

    def pre_login(
        self, request: HttpRequest, user: AbstractBaseUser, **kwargs: Any
    ) -> HttpResponse | None:
        """Refuse a staff login's local sign-in when staff sign in through the identity
        provider only; record a second factor the trusted provider proved (portal.sso)."""
        response = super().pre_login(request, user, **kwargs)
        if response is not None:
            return response
        sociallogin = (kwargs.get("signal_kwargs") or {}).get("sociallogin")
        if sociallogin is not None:
            record_provider_second_factor(request, user, sociallogin)
            return None
        if local_sign_in_allowed(user):
            return None
        clear_login(request)
        messages.error(
            request,
            gettext(
                "Vendor staff sign in with the company sign-in. The password sign-in is "
                "switched off for staff logins."
            ),
        )
        return HttpResponseRedirect(reverse("account_login"))

    def is_reauthentication_required(self, *, app: str, **kwargs: Any) -> bool:
        """A sign-in through the identity provider moments ago counts as confirmed: the
        login it made has no password to confirm (portal.sso)."""
        if just_signed_in_through_provider(allauth_context.request):
            return False
        return bool(super().is_reauthentication_required(app=app, **kwargs))

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


def local_sign_in_allowed(user: AbstractBaseUser) -> bool:
    """Password and passkey sign-in: for everyone unless STAFF_PASSWORD_LOGIN is off, then
    for partner users and superusers (break-glass) only."""
    if settings.STAFF_PASSWORD_LOGIN:
        return True
    return not getattr(user, "is_staff", False) or getattr(user, "is_superuser", False)


def mail_secrets(context: dict[str, Any]) -> list[str]:
    """The secrets in an allauth e-mail's context (see SECRET_CONTEXT_NAMES)."""
    return [str(context[name]) for name in SECRET_CONTEXT_NAMES if context.get(name)]


class MFAAdapter(DefaultMFAAdapter):
    def can_delete_authenticator(self, authenticator: Authenticator) -> bool:
        """Vendor staff must keep a second factor: not their last TOTP or passkey.

        A passkey counts as much as TOTP: staff with both may remove either, staff with one
        passkey and no TOTP may not remove it. allauth asks this when TOTP is switched off;
        a passkey's removal asks it through `core.second_factor.RemovePasskeyView`.
        """
        if not authenticator.user.is_staff or authenticator.type not in SECOND_FACTOR_TYPES:
            return True
        others = Authenticator.objects.filter(
            user_id=authenticator.user_id, type__in=SECOND_FACTOR_TYPES
        ).exclude(pk=authenticator.pk)
        return others.exists()
