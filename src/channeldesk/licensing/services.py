"""Keycodes (issue, check, revoke, rotate), licence certificates and activations.

Every write runs in one transaction and refuses with `LicensingError(message, code=…)` before it
changes anything. Checking a keycode writes nothing. The heartbeat ingest is in `ingest.py`, the
compliance scan in `compliance.py`.
"""

from __future__ import annotations

import datetime as dt
import secrets
import uuid
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import IntegrityError, transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from channeldesk.audit.services import actor_user, audit_record
from channeldesk.catalog.models import ProductKind
from channeldesk.contracts.models import Contract, ContractStatus
from channeldesk.core.errors import Conflict
from channeldesk.licensing.certificates import ANSWER_PREFIX, CERTIFICATE_PREFIX, token_sign
from channeldesk.licensing.keycodes import (
    MAX_SERIAL,
    keycode_compose,
    keycode_mask,
    keycode_verify,
)
from channeldesk.licensing.keys import key_material
from channeldesk.licensing.models import (
    UNDER_LICENSED_STATUSES,
    ComplianceRecord,
    Heartbeat,
    Installation,
    InstallationState,
    Keycode,
    KeycodeReveal,
    KeycodeStatus,
    LicenceCertificate,
    LicensingPolicy,
    RevealChannel,
)
from channeldesk.licensing.webhook_events import keycode_revoked_emit

type User = AbstractBaseUser | AnonymousUser | None


class LicensingError(Conflict):
    """A refused licensing change; `code` is machine-readable (the API answers 409 with it)."""


# Why a keycode is not valid. The labels are what staff and installations are told.
CHECK_REASONS: dict[str, Any] = {
    "typo": _("The code is mistyped: a symbol is wrong, missing or two are swapped."),
    "unknown": _("No such keycode was ever issued."),
    "revoked": _("The keycode was revoked."),
    "other_key": _("The keycode was made with a key that is no longer accepted."),
    "expired": _("The contract ran out and was not renewed."),
    "contract_ended": _("The contract was cancelled and has ended."),
}


@dataclass(frozen=True)
class KeycodeCheck:
    """The answer to "is this keycode valid?": valid, or exactly why not."""

    text: str
    valid: bool
    reason: str = ""
    keycode: Keycode | None = None
    contract: Contract | None = None  # the contract the code licenses today

    @property
    def message(self) -> str:
        return str(CHECK_REASONS[self.reason]) if self.reason else str(_("The keycode is valid."))


@dataclass(frozen=True)
class IssuedKeycode:
    keycode: Keycode
    code: str


# --- Reading codes ----------------------------------------------------------------------------


def keycode_text(*, keycode: Keycode) -> str:
    """The full code, recomputed from the key id's secret (the database does not hold it)."""
    secret = key_material().keycode_secrets.get(keycode.key_id)
    if secret is None:
        raise LicensingError(
            f"The secret of key id {keycode.key_id} is not configured.", code="key_missing"
        )
    return keycode_compose(key_id=keycode.key_id, serial=keycode.serial, secret=secret)


def keycode_reveal(
    *,
    keycode: Keycode,
    actor: User | None,
    channel: str,
    partner: Any = None,
    detail: str = "",
) -> str:
    """The full code for a person, recorded as a `KeycodeReveal` (who, when, through what).

    Every face that shows a whole keycode to a person calls this, never `keycode_text`: the
    portal (the partner who looks after the customer installs with it), the admin and the API
    (vendor staff with the `licensing.reveal_keycode` permission) and the command line. Who may
    ask is the face's decision; this records that it happened. The code is composed first, so a
    missing key records nothing.
    """
    code = keycode_text(keycode=keycode)
    KeycodeReveal.objects.create(
        keycode=keycode,
        revealed_at=timezone.now(),
        actor=actor_user(actor),
        channel=RevealChannel(channel),
        partner=partner,
        detail=detail[:200],
    )
    audit_record(
        action="keycode.reveal",
        target=keycode,
        actor=actor,
        partner=_selling_partner_id(keycode),
        operation="access",
        details={"channel": channel},
    )
    return code


