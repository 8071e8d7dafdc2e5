"""Each audited action leaves its entry: who (actor), from where (address, via), what changed
(before/after), and one entry with counts for a set-based run."""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from allauth.mfa.models import Authenticator
from django.contrib.auth.models import AnonymousUser, Group
from django.http import HttpRequest
from huey.contrib.djhuey import HUEY

from channeldesk.audit.context import command_name, current_origin
from channeldesk.audit.models import AuditEntry
from channeldesk.catalog.models import Product, ProductKind
from channeldesk.contracts.models import Contract, ContractStatus
from channeldesk.contracts.services import contracts_expire
from channeldesk.core.tokens import service_token_create, service_token_revoke
from channeldesk.licensing.services import (
    installation_retire,
    keycode_reveal,
    keycode_revoke,
    keycode_rotate,
)
from channeldesk.notifications.models import OutboxMessage, OutboxStatus
from channeldesk.notifications.services import outbox_dismiss_many, outbox_release
from channeldesk.partners.models import Partner
from channeldesk.tiers.calibration import tiers_calibrate
from channeldesk.tiers.models import Tier, TierCriterion
from channeldesk.tiers.selectors import policy_get
from channeldesk.tiers.services import tier_override_create, tier_policy_publish, tiers_apply
from tests.factories import PartnerFactory, ProductFactory, UserFactory
from tests.licensing.factories import enterprise_contract, issued
from tests.notifications.factories import enqueue
from tests.personas import Personas
from tests.tiers.factories import AS_OF, buy
from tests.usage.worlds import october_statements

pytestmark = pytest.mark.django_db
Run = Callable[..., Any]


def only(kind: str) -> AuditEntry:
    """The one entry of `kind` (fails if there are none or several)."""
    entries = list(AuditEntry.objects.filter(kind=kind))
    assert len(entries) == 1, [(entry.kind, entry.object_repr) for entry in entries]
    return entries[0]


@pytest.fixture
def enterprise() -> Product:
    return ProductFactory(sku="ENT-SEAT", kind=ProductKind.ENTERPRISE, list_price=Decimal("100"))


# --- Model edits (django-auditlog) ------------------------------------------------------------


def test_partner_edit_names_actor_address_and_before_after(
    personas: Personas, through_request: Run
) -> None:
    partner = personas.partner_a

    def rename(request: HttpRequest) -> None:
        partner.name = "Alpha Systemhaus AG"
        partner.save()

    through_request(rename, user=personas.staff, address="203.0.113.7")

    entry = only("partners.partner.update")
    assert entry.actor == personas.staff
    assert entry.actor_label == "staff"
    assert entry.remote_addr == "203.0.113.7"
    assert entry.via == "web"
    assert entry.partner_id == partner.pk
    assert entry.changes == {"name": ["Alpha Systemhaus GmbH", "Alpha Systemhaus AG"]}


def test_a_forwarded_address_counts_only_behind_a_trusted_proxy(
    personas: Personas, through_request: Run, settings: Any
) -> None:
    partner = personas.partner_a
    forwarded = {"X-Forwarded-For": "198.51.100.1, 192.0.2.44"}

    def touch(name: str) -> Callable[[HttpRequest], None]:
        def edit(request: HttpRequest) -> None:
            partner.name = name
            partner.save()

        return edit

    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 0
    through_request(touch("first"), user=personas.staff, address="10.0.0.5", headers=forwarded)
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    through_request(touch("second"), user=personas.staff, address="10.0.0.5", headers=forwarded)

    addresses = list(
        AuditEntry.objects.filter(kind="partners.partner.update")
        .order_by("pk")
        .values_list("remote_addr", flat=True)
    )
    # Untrusted: the header is anyone's to write, so the connection's address is kept; behind
    # one trusted proxy, the address that proxy saw.
    assert addresses == ["10.0.0.5", "192.0.2.44"]


