"""The demo's logins: vendor staff, the support desk and one partner user per demo partner.

The passwords are fixed and printed on purpose: this is demo data on a machine the user just set
up (`demo serve` binds to 127.0.0.1 by default). Accounts that exist are never touched again, so a
changed password survives another `demo load`.

Every demo login signs in to the portal (or the back office) with its e-mail address or its user
name: allauth looks e-mail logins up in its `EmailAddress` table, so each demo user gets a
verified primary address there (`email_addresses_ensure`, also run for logins made before).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from itertools import batched

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, Permission
from django.db import transaction

from channeldesk.partners.models import Contact, MembershipRole, Partner, PartnerMembership

STAFF_USERNAME = "staff"
STAFF_PASSWORD = "channeldesk-staff"  # noqa: S105 - a printed demo password
SUPPORT_USERNAME = "support"
SUPPORT_PASSWORD = "channeldesk-support"  # noqa: S105 - a printed demo password
SUPPORT_GROUP = "support desk"
PARTNER_PASSWORD = "channeldesk-partner"  # noqa: S105 - a printed demo password
PARTNER_EMAIL_DOMAIN = "partners.channeldesk.example"
USER_BATCH = 500


@dataclass(frozen=True, slots=True)
class Login:
    username: str
    password: str
    description: str


def partner_username(*, partner_number: str) -> str:
    """The partner user's login is the partner number in lower case: 'P100001' -> 'p100001'."""
    return partner_number.lower()


def vendor_logins() -> tuple[Login, Login]:
    return (
        Login(STAFF_USERNAME, STAFF_PASSWORD, "vendor staff (channel manager, superuser)"),
        Login(SUPPORT_USERNAME, SUPPORT_PASSWORD, "support desk (vendor staff, read-only)"),
    )


def vendor_accounts_ensure() -> int:
    """Create the vendor staff superuser and the read-only support desk login when missing.

    The support desk is staff (it may open the admin) with view permissions only, through the
    'support desk' group the access tests use as well.
    """
    user_model = get_user_model()
    created = 0
    if not user_model._default_manager.filter(username=STAFF_USERNAME).exists():
        user_model._default_manager.create_superuser(  # type: ignore[attr-defined]
            username=STAFF_USERNAME, email="staff@channeldesk.example", password=STAFF_PASSWORD
        )
        created += 1
    group, _ = Group.objects.get_or_create(name=SUPPORT_GROUP)
    group.permissions.add(*Permission.objects.filter(codename__startswith="view_"))
    if not user_model._default_manager.filter(username=SUPPORT_USERNAME).exists():
        support = user_model._default_manager.create_user(  # type: ignore[attr-defined]
            username=SUPPORT_USERNAME,
            email="support@channeldesk.example",
            password=SUPPORT_PASSWORD,
            is_staff=True,
        )
        support.groups.add(group)
        created += 1
    # Logins made by an earlier `demo load` get their address too.
    email_addresses_ensure()
    return created


def email_addresses_ensure(*, usernames: Collection[str] | None = None) -> int:
    """Give each demo login with an e-mail address but no allauth `EmailAddress` row a verified,
    primary one (set-based: one query to find them, one insert), so it can sign in by e-mail.

    `usernames` narrows it to those logins; None means every login of the demo partners and
    vendor staff that lacks one. Addresses another login already holds are left alone.
    """
    user_model = get_user_model()
    users = user_model._default_manager.exclude(email="").filter(emailaddress__isnull=True)
    if usernames is not None:
        users = users.filter(username__in=list(usernames))
    taken = {email.lower() for email in EmailAddress.objects.values_list("email", flat=True)}
    rows = []
    for user_id, email in users.values_list("id", "email"):
        if email.lower() in taken:
            continue
        taken.add(email.lower())
        rows.append(EmailAddress(user_id=user_id, email=email, verified=True, primary=True))
    EmailAddress.objects.bulk_create(rows, batch_size=USER_BATCH)
    return len(rows)


def partner_accounts_ensure(*, partner_numbers: Collection[str]) -> int:
    """Give every listed partner without a partner user one login (role admin: the first user
    of a partner administers it), named after its contact person.

    The password is hashed once and the hash shared: hashing is deliberately slow (hundreds of
    milliseconds), and 940 hashes of the same demo password would add minutes to `demo load`.
    """
    wanted = set(partner_numbers)
    partners = [
        (partner_id, number)
        for partner_id, number in Partner.objects.filter(memberships__isnull=True)
        .order_by("partner_number")
        .values_list("id", "partner_number")
        if number in wanted
    ]
    if not partners:
        return 0
    user_model = get_user_model()
    taken = set(user_model._default_manager.values_list("username", flat=True))
    contacts = dict(
        Contact.objects.filter(partner__memberships__isnull=True)
        .order_by("-id")
        .values_list("partner_id", "name")
    )
    password_hash = make_password(PARTNER_PASSWORD)
    created = 0
    for batch in batched(partners, USER_BATCH):
        created += _partner_users_create(
            partners=[
                (partner_id, number)
                for partner_id, number in batch
                if partner_username(partner_number=number) not in taken
            ],
            contacts=contacts,
            password_hash=password_hash,
        )
    return created


def _partner_users_create(
    *, partners: list[tuple[int, str]], contacts: dict[int, str], password_hash: str
) -> int:
    if not partners:
        return 0
    user_model = get_user_model()
    users = []
    for partner_id, number in partners:
        first_name, _, last_name = contacts.get(partner_id, "").partition(" ")
        username = partner_username(partner_number=number)
        users.append(
            user_model(
                username=username,
                email=f"{username}@{PARTNER_EMAIL_DOMAIN}",
                first_name=first_name[:150],
                last_name=last_name[:150],
                password=password_hash,
            )
        )
    with transaction.atomic():
        user_model._default_manager.bulk_create(users)
        ids = dict(
            user_model._default_manager.filter(
                username__in=[user.username for user in users]
            ).values_list("username", "id")
        )
        PartnerMembership.objects.bulk_create(
            PartnerMembership(
                user_id=ids[partner_username(partner_number=number)],
                partner_id=partner_id,
                role=MembershipRole.ADMIN,
            )
            for partner_id, number in partners
        )
        email_addresses_ensure(usernames=list(ids))
    return len(users)
