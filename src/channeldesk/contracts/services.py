"""Writes for customers and contracts. Each service runs in one transaction.

Contracts change state only here: `contract_renew`, `contract_cancel`, `contract_change_end_date`
and the `contracts_expire` sweep. The first three re-plan the contract's reminders
(`reminders.planning.reminders_plan` for that contract) in their own transaction, so that
renewing or cancelling a contract cancels its planned reminders, and changing an end date
cancels the old ones and plans the new ones, together with the change or not at all. Expiring
changes no reminder: the one after an unrenewed end is exactly for expired contracts.

`contract_renew` and `contracts_expire` emit their webhook events (`contract.renewed`,
`contract.expired`, `webhook_events.py`) in their transaction.

Each locks the contract row (`SELECT … FOR UPDATE` on PostgreSQL; SQLite has one writer at a time)
and checks its status again under the lock, so two requests racing to renew the same contract
cannot both succeed; the named unique constraint `contract_one_follow_up` is the hard guard
behind that.

Field values are validated by the callers (API serializers, import row models) before a service
runs; the services refuse what the contract's state does not allow, with a `ContractError`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from channeldesk.audit.services import audit_record
from channeldesk.catalog.models import Product
from channeldesk.contracts.models import (
    CONTRACT_PRODUCT_KINDS,
    Contract,
    ContractStatus,
    Customer,
    CustomerAssignment,
    CustomerSector,
)
from channeldesk.contracts.reminders.planning import reminders_plan
from channeldesk.contracts.reminders.withdrawal import reminder_emails_withdraw
from channeldesk.contracts.selectors import contracts_active_past_end, customer_partner_on
from channeldesk.contracts.webhook_events import (
    EXPIRED,
    contract_renewed_emit,
    contracts_expired_emit,
)
from channeldesk.core.errors import Conflict
from channeldesk.partners.models import Partner
from channeldesk.webhooks.wanted import webhook_type_wanted

# Renewing brings a contract that ran out back into the register; only these can be renewed.
RENEWABLE = (ContractStatus.ACTIVE, ContractStatus.EXPIRED)


class ContractError(Conflict):
    """A change the customer's or contract's state does not allow; `code` says which rule."""


# --- Customers ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class CustomerDetails:
    """A customer's master data, as the ERP, the admin or the API give it."""

    name: str
    street: str = ""
    postal_code: str = ""
    city: str = ""
    country: str = "DE"
    language: str = "de"
    sector: str = CustomerSector.OTHER
    contact_name: str = ""
    contact_email: str = ""


@transaction.atomic
def customer_create(
    *,
    customer_number: str,
    details: CustomerDetails,
    partner: Partner,
    since: dt.date | None = None,
) -> Customer:
    """A new customer, looked after by `partner` from `since` (default: today)."""
    customer = Customer.objects.create(customer_number=customer_number, **asdict(details))
    customer_partner_change(customer=customer, partner=partner, on=since)
    return customer


@transaction.atomic
def customer_update(*, customer: Customer, details: CustomerDetails) -> Customer:
    """Replace the customer's master data; an unchanged customer is not written at all, so its
    `updated_at` keeps saying when something last changed."""
    changed = [name for name, value in asdict(details).items() if getattr(customer, name) != value]
    for name in changed:
        setattr(customer, name, getattr(details, name))
    if changed:
        customer.save(update_fields=[*changed, "updated_at"])
    return customer


@transaction.atomic
def customer_partner_change(
    *, customer: Customer, partner: Partner, on: dt.date | None = None
) -> CustomerAssignment:
    """Let `partner` look after the customer from `on` (default: today) and return that span.

    1. Lock the customer's open span. Without one (a new customer), open the first.
    2. The same partner again changes nothing (re-imports and repeated requests are harmless).
    3. A change dated in the future, or before the open span started, is refused: the open span
       is always the one in force today, which is what scoping and reminders rely on.
    4. A change on the day the open span started corrects that span in place (it never held
       for a whole day); otherwise the open span is closed on `on` and a new one opened.
    """
    on = on or timezone.localdate()
    _refuse_future_change(customer=customer, on=on)
    current = (
        CustomerAssignment.objects.select_for_update()
        .filter(customer=customer, valid_to__isnull=True)
        .first()
    )
    if current is None:
        return CustomerAssignment.objects.create(customer=customer, partner=partner, valid_from=on)
    if current.partner_id == partner.pk:
        return current
    if on < current.valid_from:
        raise ContractError(
            f"{partner.partner_number} cannot take over {customer.customer_number} on {on}: "
            f"{current.partner} looks after it since {current.valid_from}.",
            code="partner_change_before_start",
        )
    _partner_change_audit(customer=customer, before=current.partner, after=partner, on=on)
    if on == current.valid_from:
        current.partner = partner
        current.save(update_fields=["partner"])
        return current
    current.valid_to = on
    current.save(update_fields=["valid_to"])
    return CustomerAssignment.objects.create(customer=customer, partner=partner, valid_from=on)


