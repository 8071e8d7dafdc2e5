"""A partner admin invites and removes colleagues (issue 5, section 1).

An invitation creates the login without a password, its e-mail address (unverified) and its
membership, and queues an e-mail with a link to choose a password: allauth's password-reset
link, which proves the address when it is used. Removing a colleague deactivates the login and
ends its membership in one transaction; the login row stays, so what it did keeps its author.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from allauth.account.forms import default_token_generator
from allauth.account.models import EmailAddress
from allauth.account.utils import user_pk_to_url_str
from django.contrib.auth import get_user_model
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from channeldesk.notifications.services import outbox_enqueue
from channeldesk.partners.models import MembershipRole, Partner, PartnerMembership

USERNAME_MAX_LENGTH = 150


class ColleagueError(ValueError):
    """A colleague change the state does not allow; `code` names it for machines."""

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Invitation:
    membership: PartnerMembership
    message_key: str


def email_taken(*, email: str) -> bool:
    user_model = get_user_model()
    return (
        user_model._default_manager.filter(email__iexact=email).exists()
        or EmailAddress.objects.filter(email__iexact=email).exists()
    )


@transaction.atomic
def colleague_invite(
    *,
    partner: Partner,
    email: str,
    first_name: str,
    last_name: str,
    role: str,
    invited_by: Any,
    site_url: str,
) -> Invitation:
    """Create a colleague's login for `partner` and queue the invitation e-mail.

    `site_url` is the scheme and host the link in the e-mail points to. Refuses an address
    that already has a login (`email_taken`) and an unknown role; nothing is written then.
    """
    email = email.strip()
    if role not in MembershipRole.values:
        raise ColleagueError(f"Unknown role '{role}'.", code="unknown_role")
    if email_taken(email=email):
        raise ColleagueError(f"{email} already has a login.", code="email_taken")
    user_model = get_user_model()
    user = user_model._default_manager.create_user(  # type: ignore[attr-defined]
        username=email.lower()[:USERNAME_MAX_LENGTH],
        email=email,
        first_name=first_name.strip()[:150],
        last_name=last_name.strip()[:150],
    )
    user.set_unusable_password()
    user.save(update_fields=["password"])
    EmailAddress.objects.create(user=user, email=email, primary=True, verified=False)
    membership = PartnerMembership.objects.create(user=user, partner=partner, role=role)
    key = f"portal-invitation:{user.pk}"
    link = site_url.rstrip("/") + reverse(
        "account_reset_password_from_key",
        kwargs={
            "uidb36": user_pk_to_url_str(user),
            "key": default_token_generator.make_token(user),
        },
    )
    with translation.override(partner.language):
        context = {"partner": partner, "user": user, "invited_by": invited_by, "link": link}
        subject = render_to_string("portal/email/invitation_subject.txt", context)
        text = render_to_string("portal/email/invitation.txt", context)
    outbox_enqueue(
        key=key,
        to=[email],
        subject=" ".join(subject.split()),
        text=text,
        language=partner.language,
        category="account",
    )
    return Invitation(membership=membership, message_key=key)


@transaction.atomic
def colleague_remove(*, partner: Partner, user_id: int, removed_by: Any) -> None:
    """End a colleague's access: its membership goes, its login is deactivated.

    Raises `PartnerMembership.DoesNotExist` when the user is not a member of this partner (the
    view answers 404), `ColleagueError` when an admin would remove itself.
    """
    membership = (
        PartnerMembership.objects.select_for_update()
        .select_related("user")
        .get(partner=partner, user_id=user_id)
    )
    if membership.user_id == getattr(removed_by, "pk", None):
        raise ColleagueError("You cannot remove your own login.", code="self")
    user = membership.user
    membership.delete()
    user.is_active = False
    user.save(update_fields=["is_active"])


def colleagues_of(*, partner: Partner) -> list[PartnerMembership]:
    return list(
        PartnerMembership.objects.filter(partner=partner)
        .select_related("user")
        .order_by("user__last_name", "user__first_name", "user__email")
    )
