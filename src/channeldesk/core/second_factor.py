"""The second-factor rule: a session counts as signed in only after the second factor.

Everyone signs in through allauth (`/accounts/login/`; `/admin/login/` sends people there).
allauth records each step of a sign-in in the session (`account_authentication_methods`: the
password, then `mfa` for the TOTP code, a recovery code or a passkey). The second factor is
TOTP or a passkey (WebAuthn). The rule, applied to every request by
`core.middleware.SecondFactorMiddleware`:

1. A session whose record has no `mfa` step, of a login that has a second factor (TOTP or a
   passkey), is **signed out**: it came from somewhere that skipped the code (the old admin
   login, a forged or stale session), so it ends.
2. Vendor staff (`is_staff`) without a second factor must first set one up: they reach only
   the security page, the TOTP setup and the passkey setup and what those need (confirming the
   password, signing out, the language switch). Staff cannot remove their last one
   (`portal.adapters.MFAAdapter`, asked by allauth for TOTP and by `RemovePasskeyView` for a
   passkey); if a superuser removes it, the next request sends them to the setup.
3. Every other session is signed in: with the `mfa` step on record, or a partner user
   without a second factor (the password alone).

A passwordless sign-in with a passkey records one step, `mfa` (type `webauthn`,
`passwordless`), and no password: allauth accepts it only with user verification (the key's PIN
or biometrics), so the one step proves possession and knowledge or inherence, both factors, and
the session is signed in by step 3, staff included.

Setting a second factor up proves it, so the session records it as allauth records a sign-in
with it (`record_enrolment`, by `ActivateTOTPView` and `AddPasskeyView`); the login is not
thrown out by step 1 a moment later.
"""

from __future__ import annotations

import enum
from typing import Any

from allauth.account.authentication import get_authentication_records
from allauth.account.internal.flows.login import record_authentication
from allauth.mfa.adapter import get_adapter as get_mfa_adapter
from allauth.mfa.models import Authenticator
from allauth.mfa.totp import views as allauth_totp_views
from allauth.mfa.webauthn import views as allauth_webauthn_views
from django import forms
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

# The authenticators that are a second factor; recovery codes only stand in for one.
SECOND_FACTOR_TYPES = (Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN)
SECOND_FACTOR_METHOD = "mfa"
# The type of the `mfa` step recorded for a second factor proved at the identity provider.
IDENTITY_PROVIDER_FACTOR = "identity_provider"


class Standing(enum.Enum):
    SIGNED_IN = "signed_in"
    SIGNED_OUT = "signed_out"
    MUST_ENROL = "must_enrol"


def session_standing(request: HttpRequest, user: Any) -> Standing:
    """Where a signed-in session of `user` stands under the rule (see the module).

    Costs one query, except for a partner user's session with the second factor on record:
    staff are asked every time whether they still have one (a superuser may have removed it).
    """
    proved = session_has_second_factor(request, user)
    if proved and not user.is_staff:
        return Standing.SIGNED_IN
    has_factor = user_has_second_factor(user)
    if has_factor and not proved:
        return Standing.SIGNED_OUT
    if user.is_staff and not has_factor and not session_proved_by_identity_provider(request, user):
        return Standing.MUST_ENROL
    return Standing.SIGNED_IN


def session_has_second_factor(request: HttpRequest, user: Any) -> bool:
    records = get_authentication_records(request, user)
    return any(record.get("method") == SECOND_FACTOR_METHOD for record in records)


def session_proved_by_identity_provider(request: HttpRequest, user: Any) -> bool:
    """The login's second factor was proved at the company's identity provider (its `amr` or
    `acr` claim, trusted only with `OIDC_TRUST_IDP_MFA`: `portal.sso`), so staff signed in that
    way need no authenticator of their own."""
    records = get_authentication_records(request, user)
    return any(
        record.get("method") == SECOND_FACTOR_METHOD
        and record.get("type") == IDENTITY_PROVIDER_FACTOR
        for record in records
    )


def user_has_second_factor(user: Any) -> bool:
    return Authenticator.objects.filter(user_id=user.pk, type__in=SECOND_FACTOR_TYPES).exists()


def record_enrolment(request: HttpRequest, authenticator: Authenticator) -> None:
    """Record in the session that its login just proved a new second factor (set it up)."""
    if authenticator.type not in SECOND_FACTOR_TYPES:
        return
    record_authentication(
        request,
        authenticator.user,
        SECOND_FACTOR_METHOD,
        id=authenticator.pk,
        type=authenticator.type,
        enrolled=True,
    )


class ActivateTOTPView(allauth_totp_views.ActivateTOTPView):
    """allauth's TOTP setup, which also records in the session that the factor was proved."""

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        authenticator = Authenticator.objects.get(
            user_id=self.request.user.pk, type=Authenticator.Type.TOTP
        )
        record_enrolment(self.request, authenticator)
        return response


class AddPasskeyView(allauth_webauthn_views.AddWebAuthnView):
    """allauth's passkey setup, which also records in the session that the factor was proved."""

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        newest = (
            Authenticator.objects.filter(
                user_id=self.request.user.pk, type=Authenticator.Type.WEBAUTHN
            )
            .order_by("-pk")
            .first()
        )
        if newest is not None:
            record_enrolment(self.request, newest)
        return response


class RemovePasskeyForm(forms.Form):
    """Removing a passkey asks the MFA adapter first, as allauth's TOTP switch-off does."""

    def __init__(self, *args: Any, authenticator: Authenticator, **kwargs: Any) -> None:
        self.authenticator = authenticator
        super().__init__(*args, **kwargs)

    def clean(self) -> dict[str, Any] | None:
        cleaned_data = super().clean()
        adapter = get_mfa_adapter()
        if not adapter.can_delete_authenticator(self.authenticator):
            raise adapter.validation_error("cannot_delete_authenticator")
        return cleaned_data


class RemovePasskeyView(allauth_webauthn_views.RemoveWebAuthnView):
    """allauth's passkey removal, refused where the MFA adapter says no (staff's last factor).

    allauth removes a passkey without asking the adapter; here the page answers with the
    refusal and the passkey stays.
    """

    form_class = RemovePasskeyForm

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_form_kwargs()
        kwargs["authenticator"] = self.object
        return kwargs


def admin_login_redirect(request: HttpRequest) -> HttpResponse:
    """`/admin/login/`: the admin has no login of its own; everyone signs in through allauth.

    A signed-in login the admin sent here is not staff (or not active): it gets 403 rather
    than a sign-in page that would send it straight back.
    """
    if request.user.is_authenticated:
        raise PermissionDenied("The admin is open to vendor staff only.")
    target = request.GET.get(REDIRECT_FIELD_NAME, "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = reverse("admin:index")
    return redirect_to_login(target)