def _partner_change_audit(
    *, customer: Customer, before: Partner, after: Partner, on: dt.date
) -> None:
    """The change of the partner looking after a customer, filed under the new partner."""
    audit_record(
        action="contracts.customer.partner_change",
        target=customer,
        partner=after,
        changes={"partner": (before.partner_number, after.partner_number)},
        details={"from": on},
    )


def _refuse_future_change(*, customer: Customer, on: dt.date) -> None:
    if on > timezone.localdate():
        raise ContractError(
            f"The partner of {customer.customer_number} can change from today at the latest, "
            f"not on {on}; record the change when it happens.",
            code="partner_change_in_future",
        )


# --- Contracts ---------------------------------------------------------------------------------


@transaction.atomic
def contract_create(
    *,
    contract_number: str,
    customer: Customer,
    product: Product,
    seats: int,
    start_date: dt.date,
    end_date: dt.date,
    partner: Partner | None = None,
) -> Contract:
    """A new active contract. The selling partner defaults to whoever looks after the customer
    now, which is who sells to it in the normal case."""
    return _contract_insert(
        contract_number=contract_number,
        customer=customer,
        partner=partner or _current_partner(customer=customer),
        product=product,
        seats=seats,
        start_date=start_date,
        end_date=end_date,
    )


@transaction.atomic
def contract_renew(
    *,
    contract: Contract,
    contract_number: str,
    end_date: dt.date,
    start_date: dt.date | None = None,
    seats: int | None = None,
    product: Product | None = None,
) -> Contract:
    """Create the follow-up contract and mark `contract` renewed, in one transaction.

    1. Lock the contract and check, under the lock, that it is active or expired: a renewed
       contract already has its follow-up, and a cancelled one is not to be continued.
    2. Create the follow-up for the same customer: from the day after the end date unless told
       otherwise, same product and seats unless told otherwise, sold by the partner who looks
       after the customer now.
    3. Mark the contract renewed, cancel its planned reminders and plan the follow-up's;
       withdraw its reminder e-mails still waiting in the outbox. Should anything fail, no
       change is kept.
    Returns the follow-up; the `contract` passed in is updated to its new status.
    """
    previous = _locked(contract=contract)
    _refuse_unless(previous, allowed=RENEWABLE, action="be renewed", code="not_renewable")
    start_date = start_date or previous.end_date + dt.timedelta(days=1)
    _check_renewal_start(previous=previous, start_date=start_date)
    follow_up = _contract_insert(
        contract_number=contract_number,
        customer=previous.customer,
        partner=_current_partner(customer=previous.customer),
        product=product or previous.product,
        seats=seats if seats is not None else previous.seats,
        start_date=start_date,
        end_date=end_date,
        renews=previous,
    )
    _mark_renewed(previous=previous)
    reminders_plan(contract_ids=[previous.pk, follow_up.pk])
    reminder_emails_withdraw(contract_ids=[previous.pk])
    contract_renewed_emit(previous=previous, follow_up=follow_up)
    _copy_state(source=previous, target=contract)
    return follow_up


@transaction.atomic
def contract_cancel(*, contract: Contract, reason: str) -> Contract:
    """Cancel an active contract: it will not be renewed, and nothing more is sent about it.

    The end date is kept (it says until when the customer was entitled); to end a contract
    sooner, change its end date first. `reason` is stored for the back office, and quoted in
    the history of the planned reminders this cancels; reminder e-mails still waiting in the
    outbox are withdrawn.
    """
    if not reason.strip():
        raise ContractError("A cancellation needs a reason.", code="reason_missing")
    locked = _locked(contract=contract)
    _refuse_unless(
        locked, allowed=(ContractStatus.ACTIVE,), action="be cancelled", code="not_active"
    )
    locked.status = ContractStatus.CANCELLED
    locked.cancelled_at = timezone.now()
    locked.cancellation_reason = reason.strip()
    locked.save(update_fields=["status", "cancelled_at", "cancellation_reason", "updated_at"])
    reminders_plan(contract_ids=[locked.pk])
    reminder_emails_withdraw(contract_ids=[locked.pk])
    _copy_state(source=locked, target=contract)
    return contract


@transaction.atomic
def contract_change_end_date(*, contract: Contract, end_date: dt.date) -> Contract:
    """Move an active contract's end date (an extension, or an earlier end).

    The same end date again changes nothing. An end date moved into the past leaves the contract
    active until the expiry sweep runs, like any other contract that ran out. The reminders
    planned for the old end date are cancelled and those for the new one planned; e-mails about
    the old end date still waiting in the outbox are withdrawn.
    """
    locked = _locked(contract=contract)
    _refuse_unless(
        locked,
        allowed=(ContractStatus.ACTIVE,),
        action="have its end date changed",
        code="not_active",
    )
    if end_date < locked.start_date:
        raise ContractError(
            f"Contract {locked.contract_number} starts on {locked.start_date}; it cannot end "
            f"before that ({end_date}).",
            code="end_before_start",
        )
    if end_date != locked.end_date:
        locked.end_date = end_date
        locked.save(update_fields=["end_date", "updated_at"])
        reminders_plan(contract_ids=[locked.pk])
        reminder_emails_withdraw(contract_ids=[locked.pk])
    _copy_state(source=locked, target=contract)
    return contract