def test_an_actor_signed_in_during_the_request_is_named(
    personas: Personas, through_request: Run
) -> None:
    """DRF signs a token's person in inside the view, after the middleware ran."""

    def token_call(request: HttpRequest) -> None:
        request.user = personas.staff
        partner = personas.partner_b
        partner.name = "Beta IT-Service GmbH"
        partner.save()

    through_request(token_call, user=AnonymousUser(), path="/api/v1/partners/")

    entry = only("partners.partner.update")
    assert (entry.actor, entry.via) == (personas.staff, "api")


def test_tier_discount_and_hotline_edits_keep_before_and_after(personas: Personas) -> None:
    tier = Tier.objects.get(policy__code="default", code="gold")
    before_discount, before_phone = tier.discount_percent, tier.hotline_phone

    tier.discount_percent = Decimal("31.50")
    tier.hotline_phone = "+498912345670"
    tier.save()

    entry = only("tiers.tier.update")
    assert entry.changes is not None
    assert [str(value) for value in entry.changes["discount_percent"]] == [
        str(before_discount),
        "31.50",
    ]
    assert entry.changes["hotline_phone"] == [before_phone, "+498912345670"]
    assert (entry.actor, entry.actor_label, entry.via) == (None, "system", "system")


def test_roles_and_second_factors_are_recorded_without_secrets(personas: Personas) -> None:
    user = UserFactory(username="carla", password="a-long-password-1")
    managers, _ = Group.objects.get_or_create(name="channel manager")

    user.groups.add(managers)
    Authenticator.objects.create(
        user=user, type=Authenticator.Type.TOTP, data={"secret": "JBSWY3DPEHPK3PXP"}
    )
    user.set_password("another-long-password-2")
    user.save()

    roles = AuditEntry.objects.get(
        kind="auth.user.update", object_pk=str(user.pk), changes__has_key="groups"
    )
    assert roles.changes["groups"] == {
        "type": "m2m",
        "operation": "add",
        "objects": ["channel manager"],
    }
    second_factor = only("mfa.authenticator.create")
    assert second_factor.object_pk == str(Authenticator.objects.get(user=user).pk)
    trail = json.dumps(list(AuditEntry.objects.values("changes", "serialized_data")))
    assert "JBSWY3DPEHPK3PXP" not in trail
    assert user.password not in trail
    # A password change alone is no recorded field change (the hash is never kept).
    assert not AuditEntry.objects.filter(kind="auth.user.update", changes__has_key="password")


def test_tokens_created_and_revoked_without_their_digest(
    personas: Personas, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "argv", ["/srv/venv/bin/channeldesk", "tokens", "create", "--x"])

    issued_token = service_token_create(name="Phone system", scope="support")
    service_token_revoke(key_id=issued_token.token.key_id)

    created = only("core.servicetoken.create")
    revoked = only("core.servicetoken.update")
    assert (created.via, created.actor_label, created.actor) == (
        "cli: tokens create",
        "system",
        None,
    )
    assert list(revoked.changes or {}) == ["revoked_at"]
    trail = json.dumps(list(AuditEntry.objects.values("changes", "serialized_data")))
    assert issued_token.token.digest not in trail
    assert issued_token.secret not in trail


# --- Actions and set-based runs (audit_record) ------------------------------------------------


@pytest.mark.today("2026-12-07")
def test_publishing_a_policy_is_one_entry_with_before_and_after(personas: Personas) -> None:
    draft = policy_get(reference="default")

    tier_policy_publish(policy=draft, effective_from=AS_OF)

    entry = only("tiers.policy.publish")
    assert entry.changes == {
        "status": ["draft", "published"],
        "effective_from": [None, "2026-07-01"],
    }
    assert entry.object_pk == str(draft.pk)
    # The model edit behind it is not recorded a second time.
    assert not AuditEntry.objects.filter(kind="tiers.tierpolicy.update").exists()


