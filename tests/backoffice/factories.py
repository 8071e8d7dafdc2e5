"""Builders of the back-office tests: the calibration form a channel manager sends, and a
partner contact the support desk finds by phone."""

from __future__ import annotations

from channeldesk.partners.models import Contact, Partner
from channeldesk.tiers.hotlines import caller_numbers_refresh

# Calibrate the default programme as of 1 July 2026: one Gold partner, up to five Silver.
CALIBRATION_FORM = {
    "policy": "default@1",
    "as_of": "2026-07-01",
    "gold_min": "1",
    "gold_max": "1",
    "silver_min": "0",
    "silver_max": "5",
}


def munich_caller(partner: Partner) -> Contact:
    """A contact of `partner` with a Munich number, written as people write it, in the caller
    numbers the support desk searches."""
    contact = Contact.objects.create(partner=partner, name="Bernd Beta", phone="089 / 1234 5678")
    caller_numbers_refresh()
    return contact