def _selling_partner_id(keycode: Keycode) -> int | None:
    """The partner who sold the keycode's contract: the partner its audit entries concern."""
    return Contract.objects.filter(pk=keycode.contract_id).values_list("partner_id", flat=True)[0]


def keycode_verify_format(text: str) -> tuple[int, int] | str:
    """(key id, serial) of a code whose format, check symbol, key and MAC are right; otherwise
    the reason it is not valid ("typo", "unknown", "other_key"). No database access."""
    keys = key_material()
    return keycode_verify(
        text, secrets_by_key_id=keys.keycode_secrets, retired=keys.retired_key_ids
    )


def contract_in_force(*, contract: Contract, today: dt.date) -> Contract:
    """The contract a keycode issued for `contract` licenses today: its renewals that have
    started are followed (the keycode keeps its identity across renewals)."""
    while contract.status == ContractStatus.RENEWED:
        follow_up = Contract.objects.filter(renews=contract, start_date__lte=today).first()
        if follow_up is None:
            break
        contract = follow_up
    return contract


def contract_end_reason(*, contract: Contract, today: dt.date) -> str:
    """ "" while the contract runs (through its end date), else "expired" or "contract_ended"."""
    if contract.end_date >= today:
        return ""
    return "contract_ended" if contract.status == ContractStatus.CANCELLED else "expired"


def keycode_check(*, text: str, today: dt.date | None = None) -> KeycodeCheck:
    """Valid, or exactly why not: typo, unknown, other key, revoked, expired, contract ended.

    The format and check symbol are looked at first (a typo never reaches the database), then
    the key and MAC, then the stored keycode and the contract it licenses today.
    """
    today = today or timezone.localdate()
    verified = keycode_verify_format(text)
    if isinstance(verified, str):
        return KeycodeCheck(text=text, valid=False, reason=verified)
    key_id, serial = verified
    keycode = (
        Keycode.objects.select_related("contract", "contract__product")
        .filter(key_id=key_id, serial=serial)
        .first()
    )
    if keycode is None:
        return KeycodeCheck(text=text, valid=False, reason="unknown")
    contract = contract_in_force(contract=keycode.contract, today=today)
    if keycode.status == KeycodeStatus.REVOKED:
        reason = "revoked"
    else:
        reason = contract_end_reason(contract=contract, today=today)
    return KeycodeCheck(
        text=text, valid=not reason, reason=reason, keycode=keycode, contract=contract
    )


# --- Issuing, revoking, rotating --------------------------------------------------------------


def keycodes_follow_renewals(*, today: dt.date | None = None) -> int:
    """Move keycodes to the follow-up contract once it has started; returns how many moved.

    Set-based (one UPDATE per step of a renewal chain); running it again changes nothing.
    """
    today = today or timezone.localdate()
    moved = 0
    for _step in range(50):  # a chain is rarely longer than a few renewals
        follow_up = Contract.objects.filter(
            renews_id=OuterRef("contract_id"), start_date__lte=today
        ).values("id")[:1]
        step = Keycode.objects.filter(
            contract__status=ContractStatus.RENEWED,
            contract__renewals__start_date__lte=today,
        ).update(contract=Subquery(follow_up))
        moved += step
        if not step:
            break
    return moved


def _chain_keycode(*, contract: Contract) -> Keycode | None:
    """The active keycode of the contract or of a contract it renews (a chain shares one)."""
    current: Contract | None = contract
    while current is not None:
        found = Keycode.objects.filter(contract=current, status=KeycodeStatus.ACTIVE).first()
        if found is not None:
            return found
        current = current.renews
    return None