@pytest.mark.today("2026-12-07")
def test_applying_tiers_to_many_partners_is_one_entry_with_counts(
    enterprise: Product, through_request: Run, personas: Personas
) -> None:
    policy = tier_policy_publish(policy=policy_get(reference="default"), effective_from=AS_OF)
    partners = PartnerFactory.create_batch(40)
    buy(partners[0], enterprise, times=5, amount=Decimal("12000.00"))
    everyone = Partner.objects.count()
    before = AuditEntry.objects.count()

    result = through_request(
        lambda request: tiers_apply(policy=policy, actor=request.user), user=personas.staff
    )

    assert AuditEntry.objects.count() == before + 1
    entry = only("tiers.apply")
    assert entry.counts == {
        "partners": everyone,
        "created": result.created,
        "corrected": 0,
        "unchanged": 0,
        "movers": len(result.movers),
        "notices": result.notices,
    }
    assert result.created == everyone
    assert (entry.actor, entry.remote_addr, entry.partner_id) == (
        personas.staff,
        "203.0.113.7",
        None,
    )
    assert entry.additional_data == {"valid_from": "2026-07-01"}


@pytest.mark.today("2026-12-07")
def test_an_override_is_recorded_with_its_partner(personas: Personas) -> None:
    tier_policy_publish(policy=policy_get(reference="default"), effective_from=AS_OF)
    partner = personas.partner_a

    tier_override_create(
        partner=partner,
        tier_code="gold",
        reason="Strategic partner",
        valid_from=dt.date(2026, 12, 7),
        actor=personas.staff,
    )

    override = only("tiers.tieroverride.create")
    applied = only("tiers.apply")
    assert override.partner_id == applied.partner_id == partner.pk
    assert (override.changes or {})["reason"] == [None, "Strategic partner"]
    assert (applied.counts or {})["partners"] == 1
    assert applied.actor == personas.staff


@pytest.mark.today("2026-11-27")
def test_keycode_reveal_revoke_rotate_and_retire_are_recorded(
    personas: Personas, licensing_keys: None, through_request: Run
) -> None:
    contract = enterprise_contract(personas.partner_a)
    keycode = issued(contract)
    staff = personas.staff

    through_request(
        lambda request: keycode_reveal(
            keycode=keycode.keycode, actor=request.user, channel="admin"
        ),
        user=staff,
    )
    rotated = through_request(
        lambda request: keycode_rotate(
            keycode=keycode.keycode, reason="leaked", actor=request.user
        ),
        user=staff,
    )
    through_request(
        lambda request: keycode_revoke(keycode=rotated.keycode, reason="ended", actor=request.user),
        user=staff,
    )

    reveal = only("keycode.reveal")
    assert (reveal.actor, reveal.partner_id, reveal.action) == (
        staff,
        personas.partner_a.pk,
        AuditEntry.Action.ACCESS,
    )
    assert keycode.code not in json.dumps([reveal.changes, reveal.additional_data])
    rotation = only("keycode.rotate")
    assert rotation.changes == {"status": ["active", "revoked"]}
    assert rotation.counts == {"installations moved": 0}
    assert rotation.additional_data == {"reason": "leaked", "replaced by": str(rotated.keycode)}
    revocation = only("keycode.revoke")
    assert revocation.object_pk == str(rotated.keycode.pk)
    assert revocation.partner_id == personas.partner_a.pk
    assert revocation.remote_addr == "203.0.113.7"


@pytest.mark.today("2026-11-27")
def test_retiring_an_installation_is_recorded(personas: Personas, licensing_keys: None) -> None:
    from channeldesk.licensing.models import Installation, InstallationState

    contract = enterprise_contract(personas.partner_a)
    keycode = issued(contract).keycode
    now = dt.datetime(2026, 11, 27, 9, tzinfo=dt.UTC)
    installation = Installation.objects.create(
        keycode=keycode,
        fingerprint="a" * 64,
        installation_uuid="6f1c2e10-94a5-4f11-9a4c-3b2f1e0d9c8b",
        first_seen_on=now.date(),
        last_seen_on=now.date(),
        last_seen_at=now,
    )

    installation_retire(installation=installation)

    entry = only("installation.retire")
    assert entry.changes == {"state": ["active", InstallationState.RETIRED.value]}
    assert entry.partner_id == personas.partner_a.pk


def test_closing_a_month_is_one_entry_with_its_statements(personas: Personas) -> None:
    october_statements(personas.partner_a, personas.partner_b, with_tiers=False)

    entry = only("usage.statements.close")
    assert (entry.counts or {})["statements"] == 2
    assert entry.changes == {"status": ["closing", "closed"]}
    assert entry.additional_data is not None
    assert entry.additional_data["month"] == "2026-10-01"


