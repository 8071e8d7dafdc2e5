"""The data and the logins the schemathesis run (scripts/schemathesis) tests the API with.

Run inside the server's environment (CHANNELDESK_VAR_DIR, DJANGO_SETTINGS_MODULE) after migrate.
Prints one JSON object: for each persona the HTTP headers that log it in (a session cookie with
its CSRF token, or a token), read by scripts/schemathesis.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import time
from decimal import Decimal
from importlib import import_module
from typing import Any

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "channeldesk.settings")
django.setup()

from allauth.account.internal.flows.login import (  # noqa: E402
    _AUTHENTICATION_METHODS_USER_SESSION_KEY,
    AUTHENTICATION_METHODS_SESSION_KEY,
)
from allauth.account.internal.userkit import user_id_to_str  # noqa: E402
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret  # noqa: E402
from django.conf import settings  # noqa: E402
from django.contrib.auth import (  # noqa: E402
    BACKEND_SESSION_KEY,
    HASH_SESSION_KEY,
    SESSION_KEY,
    get_user_model,
)
from django.middleware.csrf import _get_new_csrf_string, _mask_cipher_secret  # noqa: E402

from channeldesk.catalog.models import Order, OrderLine, Product, ProductKind  # noqa: E402
from channeldesk.core.models import TokenScope  # noqa: E402
from channeldesk.core.tokens import service_token_create  # noqa: E402
from channeldesk.partners.models import MembershipRole, Partner, PartnerMembership  # noqa: E402


def _session_headers(user: Any) -> dict[str, str]:
    """A signed-in session as the login leaves it (password, then the second factor)."""
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    records: list[dict[str, Any]] = [
        {"method": "password", "at": time.time(), "username": user.get_username()}
    ]
    if user.is_staff:
        authenticator = TOTP.activate(user, generate_totp_secret()).instance
        records.append({"method": "mfa", "at": time.time(), "id": authenticator.pk, "type": "totp"})
    store[AUTHENTICATION_METHODS_SESSION_KEY] = records
    store[_AUTHENTICATION_METHODS_USER_SESSION_KEY] = user_id_to_str(user)
    store.create()
    csrf = _get_new_csrf_string()
    return {
        "Cookie": f"{settings.SESSION_COOKIE_NAME}={store.session_key}; "
        f"{settings.CSRF_COOKIE_NAME}={csrf}",
        "X-CSRFToken": _mask_cipher_secret(csrf),
    }


def _token_headers(scope: TokenScope) -> dict[str, str]:
    issued = service_token_create(name=f"schemathesis {scope}", scope=scope)
    return {"Authorization": f"Bearer {issued.secret}"}


def main() -> None:
    users = get_user_model().objects
    staff = users.create_user(
        "st-staff", "staff@example.com", "x", is_staff=True, is_superuser=True
    )
    partner_user = users.create_user("st-partner", "partner@example.com", "x")
    partner = Partner.objects.create(
        partner_number="P-1001",
        name="Alpha Systemhaus GmbH",
        street="Hauptstraße 1",
        postal_code="80331",
        city="München",
        country="DE",
        email="info@alpha.example",
    )
    PartnerMembership.objects.create(user=partner_user, partner=partner, role=MembershipRole.ADMIN)
    product = Product.objects.create(
        sku="AV-ENT-1Y",
        name_de="Virenschutz",
        name_en="Antivirus",
        kind=ProductKind.ENTERPRISE,
        list_price=Decimal("100.00"),
        unit="Lizenz",
    )
    order = Order.objects.create(
        partner=partner, order_number="SO-1", order_date=dt.date(2026, 3, 15)
    )
    OrderLine.objects.create(
        order=order,
        partner=partner,
        order_date=order.order_date,
        line_number=1,
        product=product,
        quantity=10,
        net_amount=Decimal("900.00"),
    )
    personas = {
        "staff": _session_headers(staff),
        "partner": _session_headers(partner_user),
        "training": _token_headers(TokenScope.TRAINING),
        "support": _token_headers(TokenScope.SUPPORT),
        "usage": _token_headers(TokenScope.USAGE),
    }
    print(json.dumps(personas))


if __name__ == "__main__":
    main()