def _keycode_insert(*, contract: Contract, actor: User, now: dt.datetime, **fields: Any) -> Keycode:
    key_id = key_material().keycode_key_id
    for _attempt in range(5):
        try:
            with transaction.atomic():
                return Keycode.objects.create(
                    contract=contract,
                    key_id=key_id,
                    serial=secrets.randbelow(MAX_SERIAL + 1),
                    issued_at=now,
                    issued_by=actor_user(actor),
                    **fields,
                )
        except IntegrityError:
            if Keycode.objects.filter(contract=contract, status=KeycodeStatus.ACTIVE).exists():
                raise
    raise LicensingError("Could not draw an unused serial.", code="serial_exhausted")


def keycode_issue(
    *, contract: Contract, actor: User = None, now: dt.datetime | None = None
) -> IssuedKeycode:
    """The enterprise contract's keycode: refused when it has one already (`keycode_exists`),
    is not for an enterprise product (`not_enterprise`) or has ended (`contract_ended`)."""
    now = now or timezone.now()
    with transaction.atomic():
        contract = (
            Contract.objects.select_for_update().select_related("product").get(pk=contract.pk)
        )
        if contract.product.kind != ProductKind.ENTERPRISE:
            raise LicensingError(
                f"{contract.contract_number} is not for an enterprise product; keycodes are "
                "for enterprise contracts only.",
                code="not_enterprise",
            )
        if contract_end_reason(contract=contract, today=timezone.localdate(now)):
            raise LicensingError(f"{contract.contract_number} has ended.", code="contract_ended")
        existing = _chain_keycode(contract=contract)
        if existing is not None:
            raise LicensingError(
                f"{contract.contract_number} has an active keycode already; rotate it to get "
                "a new one.",
                code="keycode_exists",
            )
        keycode = _keycode_insert(contract=contract, actor=actor, now=now)
    return IssuedKeycode(keycode=keycode, code=keycode_text(keycode=keycode))


def keycode_revoke(
    *, keycode: Keycode, reason: str, actor: User = None, now: dt.datetime | None = None
) -> Keycode:
    """Revoke a keycode: its installations are refused from now on (`already_revoked`)."""
    with transaction.atomic():
        revoked = _keycode_revoke(keycode=keycode, reason=reason, now=now or timezone.now())
        _keycode_audit("keycode.revoke", revoked, actor=actor, reason=reason)
        keycode_revoked_emit(keycode=revoked, masked=_masked_or_none)
    return revoked


def _masked_or_none(keycode: Keycode) -> str | None:
    """The masked code for a webhook payload; None when the key id's secret is gone (the
    revocation must not fail for the payload's sake)."""
    try:
        return keycode_mask(keycode_text(keycode=keycode))
    except LicensingError:
        return None


def _keycode_revoke(*, keycode: Keycode, reason: str, now: dt.datetime) -> Keycode:
    """Revoke under the row's lock, in the caller's transaction (without an audit entry: the
    caller writes one for the revocation or the rotation it is part of)."""
    keycode = Keycode.objects.select_for_update().get(pk=keycode.pk)
    if keycode.status == KeycodeStatus.REVOKED:
        raise LicensingError("The keycode is revoked already.", code="already_revoked")
    keycode.status = KeycodeStatus.REVOKED
    keycode.revoked_at = now
    keycode.revocation_reason = reason[:300]
    keycode.save(update_fields=["status", "revoked_at", "revocation_reason"])
    return keycode


def keycode_rotate(
    *, keycode: Keycode, reason: str, actor: User = None, now: dt.datetime | None = None
) -> IssuedKeycode:
    """Replace a compromised code: the old one is revoked, a new one issued for the same
    contract, and the installations move to the new code (they re-activate with it; a machine
    is still one installation, so nothing is counted twice)."""
    now = now or timezone.now()
    with transaction.atomic():
        old = _keycode_revoke(keycode=keycode, reason=reason, now=now)
        new = _keycode_insert(contract=old.contract, actor=actor, now=now, replaces=old)
        moved = Installation.objects.filter(keycode=old).update(keycode=new)
        _keycode_audit(
            "keycode.rotate", old, actor=actor, reason=reason, replaced_by=new, installations=moved
        )
        keycode_revoked_emit(keycode=old, masked=_masked_or_none, replaced_by=new)
    return IssuedKeycode(keycode=new, code=keycode_text(keycode=new))


