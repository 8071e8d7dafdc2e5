"""The single sign-on settings a test switches on: one OpenID Connect provider, as settings.py
builds it from OIDC_PROVIDER_URL and friends (docs/sso.md)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

PROVIDER_ID = "company"
CLIENT_ID = "channeldesk"
CLIENT_SECRET = "channeldesk-test-secret"  # the test provider's (provider.mjs)
BUTTON = "Company sign-in"
CALLBACK = f"/accounts/oidc/{PROVIDER_ID}/login/callback/"


def provider_configure(settings: Any, issuer: str) -> None:
    """Point allauth at the provider at `issuer` (pytest-django's `settings` fixture)."""
    settings.OIDC_PROVIDER_URL = issuer
    origin = urlsplit(issuer)
    settings.SECURE_CSP = {
        **settings.SECURE_CSP,
        "form-action": [*settings.SECURE_CSP["form-action"], f"{origin.scheme}://{origin.netloc}"],
    }
    settings.OIDC_PROVIDER_ID = PROVIDER_ID
    settings.SOCIALACCOUNT_PROVIDERS = {
        "openid_connect": {
            "OAUTH_PKCE_ENABLED": True,
            "APPS": [
                {
                    "provider_id": PROVIDER_ID,
                    "name": BUTTON,
                    "client_id": CLIENT_ID,
                    "secret": CLIENT_SECRET,
                    "settings": {
                        "server_url": issuer,
                        "scope": settings.OIDC_SCOPES,
                        "verified_email": settings.OIDC_VERIFIED_EMAIL_DOMAINS,
                    },
                }
            ],
        }
    }
