"""Writing webhook subscriptions: create, change, pause, resume, rotate the secret, delete.

Each service runs in one transaction with its audit entry. The signing secret is made and
sealed by `webhooks.secrets`; it is returned once, by `webhook_subscription_create` and
`webhook_subscription_rotate_secret`, and never stored or logged in the clear.

Rules, each a `DomainError` with a stable code:

- `url_not_allowed`: the URL must be https; plain http only to a loopback host, and only in
  DEBUG or with `WEBHOOKS_ALLOW_PRIVATE_ADDRESSES` (tests). Literal private, loopback and
  link-local addresses are refused in production (the dispatcher refuses them again when it
  connects, for names that resolve there).
- `no_event_types`, `unknown_event_type`, `unknown_language`.
- `partner_not_allowed` (403): a partner admin subscribes for its own partner only;
  `not_partner_admin` (403): other partner users manage nothing; `not_found` (404): a partner
  admin acting on a subscription that is not its partner's.
- `subscription_paused` / `subscription_active` (409): pausing a paused one, resuming an
  active one.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from typing import Any, NamedTuple
from urllib.parse import urlsplit

import httpcore
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from channeldesk.audit.services import actor_user, audit_record
from channeldesk.core.errors import Conflict, DomainError, NotFound
from channeldesk.partners.models import MembershipRole, Partner
from channeldesk.partners.selectors import AnyUser, membership_for_user
from channeldesk.webhooks.events import EVENT_TYPES
from channeldesk.webhooks.models import (
    DUE_STATUSES,
    SubscriptionStatus,
    WebhookDelivery,
    WebhookSubscription,
)
from channeldesk.webhooks.secrets import webhook_secret_generate, webhook_secret_seal
from channeldesk.webhooks.sending import host_addresses, refused_addresses

type Actor = AnyUser | None


class SubscriptionRefused(DomainError):
    """A subscription's settings or a change to it that the rules do not allow."""

    code = "subscription_refused"


class SubscriptionForbidden(DomainError):
    """The actor may not do this to this subscription."""

    code = "forbidden"
    status = 403


class SubscriptionWithSecret(NamedTuple):
    """A subscription and its signing secret in the clear, shown to the person once."""

    subscription: WebhookSubscription
    secret: str


# --- Checks (also used by the faces' forms, so they refuse before anything is written) -------


def _private_addresses_allowed() -> bool:
    return bool(settings.DEBUG or getattr(settings, "WEBHOOKS_ALLOW_PRIVATE_ADDRESSES", False))


