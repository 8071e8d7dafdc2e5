"""Only the usage API, so the usage tests do not depend on the other domains' URL modules."""

from django.urls import include, path

urlpatterns = [path("api/v1/usage/", include("channeldesk.api.usage"))]
