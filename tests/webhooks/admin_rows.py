"""One row of every webhook model the admin shows, and who may do what there (tests/admin).

Everything is written by the services: nobody adds, changes or deletes a row in the admin.
Channel managers pause and resume subscriptions and send deliveries again or dismiss them; the
support desk only reads.
"""

from __future__ import annotations

from django.db.models import Model

from channeldesk.webhooks.models import WebhookDelivery, WebhookEvent, WebhookSubscription
from tests.admin.access_table import EVERY_STAFF, MANAGERS, NOBODY, AdminRow
from tests.personas import Personas
from tests.webhooks.faces import delivery_of, subscription_of

READ_ONLY_MODELS: set[type[Model]] = {WebhookSubscription, WebhookEvent, WebhookDelivery}

ADMIN_ACCESS: dict[str, AdminRow] = {
    "webhooks.WebhookSubscription": AdminRow(
        EVERY_STAFF, NOBODY, NOBODY, NOBODY, {"pause": MANAGERS, "resume": MANAGERS}
    ),
    "webhooks.WebhookEvent": AdminRow(EVERY_STAFF, NOBODY, NOBODY, NOBODY),
    "webhooks.WebhookDelivery": AdminRow(
        EVERY_STAFF, NOBODY, MANAGERS, NOBODY, {"release": MANAGERS, "dismiss": MANAGERS}
    ),
}


def admin_rows(personas: Personas) -> None:
    delivery_of(subscription_of(personas.partner_a))
