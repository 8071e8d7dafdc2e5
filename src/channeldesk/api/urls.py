"""The REST API under /api/v1/. Each domain's endpoints live in their own module here."""

from django.urls import include, path, re_path
from django.views.decorators.csrf import csrf_exempt

from channeldesk.api.errors import not_found
from channeldesk.api.schema import ScopedDocsView, ScopedSchemaView

urlpatterns = [
    path("schema/", ScopedSchemaView.as_view(), name="api-schema"),
    path("docs/", ScopedDocsView.as_view(url_name="api-schema"), name="api-docs"),
    path("", include("channeldesk.api.partners")),
    path("imports/", include("channeldesk.api.imports")),
    path("tiers/", include("channeldesk.api.tiers")),
    path("", include("channeldesk.api.contracts")),
    path("", include("channeldesk.api.licensing")),
    path("checkins/", include("channeldesk.api.checkins")),
    path("training/", include("channeldesk.api.training")),
    path("support/", include("channeldesk.api.support")),
    path("usage/", include("channeldesk.api.usage")),
    path("", include("channeldesk.api.webhooks")),
    # Anything else under /api/v1/ answers 404 in the API's error format, not an HTML page.
    # Exempt from CSRF: a POST to an unknown path is a 404, not a CSRF refusal.
    re_path(r"^(?P<path>.*)$", csrf_exempt(not_found), name="api-not-found"),
]
