"""Single sign-on for vendor staff: who may sign in through the company's identity provider
(OpenID Connect, allauth's `openid_connect`), and which staff roles that gives (docs/sso.md).

The identity provider decides who is vendor staff. On every sign-in through it:

1. The staff roles come from one claim (`OIDC_ROLES_CLAIM`, in the ID token or the userinfo
   answer) through `OIDC_STAFF_ROLES` (claim value → "channel manager" or "support desk").
2. No staff role: the sign-in is **refused** and no login is made. A login linked to the
   provider before loses `is_staff` and its staff roles there and then (its open sessions lose
   the back office with their next request), so removing someone at the provider is enough.
3. Otherwise the login is found: the one linked to the provider before, else the staff login
   whose e-mail address the provider verified (it is linked now), else a new login is made.
   Superusers (the break-glass logins) and partner users are never signed in this way, nor is
   any other existing login that is not staff: refused, nothing changes.
4. The login gets `is_staff` and exactly the mapped staff roles (a role removed at the
   provider is removed here); its other groups stay as they are.

allauth then records the sign-in step and runs its stages: a login with a second factor is
asked for it as after a password; a staff login without one must set it up
(`core.second_factor`). With `OIDC_TRUST_IDP_MFA`, an ID token whose `amr` or `acr` proves a
second factor at the provider is recorded as the second-factor step as well
(`record_provider_second_factor`).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from typing import Any

from allauth.account import app_settings as account_settings
from allauth.account.authentication import get_authentication_records
from allauth.account.internal.flows.login import record_authentication
from allauth.account.models import EmailAddress
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.models import SocialLogin
from allauth.socialaccount.providers.base import AuthProcess
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AbstractUser, Group
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.http import HttpRequest, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext_lazy

from channeldesk.core.errors import DomainError
from channeldesk.core.roles import CHANNEL_MANAGER, SUPPORT_DESK
from channeldesk.core.second_factor import IDENTITY_PROVIDER_FACTOR, SECOND_FACTOR_METHOD

STAFF_ROLES = (CHANNEL_MANAGER, SUPPORT_DESK)
# The `type` of the second-factor step a trusted provider proved (core/second_factor.py reads
# the `mfa` steps of the session).
PROVIDER_SECOND_FACTOR_TYPE = IDENTITY_PROVIDER_FACTOR

REFUSALS = {
    "not_staff": gettext_lazy(
        "Your company account holds no ChannelDesk staff role, so it gives no access here. "
        "Partner users sign in with their e-mail address and password."
    ),
    "not_linkable": gettext_lazy(
        "This ChannelDesk login cannot be used with your company sign-in. Please ask the "
        "ChannelDesk administrators."
    ),
    "unverified_email": gettext_lazy(
        "Your company sign-in did not confirm your e-mail address, so it cannot be matched "
        "to your ChannelDesk login. Please ask the ChannelDesk administrators."
    ),
}


class SingleSignOnRefusal(DomainError):
    """A sign-in through the identity provider is refused; `code` is a key of REFUSALS."""

    status = 403

    def __init__(self, code: str) -> None:
        super().__init__(str(REFUSALS[code]), code=code)


def provider_claims(sociallogin: SocialLogin) -> dict[str, Any]:
    """The claims of the sign-in: the ID token's, overlaid by the userinfo answer's."""
    extra_data = sociallogin.account.extra_data or {}
    if "id_token" not in extra_data and "userinfo" not in extra_data:
        return dict(extra_data)
    return {**(extra_data.get("id_token") or {}), **(extra_data.get("userinfo") or {})}


def claim_values(claims: Mapping[str, Any], name: str) -> set[str]:
    """A claim as a set of strings: a list of values, or one value (space- or comma-separated
    values in one string, as some providers send roles)."""
    value = claims.get(name)
    if value is None:
        return set()
    if isinstance(value, str):
        return {part for part in value.replace(",", " ").split() if part}
    if isinstance(value, Iterable):
        return {str(item) for item in value}
    return {str(value)}


def role_mapping() -> dict[str, str]:
    """`OIDC_STAFF_ROLES`, checked: every value must name a staff role."""
    mapping = dict(settings.OIDC_STAFF_ROLES)
    unknown = sorted(set(mapping.values()) - set(STAFF_ROLES))
    if unknown:
        raise ImproperlyConfigured(
            f"OIDC_STAFF_ROLES maps to {unknown}; the staff roles are {list(STAFF_ROLES)}."
        )
    return mapping


def staff_roles_from_claims(claims: Mapping[str, Any]) -> set[str]:
    """The staff roles the provider's claims give (empty: not vendor staff)."""
    mapping = role_mapping()
    values = claim_values(claims, settings.OIDC_ROLES_CLAIM)
    return {mapping[value] for value in values if value in mapping}


def provider_proved_second_factor(claims: Mapping[str, Any]) -> bool:
    """Whether the ID token says the person passed a second factor at the provider."""
    amr = claim_values(claims, "amr")
    if amr & set(settings.OIDC_MFA_AMR_VALUES):
        return True
    return str(claims.get("acr", "")) in set(settings.OIDC_MFA_ACR_VALUES)


def staff_roles_apply(*, user: AbstractUser, roles: set[str]) -> None:
    """Make the login vendor staff with exactly `roles` among the staff roles; an empty set
    takes `is_staff` and every staff role away. Other groups are left alone."""
    with transaction.atomic():
        if user.is_staff != bool(roles):
            user.is_staff = bool(roles)
            user.save(update_fields=["is_staff"])
        held = set(user.groups.filter(name__in=STAFF_ROLES).values_list("name", flat=True))
        if held - roles:
            user.groups.remove(*Group.objects.filter(name__in=held - roles))
        if roles - held:
            user.groups.add(*Group.objects.filter(name__in=roles - held))