def test_outbox_release_and_withdrawal(personas: Personas, through_request: Run) -> None:
    message = enqueue(key="reminder:7:partner")
    OutboxMessage.objects.filter(pk=message.pk).update(status=OutboxStatus.REVIEW)
    for number in range(3):
        enqueue(key=f"reminder:{number}:customer")

    through_request(
        lambda request: outbox_release(message=message, actor=request.user, note="checked"),
        user=personas.staff,
    )
    outbox_dismiss_many(
        keys=[f"reminder:{number}:customer" for number in range(3)], reason="contract renewed"
    )

    release = only("outbox.release")
    assert release.changes == {"status": ["review", "pending"]}
    assert (release.actor, release.additional_data) == (personas.staff, {"note": "checked"})
    withdrawal = only("outbox.dismiss_many")
    assert withdrawal.counts == {"messages": 3}


@pytest.mark.today("2026-12-07")
def test_expiring_contracts_is_one_entry_and_an_idle_run_none(personas: Personas) -> None:
    from tests.contracts.factories import contract_of, customer_of

    for number in range(3):
        customer = customer_of(personas.partner_a, customer_number=f"K-X{number}")
        contract_of(
            customer,
            contract_number=f"X-{number}",
            start_date=dt.date(2025, 1, 1),
            end_date=dt.date(2025, 12, 31),
        )

    assert contracts_expire() == 3
    assert contracts_expire() == 0

    entry = only("contracts.expire")
    assert entry.counts == {"contracts": 3}
    assert Contract.objects.filter(status=ContractStatus.EXPIRED).count() == 3


# --- Where an entry comes from ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["/srv/bin/channeldesk", "tiers", "apply", "--as-of", "2027-01-01"], "cli: tiers apply"),
        (["manage.py", "--settings=x", "outbox", "dispatch"], "cli: outbox dispatch"),
        (["/usr/bin/pytest", "tests/audit"], "system"),
        (["gunicorn", "channeldesk.wsgi"], "system"),
    ],
)
def test_command_name_keeps_only_the_command(argv: list[str], expected: str) -> None:
    assert command_name(argv) == expected


def test_entries_written_by_a_huey_task_name_the_task(personas: Personas) -> None:
    class Task:
        id = "task-1"
        name = "tiers_sweep"

    HUEY._emit("executing", Task())
    try:
        assert current_origin().via == "job: tiers_sweep"
        partner = personas.partner_a
        partner.name = "Renamed by a job"
        partner.save()
    finally:
        HUEY._emit("complete", Task())

    entry = only("partners.partner.update")
    assert (entry.via, entry.actor_label, entry.actor) == ("job: tiers_sweep", "system", None)
    assert current_origin().via == "system"


def test_work_in_a_thread_of_its_own_names_who_asked_for_it(personas: Personas) -> None:
    """A back-office run goes on in a thread without the request; `audit_origin` carries the
    person who started it."""
    from channeldesk.audit.context import audit_origin

    with audit_origin(via="web: calibration run", actor=personas.staff):
        partner = personas.partner_b
        partner.name = "Beta IT-Service GmbH"
        partner.save()

    entry = only("partners.partner.update")
    assert (entry.actor, entry.actor_label, entry.via, entry.remote_addr) == (
        personas.staff,
        "staff",
        "web: calibration run",
        None,
    )
    assert current_origin().via == "system"


