"""The REST API under /api/v1/. Each domain's endpoints live in their own module here."""

from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from channeldesk.api.errors import not_found

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("", include("channeldesk.api.partners")),
    path("imports/", include("channeldesk.api.imports")),
    path("tiers/", include("channeldesk.api.tiers")),
    path("", include("channeldesk.api.contracts")),
    path("", include("channeldesk.api.licensing")),
    path("checkins/", include("channeldesk.api.checkins")),
    path("training/", include("channeldesk.api.training")),
    path("support/", include("channeldesk.api.support")),
    path("usage/", include("channeldesk.api.usage")),
    # Anything else under /api/v1/ answers 404 in the API's error format, not an HTML page.
    re_path(r"^(?P<path>.*)$", not_found, name="api-not-found"),
]