def logins_with_address(email: str) -> set[int]:
    """The logins that hold `email`, as their own address or an allauth e-mail address."""
    user_model = get_user_model()
    own = user_model._default_manager.filter(email__iexact=email).values_list("pk", flat=True)
    listed = EmailAddress.objects.filter(email__iexact=email).values_list("user_id", flat=True)
    return set(own) | set(listed)


def staff_login_by_email(sociallogin: SocialLogin) -> AbstractUser | None:
    """The existing login holding an address of the sign-in, or None. Refused when the
    provider did not verify the matching address, when several logins match, or when the
    login may not be signed in through the provider (see the module)."""
    matches: dict[int, set[bool]] = {}
    for address in sociallogin.email_addresses:
        for user_id in logins_with_address(address.email):
            matches.setdefault(user_id, set()).add(bool(address.verified))
    if not matches:
        return None
    if len(matches) > 1:
        raise SingleSignOnRefusal("not_linkable")
    user_id, verified = matches.popitem()
    if True not in verified:
        raise SingleSignOnRefusal("unverified_email")
    user: AbstractUser = get_user_model()._default_manager.get(pk=user_id)
    if not linkable(user):
        raise SingleSignOnRefusal("not_linkable")
    return user


def linkable(user: AbstractUser) -> bool:
    """Only active vendor staff, never a superuser or a partner user."""
    is_partner_user = getattr(user, "partner_membership", None) is not None
    return user.is_active and user.is_staff and not user.is_superuser and not is_partner_user


def sign_in_decide(request: HttpRequest, sociallogin: SocialLogin) -> None:
    """Steps 2-4 of the module for one sign-in; raises SingleSignOnRefusal. Linking the
    provider to a signed-in login from allauth's connections page is refused as well."""
    if sociallogin.state.get("process") == AuthProcess.CONNECT:
        # Links are made at sign-in only, by the address the provider verified.
        raise SingleSignOnRefusal("not_linkable")
    roles = staff_roles_from_claims(provider_claims(sociallogin))
    if sociallogin.is_existing:
        user = sociallogin.user
        assert user is not None
        if user.is_superuser or getattr(user, "partner_membership", None) is not None:
            raise SingleSignOnRefusal("not_linkable")
        staff_roles_apply(user=user, roles=roles)
        if not roles:
            raise SingleSignOnRefusal("not_staff")
        return
    if not roles:
        raise SingleSignOnRefusal("not_staff")
    existing = staff_login_by_email(sociallogin)
    if existing is not None:
        sociallogin.connect(request, existing)
        staff_roles_apply(user=existing, roles=roles)


def refusal_response(request: HttpRequest, code: str) -> HttpResponseRedirect:
    """Back to the sign-in page, which says why."""
    messages.error(request, str(REFUSALS[code]))
    return HttpResponseRedirect(reverse("account_login"))


def record_provider_second_factor(
    request: HttpRequest, user: AbstractBaseUser, sociallogin: SocialLogin
) -> None:
    """With OIDC_TRUST_IDP_MFA: record the provider's proved second factor as this sign-in's
    second-factor step, as allauth records a TOTP code (docs/sso.md)."""
    if not settings.OIDC_TRUST_IDP_MFA:
        return
    claims = provider_claims(sociallogin)
    if not provider_proved_second_factor(claims):
        return
    record_authentication(
        request,
        user,
        SECOND_FACTOR_METHOD,
        type=PROVIDER_SECOND_FACTOR_TYPE,
        provider=sociallogin.account.provider,
        amr=sorted(claim_values(claims, "amr")) or None,
        acr=claims.get("acr") or None,
    )


def just_signed_in_through_provider(request: HttpRequest | None) -> bool:
    """Whether the session's last sign-in step is the provider's, less than
    ACCOUNT_REAUTHENTICATION_TIMEOUT seconds ago: it counts as a fresh confirmation for
    allauth's sensitive pages (setting TOTP up), since a login made by the provider has no
    password to confirm (docs/sso.md)."""
    if request is None or not request.user.is_authenticated:
        return False
    records = get_authentication_records(request, request.user)
    if not records or records[-1].get("method") != "socialaccount":
        return False
    age = time.time() - float(records[-1].get("at", 0))
    return age < account_settings.REAUTHENTICATION_TIMEOUT


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    """allauth's social sign-in, open to vendor staff only (see the module)."""

    def pre_social_login(self, request: HttpRequest, sociallogin: SocialLogin) -> None:
        try:
            sign_in_decide(request, sociallogin)
        except SingleSignOnRefusal as refusal:
            raise ImmediateHttpResponse(refusal_response(request, refusal.code)) from refusal

    def is_open_for_signup(self, request: HttpRequest, sociallogin: SocialLogin) -> bool:
        """Only a sign-in whose claims give a staff role makes a new login."""
        return bool(staff_roles_from_claims(provider_claims(sociallogin)))

    def save_user(self, request: HttpRequest, sociallogin: SocialLogin, form: Any = None) -> Any:
        with transaction.atomic():
            user = super().save_user(request, sociallogin, form=form)
            staff_roles_apply(
                user=user, roles=staff_roles_from_claims(provider_claims(sociallogin))
            )
        return user