@pytest.mark.today("2026-12-07")
def test_a_calibration_records_its_thresholds_and_its_draft_once(enterprise: Product) -> None:
    for revenue in range(1000, 31000, 1000):
        buy(PartnerFactory(), enterprise, times=4, amount=Decimal(revenue) / 4)
    policy = policy_get(reference="default")

    calibration = tiers_calibrate(
        policy=policy, as_of=AS_OF, targets={"gold": (4, 6), "silver": (10, 12)}
    )

    assert calibration.draft is not None
    calibrated = only("tiers.calibrate")
    draft = only("tiers.policy.draft")
    assert calibrated.object_pk == draft.object_pk == str(calibration.draft.pk)
    thresholds = {
        f"{outcome.tier}.{outcome.criterion}": [
            str(outcome.threshold_before),
            str(outcome.threshold),
        ]
        for outcome in calibration.tiers
        if outcome.threshold is not None
    }
    assert calibrated.changes == thresholds
    assert draft.counts == {
        "tiers": calibration.draft.tiers.count(),
        "criteria": TierCriterion.objects.filter(tier__policy=calibration.draft).count(),
    }
    # The copied tiers are in the draft's one entry, not one entry each.
    assert not AuditEntry.objects.filter(kind__in=["tiers.tier.create", "tiers.tierpolicy.create"])


@pytest.mark.today("2026-12-07")
def test_a_renewal_and_a_change_of_partner_are_recorded(
    personas: Personas, through_request: Run
) -> None:
    from channeldesk.contracts.services import contract_renew, customer_partner_change
    from tests.contracts.factories import contract_of, customer_of

    customer = customer_of(personas.partner_a, customer_number="K-R1")
    contract = contract_of(
        customer,
        contract_number="R-1",
        start_date=dt.date(2026, 1, 1),
        end_date=dt.date(2026, 12, 31),
    )

    through_request(
        lambda request: customer_partner_change(customer=customer, partner=personas.partner_b),
        user=personas.staff,
    )
    follow_up = through_request(
        lambda request: contract_renew(
            contract=contract, contract_number="R-2", end_date=dt.date(2027, 12, 31)
        ),
        user=personas.staff,
    )

    moved = only("contracts.customer.partner_change")
    assert moved.changes == {"partner": ["A-1000", "B-2000"]}
    assert (moved.partner_id, moved.actor) == (personas.partner_b.pk, personas.staff)
    renewed = AuditEntry.objects.get(kind="contracts.contract.update", object_pk=str(contract.pk))
    assert renewed.changes == {"status": ["active", "renewed"]}
    assert renewed.partner_id == personas.partner_a.pk
    created = AuditEntry.objects.get(kind="contracts.contract.create", object_pk=str(follow_up.pk))
    assert (created.changes or {})["renews"] == [None, contract.pk]
    assert (created.actor, created.remote_addr) == (personas.staff, "203.0.113.7")


def test_dismissing_one_e_mail_is_recorded_with_the_reason(personas: Personas) -> None:
    from channeldesk.notifications.services import outbox_dismiss

    message = enqueue(key="reminder:9:partner")

    outbox_dismiss(message=message, reason="arrived after all", actor=personas.staff)

    entry = only("outbox.dismiss")
    assert entry.changes == {"status": ["pending", "dismissed"]}
    assert entry.additional_data == {"reason": "arrived after all"}
    assert entry.actor == personas.staff


def test_staff_decisions_on_reminders_are_recorded_under_the_partner(personas: Personas) -> None:
    from channeldesk.contracts.models import Reminder, ReminderStatus
    from channeldesk.contracts.reminders.planning import reminders_plan
    from channeldesk.contracts.reminders.services import reminder_dismiss, reminder_release
    from tests.contracts.reminders_world import PLAN_DAY, reminder_of, world

    world()
    reminders_plan(today=PLAN_DAY)
    letter = reminder_of("V-1", "renewal_letter")
    copy = reminder_of("V-1", "partner_letter_copy")
    Reminder.objects.filter(pk__in=[letter.pk, copy.pk]).update(status=ReminderStatus.REVIEW)

    reminder_dismiss(reminder=letter, reason="Printed by hand", actor=personas.staff)
    reminder_release(reminder=copy, actor=personas.staff, note="Not sent")

    dismissal = only("reminder.dismiss")
    release = only("reminder.release")
    assert dismissal.changes == {"status": ["review", "cancelled"]}
    assert dismissal.additional_data == {"note": "Printed by hand"}
    assert release.changes == {"status": ["review", "planned"]}
    assert dismissal.partner_id == release.partner_id == letter.contract.partner_id
    assert dismissal.actor == release.actor == personas.staff