def _keycode_audit(
    action: str,
    keycode: Keycode,
    *,
    actor: User,
    reason: str,
    replaced_by: Keycode | None = None,
    installations: int | None = None,
) -> None:
    """One entry for a revocation or a rotation (which revokes the old code too)."""
    audit_record(
        action=action,
        target=keycode,
        actor=actor,
        partner=_selling_partner_id(keycode),
        changes={"status": (KeycodeStatus.ACTIVE, keycode.status)},
        counts={"installations moved": installations} if installations is not None else None,
        details={"reason": reason[:300]}
        | ({"replaced by": str(replaced_by)} if replaced_by is not None else {}),
    )


# --- Certificates -----------------------------------------------------------------------------


def certificate_issue(
    *, contract: Contract, actor: User = None, now: dt.datetime | None = None
) -> LicenceCertificate:
    """A signed licence certificate for an offline site: valid from today for
    LICENSING_CERTIFICATE_DAYS, never beyond the contract's end; re-issue it on renewal."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    contract = Contract.objects.select_related("customer", "product").get(pk=contract.pk)
    keycode = _chain_keycode(contract=contract)
    if keycode is None:
        raise LicensingError(
            f"{contract.contract_number} has no active keycode; issue one first.",
            code="no_keycode",
        )
    if contract_end_reason(contract=contract, today=today):
        raise LicensingError(f"{contract.contract_number} has ended.", code="contract_ended")
    keys = key_material()
    valid_from = max(today, contract.start_date)
    valid_until = min(
        contract.end_date, today + dt.timedelta(days=settings.LICENSING_CERTIFICATE_DAYS)
    )
    body = {
        "kind": "licence-certificate",
        "format": 1,
        "certificate_id": str(uuid.uuid4()),
        "contract": contract.contract_number,
        "customer": {"number": contract.customer.customer_number, "name": contract.customer.name},
        "product": {"sku": contract.product.sku, "name": contract.product.name_en},
        "seats": contract.seats,
        "valid_from": valid_from.isoformat(),
        "valid_until": valid_until.isoformat(),
        "keycode_key_id": keycode.key_id,
        "keycode_serial": keycode.serial,
        "key_id": keys.signing_key_id,
        "issued_at": now.astimezone(dt.UTC).isoformat(timespec="seconds"),
    }
    return LicenceCertificate.objects.create(
        contract=contract,
        keycode=keycode,
        body=body,
        token=token_sign(prefix=CERTIFICATE_PREFIX, content=body, key=keys.signing_key),
        signing_key_id=keys.signing_key_id,
        valid_from=valid_from,
        valid_until=valid_until,
        issued_at=now,
        issued_by=actor_user(actor),
    )


# --- Activation -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ActivationRequest:
    keycode: str
    installation_uuid: uuid.UUID
    fingerprint: str
    hostname_hash: str
    product_version: str
    nonce: str = ""


@dataclass(frozen=True)
class ActivationResult:
    """What the installation is told, and the same content signed (`token`)."""

    content: dict[str, Any]
    token: str

    @property
    def valid(self) -> bool:
        return bool(self.content["valid"])


def licence_state(*, contract: Contract) -> str:
    """The contract's latest compliance status ("compliant" before the first scan)."""
    latest = (
        ComplianceRecord.objects.filter(contract=contract)
        .order_by("-day")
        .values_list("status", flat=True)
        .first()
    )
    return latest or "compliant"


def _activation_blocked(*, contract: Contract, state: str) -> bool:
    if state not in UNDER_LICENSED_STATUSES:
        return False
    return LicensingPolicy.objects.filter(
        product_id=contract.product_id, block_new_activations=True
    ).exists()


