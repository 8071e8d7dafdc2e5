"""One row of every licensing model the admin shows (tests/admin walks every admin page)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.utils import timezone

from channeldesk.licensing.models import (
    ComplianceEpisode,
    ComplianceRecord,
    Installation,
    Keycode,
    KeycodeReveal,
    LicenceCertificate,
    LicensingPolicy,
    RevealChannel,
)
from channeldesk.licensing.services import certificate_issue, keycode_issue, keycode_reveal
from tests.contracts.factories import contract_of, customer_of, enterprise_product

READ_ONLY_MODELS = {
    Keycode,
    KeycodeReveal,
    LicenceCertificate,
    Installation,
    ComplianceRecord,
    ComplianceEpisode,
}


def admin_rows(personas: Any) -> None:
    product = enterprise_product("ENT-LIC")
    customer = customer_of(personas.partner_a, customer_number="K-LIC")
    contract = contract_of(
        customer,
        product=product,
        contract_number="V-LIC",
        start_date=dt.date(2026, 1, 1),
        end_date=timezone.localdate() + dt.timedelta(days=300),
    )
    keycode = keycode_issue(contract=contract).keycode
    keycode_reveal(
        keycode=keycode,
        actor=personas.partner_a_user,
        channel=RevealChannel.PORTAL,
        partner=personas.partner_a,
    )
    certificate_issue(contract=contract)
    today = timezone.localdate()
    Installation.objects.create(
        keycode=keycode,
        fingerprint="ab" * 32,
        installation_uuid=uuid.uuid4(),
        first_seen_on=today,
        last_seen_on=today,
        last_seen_at=dt.datetime.now(dt.UTC),
    )
    ComplianceRecord.objects.create(
        contract=contract,
        day=today,
        seats=contract.seats,
        active_installations=1,
        peak_installations=1,
        tolerance=5,
        status="compliant",
    )
    ComplianceEpisode.objects.create(
        contract=contract, started_on=today, seats=contract.seats, active_installations=40
    )
    LicensingPolicy.objects.create(product=product)
