"""Top-level URLs: the admin, the API, sign-in (allauth), the portal and the back office.

There is one sign-in for everyone, allauth's: `/admin/login/` sends people there (keeping
`next`), so the admin is never reached with the password alone (core.second_factor).
"""

from allauth.urls import urlpatterns as allauth_urlpatterns
from django.contrib import admin
from django.urls import include, path

from channeldesk.core.health import liveness_view, readiness_view
from channeldesk.core.metrics import metrics_view
from channeldesk.core.second_factor import (
    ActivateTOTPView,
    AddPasskeyView,
    RemovePasskeyView,
    admin_login_redirect,
)
from channeldesk.core.views import set_language

# Registers the job and database figures that /metrics reports.
from channeldesk.jobs import metrics as _job_metrics  # noqa: F401
from channeldesk.portal.views.colleagues import invitation_accept
from channeldesk.portal.views.home import site_root

# allauth's pages without the four unnamed legacy redirects of socialaccount (`social/…`, kept
# by allauth for old links): ChannelDesk never published those links, and every page is named.
ALLAUTH_URLS = [
    pattern for pattern in allauth_urlpatterns if not str(pattern.pattern).startswith("social/")
]

urlpatterns = [
    path("", site_root, name="site-root"),
    path("admin/login/", admin_login_redirect, name="admin-login"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("channeldesk.api.urls")),
    # allauth's TOTP setup, which also records the proved factor in the session.
    path("accounts/2fa/totp/activate/", ActivateTOTPView.as_view(), name="mfa_activate_totp"),
    path("accounts/invitation/<str:token>/", invitation_accept, name="account_invitation_accept"),
    path("accounts/2fa/webauthn/add/", AddPasskeyView.as_view(), name="mfa_add_webauthn"),
    path(
        "accounts/2fa/webauthn/keys/<int:pk>/remove/",
        RemovePasskeyView.as_view(),
        name="mfa_remove_webauthn",
    ),
    path("accounts/", include(ALLAUTH_URLS)),
    path("portal/", include("channeldesk.portal.urls")),
    path("backoffice/", include("channeldesk.backoffice.urls")),
    path("i18n/setlang/", set_language, name="set_language"),
    path("i18n/", include("django.conf.urls.i18n")),
    # Probes and Prometheus (docs/operations.md); core.health.ProbeMiddleware answers them first.
    path("healthz", liveness_view, name="healthz"),
    path("readyz", readiness_view, name="readyz"),
    path("metrics", metrics_view, name="metrics"),
]

# An unreachable or locked database answers 503 with Retry-After; other errors Django's 500.
handler500 = "channeldesk.core.views.server_error"
