"""Top-level URLs: the admin, the API, and (later) the portal and back office."""

from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from channeldesk.core.views import set_language

urlpatterns = [
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
    path("admin/", admin.site.urls),
    path("api/v1/", include("channeldesk.api.urls")),
    path("portal/", include("channeldesk.portal.urls")),
    path("backoffice/", include("channeldesk.backoffice.urls")),
    path("i18n/setlang/", set_language, name="set_language"),
    path("i18n/", include("django.conf.urls.i18n")),
]