@transaction.atomic
def contracts_expire(*, today: dt.date | None = None) -> int:
    """Mark every active contract whose end date has passed expired; returns how many.

    One UPDATE over the active contracts ending before `today` (default: today in Europe/
    Berlin). It only ever moves active contracts, so a second run, or a run a day late, finds
    nothing more to do.
    """
    today = today or timezone.localdate()
    due = contracts_active_past_end(today=today)
    if webhook_type_wanted(EXPIRED):
        expired = _expire_with_events(due)
    else:
        expired = due.update(status=ContractStatus.EXPIRED, updated_at=timezone.now())
    if expired:
        audit_record(
            action="contracts.expire",
            target=Contract,
            counts={"contracts": expired},
            details={"today": today},
        )
    return expired


def _expire_with_events(due: QuerySet[Contract]) -> int:
    """Expire `due` and emit `contract.expired` for each, in one call: the rows are locked and
    read first (id and end date), then updated by id, 5,000 at a time."""
    rows = list(due.select_for_update().order_by("id").values_list("id", "end_date"))
    now = timezone.now()
    expired = 0
    for start in range(0, len(rows), 5000):
        ids = [contract_id for contract_id, _end in rows[start : start + 5000]]
        expired += Contract.objects.filter(id__in=ids, status=ContractStatus.ACTIVE).update(
            status=ContractStatus.EXPIRED, updated_at=now
        )
    contracts_expired_emit(expired=rows)
    return expired


# --- Helpers -----------------------------------------------------------------------------------


def _locked(*, contract: Contract) -> Contract:
    """The contract as stored now, locked until the transaction ends."""
    return (
        Contract.objects.select_for_update()
        .select_related("customer", "product")
        .get(pk=contract.pk)
    )


def _copy_state(*, source: Contract, target: Contract) -> None:
    """Bring the caller's instance up to date with what the service wrote."""
    if source is target:
        return
    for name in ("status", "end_date", "cancelled_at", "cancellation_reason", "updated_at"):
        setattr(target, name, getattr(source, name))


def _refuse_unless(
    contract: Contract, *, allowed: tuple[ContractStatus, ...], action: str, code: str
) -> None:
    if contract.status not in allowed:
        # The value, not the (translated) label: the sentence is English, whatever the language.
        raise ContractError(
            f"Contract {contract.contract_number} is {contract.status}; it cannot {action}.",
            code=code,
        )


def _contract_insert(
    *,
    contract_number: str,
    customer: Customer,
    partner: Partner,
    product: Product,
    seats: int,
    start_date: dt.date,
    end_date: dt.date,
    renews: Contract | None = None,
) -> Contract:
    _check_terms(product=product, seats=seats, start_date=start_date, end_date=end_date)
    return Contract.objects.create(
        contract_number=contract_number,
        customer=customer,
        partner=partner,
        product=product,
        seats=seats,
        start_date=start_date,
        end_date=end_date,
        renews=renews,
    )


def _check_terms(*, product: Product, seats: int, start_date: dt.date, end_date: dt.date) -> None:
    if product.kind not in CONTRACT_PRODUCT_KINDS:
        raise ContractError(
            f"{product.sku} is a {product.kind} product; contracts are for enterprise and "
            "service products.",
            code="product_not_contractable",
        )
    if seats < 1:
        raise ContractError("A contract needs at least one seat.", code="no_seats")
    if end_date < start_date:
        raise ContractError(
            f"A contract starting on {start_date} cannot end on {end_date}.",
            code="end_before_start",
        )


def _check_renewal_start(*, previous: Contract, start_date: dt.date) -> None:
    """A renewal starts after the contract it renews started; so a chain of renewals never
    loops back on itself."""
    if start_date <= previous.start_date:
        raise ContractError(
            f"The renewal of {previous.contract_number} must start after {previous.start_date}.",
            code="renewal_starts_too_early",
        )


def _mark_renewed(*, previous: Contract) -> None:
    previous.status = ContractStatus.RENEWED
    previous.save(update_fields=["status", "updated_at"])


def _current_partner(*, customer: Customer) -> Partner:
    partner = customer_partner_on(customer=customer, on=timezone.localdate())
    if partner is None:
        raise ContractError(
            f"Nobody looks after customer {customer.customer_number}; assign a partner first.",
            code="no_partner",
        )
    return partner