def installation_activate(
    *, request: ActivationRequest, now: dt.datetime | None = None
) -> ActivationResult:
    """Check the keycode and record the machine; answer signed with the vendor's key.

    A machine already known (same keycode and fingerprint) is the same installation whatever
    its installation id. Under-licensing never makes a valid code invalid; only a product whose
    licensing policy blocks new activations refuses a *new* machine while under-licensed.
    """
    now = now or timezone.now()
    today = timezone.localdate(now)
    check = keycode_check(text=request.keycode, today=today)
    content: dict[str, Any] = {
        "kind": "activation-answer",
        "installation_id": str(request.installation_uuid),
        "nonce": request.nonce,
        "issued_at": now.astimezone(dt.UTC).isoformat(timespec="seconds"),
        "valid": check.valid,
        "reason": check.reason or None,
    }
    if check.valid and check.keycode is not None and check.contract is not None:
        content.update(_activation_record(request=request, check=check, now=now))
    keys = key_material()
    content["key_id"] = keys.signing_key_id
    token = token_sign(prefix=ANSWER_PREFIX, content=content, key=keys.signing_key)
    return ActivationResult(content=content, token=token)


def _activation_record(
    *, request: ActivationRequest, check: KeycodeCheck, now: dt.datetime
) -> dict[str, Any]:
    keycode, contract = check.keycode, check.contract
    assert keycode is not None
    assert contract is not None
    today = timezone.localdate(now)
    state = licence_state(contract=contract)
    with transaction.atomic():
        installation = (
            Installation.objects.select_for_update()
            .filter(keycode=keycode, fingerprint=request.fingerprint)
            .first()
        )
        if installation is None and _activation_blocked(contract=contract, state=state):
            return {"valid": False, "reason": "activation_blocked", "licence_state": state}
        if installation is None:
            installation = Installation(
                keycode=keycode, fingerprint=request.fingerprint, first_seen_on=today
            )
        installation.installation_uuid = request.installation_uuid
        installation.hostname_hash = request.hostname_hash
        installation.product_version = request.product_version
        installation.state = InstallationState.ACTIVE
        installation.last_seen_on = max(installation.last_seen_on or today, today)
        installation.last_seen_at = now
        installation.activated_at = now
        installation.retired_at = None
        installation.save()
        Heartbeat.objects.bulk_create(
            [
                Heartbeat(
                    installation=installation,
                    seen_on=today,
                    product_version=request.product_version,
                )
            ],
            ignore_conflicts=True,
        )
    return {
        "licence_state": state,
        "updates": True,
        "valid_until": contract.end_date.isoformat(),
        "seats": contract.seats,
        "check_in_days": max(1, settings.LICENSING_ACTIVE_DAYS // 4),
    }


def installation_retire(
    *, installation: Installation, now: dt.datetime | None = None
) -> Installation:
    """Mark a machine as uninstalled: it no longer counts (its history stays)."""
    now = now or timezone.now()
    before = installation.state
    installation.state = InstallationState.RETIRED
    installation.retired_at = now
    with transaction.atomic():
        installation.save(update_fields=["state", "retired_at"])
        audit_record(
            action="installation.retire",
            target=installation,
            partner=Keycode.objects.filter(pk=installation.keycode_id)
            .values_list("contract__partner_id", flat=True)
            .first(),
            changes={"state": (before, InstallationState.RETIRED)},
        )
    return installation


def installations_mark_stale(*, today: dt.date | None = None) -> int:
    """Active installations not seen within LICENSING_ACTIVE_DAYS become stale (one UPDATE;
    a heartbeat makes them active again). Returns how many changed."""
    today = today or timezone.localdate()
    cutoff = today - dt.timedelta(days=settings.LICENSING_ACTIVE_DAYS - 1)
    return Installation.objects.filter(
        state=InstallationState.ACTIVE, last_seen_on__lt=cutoff
    ).update(state=InstallationState.STALE)
