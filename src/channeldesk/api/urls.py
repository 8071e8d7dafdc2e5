"""The REST API under /api/v1/. Each domain's endpoints live in their own module here."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("", include("channeldesk.api.partners")),
    path("imports/", include("channeldesk.api.imports")),
    path("tiers/", include("channeldesk.api.tiers")),
]