def _is_loopback(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _is_private_literal(host: str) -> bool:
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return not address.is_global


def _resolves_only_privately(host: str) -> bool:
    """Whether the host name resolves, and only to addresses webhooks may not reach. A name
    that does not resolve now passes: every send checks its addresses again (`GuardedBackend`),
    which also catches a name with a public and a private address."""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        pass
    else:
        return False
    try:
        addresses = host_addresses(
            host, 443, timeout=float(settings.WEBHOOKS_CONNECT_TIMEOUT_SECONDS)
        )
    except (httpcore.ConnectError, httpcore.ConnectTimeout):
        return False
    return bool(addresses) and len(refused_addresses(addresses)) == len(addresses)


def subscription_url_check(url: str) -> str:
    """The URL, or `url_not_allowed`: https anywhere public; http only to a loopback host
    where private addresses are allowed (DEBUG, tests)."""
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
    except ValueError:
        host, parts = "", urlsplit("")
    allowed_private = _private_addresses_allowed()
    if parts.scheme == "https" and host:
        allowed = allowed_private or not (
            _is_loopback(host) or _is_private_literal(host) or _resolves_only_privately(host)
        )
    elif parts.scheme == "http" and host:
        allowed = allowed_private and _is_loopback(host)
    else:
        allowed = False
    if not allowed or parts.username or parts.password:
        raise SubscriptionRefused(
            _(
                "The URL must start with https:// and name a public host (http:// only to "
                "this machine, in development)."
            ),
            code="url_not_allowed",
            details=[{"field": "url", "message": "not allowed", "code": "url_not_allowed"}],
        )
    return url


def subscription_event_types_check(event_types: Sequence[str]) -> list[str]:
    """The event types in the catalogue's order, or `no_event_types` / `unknown_event_type`."""
    if not event_types:
        raise SubscriptionRefused(
            _("Choose at least one event type."),
            code="no_event_types",
            details=[{"field": "event_types", "message": "empty", "code": "no_event_types"}],
        )
    unknown = sorted(set(event_types) - set(EVENT_TYPES))
    if unknown:
        raise SubscriptionRefused(
            _("Unknown event types: %(types)s.") % {"types": ", ".join(unknown)},
            code="unknown_event_type",
            details=[
                {"field": "event_types", "message": name, "code": "unknown_event_type"}
                for name in unknown
            ],
        )
    return [name for name in EVENT_TYPES if name in event_types]


def _language_check(language: str) -> str:
    if language not in {code for code, _name in settings.LANGUAGES}:
        raise SubscriptionRefused(
            _("Unknown language."),
            code="unknown_language",
            details=[{"field": "language", "message": language, "code": "unknown_language"}],
        )
    return language


def _partner_for(*, actor: Actor, partner: Partner | None) -> Partner | None:
    """The partner a new subscription is for: a partner admin's own, whatever it asked."""
    membership = membership_for_user(user=actor) if actor is not None else None
    if membership is None:
        return partner
    if membership.role != MembershipRole.ADMIN:
        raise SubscriptionForbidden(
            _("Only the partner's admins manage its webhook subscriptions."),
            code="not_partner_admin",
        )
    if partner is not None and partner.pk != membership.partner_id:
        raise SubscriptionForbidden(
            _("A partner admin subscribes for its own partner only."), code="partner_not_allowed"
        )
    return membership.partner


def _manageable(*, actor: Actor, subscription: WebhookSubscription) -> WebhookSubscription:
    """The subscription locked for the change; a partner user may change only its partner's
    (as an admin), another partner's is not found."""
    membership = membership_for_user(user=actor) if actor is not None else None
    if membership is not None:
        if subscription.partner_id != membership.partner_id:
            raise NotFound(_("No such webhook subscription."))
        if membership.role != MembershipRole.ADMIN:
            raise SubscriptionForbidden(
                _("Only the partner's admins manage its webhook subscriptions."),
                code="not_partner_admin",
            )
    try:
        return WebhookSubscription.objects.select_for_update().get(pk=subscription.pk)
    except WebhookSubscription.DoesNotExist:
        raise NotFound(_("No such webhook subscription.")) from None


def _audit(
    action: str,
    subscription: WebhookSubscription,
    *,
    actor: Actor,
    operation: Any = "update",
    changes: dict[str, tuple[Any, Any]] | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    audit_record(
        action=f"webhooks.{action}",
        target=subscription,
        actor=actor,
        partner=subscription.partner_id,
        changes=changes,
        details=details,
        operation=operation,
    )


# --- The services -------------------------------------------------------------------------------


def webhook_subscription_create(
    *,
    actor: Actor,
    name: str,
    url: str,
    event_types: Sequence[str],
    partner: Partner | None = None,
    notify_email: str,
    language: str,
) -> SubscriptionWithSecret:
    """A new active subscription and its secret (returned here once, stored sealed)."""
    owner = _partner_for(actor=actor, partner=partner)
    checked_url = subscription_url_check(url)
    types = subscription_event_types_check(event_types)
    checked_language = _language_check(language)
    secret = webhook_secret_generate()
    now = timezone.now()
    with transaction.atomic():
        subscription = WebhookSubscription.objects.create(
            name=name,
            url=checked_url,
            event_types=types,
            secret_sealed=webhook_secret_seal(secret),
            partner=owner,
            notify_email=notify_email,
            language=checked_language,
            created_by=actor_user(actor),
            created_at=now,
            updated_at=now,
        )
        _audit(
            "subscription_create",
            subscription,
            actor=actor,
            operation="create",
            details={"url": checked_url, "event_types": types},
        )
    return SubscriptionWithSecret(subscription, secret)


def webhook_subscription_update(
    *,
    actor: Actor,
    subscription: WebhookSubscription,
    name: str | None = None,
    url: str | None = None,
    event_types: Sequence[str] | None = None,
    notify_email: str | None = None,
    language: str | None = None,
) -> WebhookSubscription:
    """Change what is given (None keeps a field); the partner never changes."""
    wanted: dict[str, Any] = {
        "name": name,
        "url": subscription_url_check(url) if url is not None else None,
        "event_types": (
            subscription_event_types_check(event_types) if event_types is not None else None
        ),
        "notify_email": notify_email,
        "language": _language_check(language) if language is not None else None,
    }
    with transaction.atomic():
        locked = _manageable(actor=actor, subscription=subscription)
        changes = {
            field: (getattr(locked, field), value)
            for field, value in wanted.items()
            if value is not None and getattr(locked, field) != value
        }
        for field, (_before, after) in changes.items():
            setattr(locked, field, after)
        locked.updated_at = timezone.now()
        locked.save()
        _audit("subscription_update", locked, actor=actor, changes=changes)
    return locked


def webhook_subscription_pause(
    *, actor: Actor, subscription: WebhookSubscription, reason: str = ""
) -> WebhookSubscription:
    """Stop delivering; events still queue up for the subscription and wait."""
    with transaction.atomic():
        locked = _manageable(actor=actor, subscription=subscription)
        if locked.status == SubscriptionStatus.PAUSED:
            raise Conflict(_("The subscription is paused already."), code="subscription_paused")
        locked.status = SubscriptionStatus.PAUSED
        locked.paused_reason = reason or _("Paused by a person.")
        locked.updated_at = timezone.now()
        locked.save(update_fields=["status", "paused_reason", "updated_at"])
        _audit(
            "subscription_pause",
            locked,
            actor=actor,
            changes={"status": (SubscriptionStatus.ACTIVE, SubscriptionStatus.PAUSED)},
            details={"reason": locked.paused_reason},
        )
    return locked


def webhook_subscription_resume(
    *, actor: Actor, subscription: WebhookSubscription
) -> WebhookSubscription:
    """Deliver again: the deliveries that waited while it was paused are due now."""
    with transaction.atomic():
        locked = _manageable(actor=actor, subscription=subscription)
        if locked.status == SubscriptionStatus.ACTIVE:
            raise Conflict(_("The subscription is active already."), code="subscription_active")
        now = timezone.now()
        waiting = WebhookDelivery.objects.filter(subscription=locked, status__in=DUE_STATUSES)
        due = waiting.update(next_attempt_at=now)
        locked.status = SubscriptionStatus.ACTIVE
        locked.paused_reason = ""
        locked.updated_at = now
        locked.save(update_fields=["status", "paused_reason", "updated_at"])
        _audit(
            "subscription_resume",
            locked,
            actor=actor,
            changes={"status": (SubscriptionStatus.PAUSED, SubscriptionStatus.ACTIVE)},
            details={"deliveries_due": due},
        )
    return locked


def webhook_subscription_rotate_secret(
    *, actor: Actor, subscription: WebhookSubscription
) -> SubscriptionWithSecret:
    """A new signing secret, returned once; deliveries from now on are signed with it."""
    secret = webhook_secret_generate()
    with transaction.atomic():
        locked = _manageable(actor=actor, subscription=subscription)
        locked.secret_sealed = webhook_secret_seal(secret)
        locked.updated_at = timezone.now()
        locked.save(update_fields=["secret_sealed", "updated_at"])
        _audit("subscription_rotate_secret", locked, actor=actor)
    return SubscriptionWithSecret(locked, secret)


def webhook_subscription_delete(*, actor: Actor, subscription: WebhookSubscription) -> None:
    """Remove the subscription with its deliveries and their history (the events stay)."""
    with transaction.atomic():
        locked = _manageable(actor=actor, subscription=subscription)
        _audit(
            "subscription_delete",
            locked,
            actor=actor,
            operation="delete",
            details={"name": locked.name, "url": locked.url},
        )
        locked.delete()
