"""A partner admin invites and removes colleagues (R11; docs/security-login.md).

An invitation creates nothing yet: it queues an e-mail with a signed link that carries the
partner, the address, the names and the role. Whoever follows it within
`PORTAL_INVITATION_TIMEOUT` chooses a password, and only then are the login, its (verified:
the link proved it) e-mail address and the membership created, in one transaction. So the
partner admin learns nothing about the address: an invitation to an address that has a login
somewhere looks exactly like any other, and only the address's owner is told, on the link's
page. The link works once: afterwards the address has a login. The e-mail is sealed in the
outbox (`notifications.sealing`): nobody reading the outbox can use the link.

Removing a colleague deactivates the login and ends its membership in one transaction; the
login row stays, so what it did keeps its author.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass
from typing import Any

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core import signing
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from channeldesk.core.errors import DomainError
from channeldesk.notifications.services import outbox_enqueue
from channeldesk.partners.models import MembershipRole, Partner, PartnerMembership

USERNAME_MAX_LENGTH = 150
NAME_MAX_LENGTH = 150
# Signs invitation links; a signature for any other purpose of SECRET_KEY is no invitation.
INVITATION_SALT = "channeldesk.portal.invitation"


class ColleagueError(DomainError):
    """A colleague change the state does not allow; `code` names it for machines."""


@dataclass(frozen=True)
class Invitation:
    """What an invitation link says: who is invited to which partner, and by whom."""

    partner_id: int
    email: str
    first_name: str
    last_name: str
    role: str
    invited_by_id: int


@dataclass(frozen=True)
class InvitationSent:
    message_key: str


def email_taken(*, email: str) -> bool:
    """Whether a login has this address (as its e-mail, an e-mail address or its user name)."""
    logins = get_user_model()._default_manager
    return (
        logins.filter(email__iexact=email).exists()
        or logins.filter(username__iexact=_username(email)).exists()
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
) -> InvitationSent:
    """Queue the invitation e-mail of a colleague of `partner`; no login exists until it is used.

    `site_url` is the scheme and host the link in the e-mail points to. Refuses an unknown
    role (nothing is queued then); whether the address has a login is not looked at here.
    """
    if role not in MembershipRole.values:
        raise ColleagueError(f"Unknown role '{role}'.", code="unknown_role")
    invitation = Invitation(
        partner_id=partner.pk,
        email=email.strip(),
        first_name=first_name.strip()[:NAME_MAX_LENGTH],
        last_name=last_name.strip()[:NAME_MAX_LENGTH],
        role=role,
        invited_by_id=invited_by.pk,
    )
    token = signing.dumps(asdict(invitation), salt=INVITATION_SALT, compress=True)
    link = site_url.rstrip("/") + reverse("account_invitation_accept", kwargs={"token": token})
    invitee = get_user_model()(
        email=invitation.email, first_name=invitation.first_name, last_name=invitation.last_name
    )
    with translation.override(partner.language):
        context = {"partner": partner, "user": invitee, "invited_by": invited_by, "link": link}
        subject = render_to_string("portal/email/invitation_subject.txt", context)
        text = render_to_string("portal/email/invitation.txt", context)
    # Each invitation is its own message; the address is not in the key (keys are shown).
    key = f"portal-invitation:{partner.pk}:{uuid.uuid4()}"
    outbox_enqueue(
        key=key,
        to=[invitation.email],
        subject=" ".join(subject.split()),
        text=text,
        language=partner.language,
        category="account",
        secrets=[link, token],
    )
    return InvitationSent(message_key=key)


def invitation_read(*, token: str) -> Invitation:
    """The invitation a link carries, if it is genuine, unexpired and still open.

    Raises ColleagueError: `invalid_link` (forged, altered or expired), `used` (the address
    has a login now: this invitation or another was taken up), `withdrawn` (the partner is
    gone or the inviting admin is no longer one of its admins).
    """
    try:
        invitation = Invitation(
            **signing.loads(token, salt=INVITATION_SALT, max_age=settings.PORTAL_INVITATION_TIMEOUT)
        )
    except (signing.BadSignature, TypeError):
        raise ColleagueError(
            "This invitation link is invalid or has expired.", code="invalid_link"
        ) from None
    if email_taken(email=invitation.email):
        raise ColleagueError(
            "This address already has a login: sign in with it, or use 'Forgot password'.",
            code="used",
        )
    if not PartnerMembership.objects.filter(
        partner_id=invitation.partner_id,
        user_id=invitation.invited_by_id,
        user__is_active=True,
        role=MembershipRole.ADMIN,
    ).exists():
        raise ColleagueError("This invitation has been withdrawn.", code="withdrawn")
    return invitation


def invitation_password_check(*, invitation: Invitation, password: str) -> None:
    """Django's password validators, with the invitee's names and address to compare."""
    invitee = get_user_model()(
        username=_username(invitation.email),
        email=invitation.email,
        first_name=invitation.first_name,
        last_name=invitation.last_name,
    )
    validate_password(password, user=invitee)


@transaction.atomic
def invitation_accept(*, token: str, password: str) -> PartnerMembership:
    """Create the invited colleague's login with `password`, its address and its membership.

    The token is read again inside the transaction, so two uses of one link create one login
    (the second finds the address taken). The password must have passed
    `invitation_password_check`.
    """
    invitation = invitation_read(token=token)
    user_model = get_user_model()
    user = user_model._default_manager.create_user(  # type: ignore[attr-defined]
        username=_username(invitation.email),
        email=invitation.email,
        password=password,
        first_name=invitation.first_name,
        last_name=invitation.last_name,
    )
    EmailAddress.objects.create(user=user, email=invitation.email, primary=True, verified=True)
    return PartnerMembership.objects.create(
        user=user, partner_id=invitation.partner_id, role=invitation.role
    )


def _username(email: str) -> str:
    return email.lower()[:USERNAME_MAX_LENGTH]


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
