"""Top-level URLs: the admin, the API, sign-in (allauth), the portal and the back office."""

from django.contrib import admin
from django.urls import include, path

from channeldesk.core.views import set_language
from channeldesk.portal.views.home import site_root

urlpatterns = [
    path("", site_root, name="site-root"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("channeldesk.api.urls")),
    path("accounts/", include("allauth.urls")),
    path("portal/", include("channeldesk.portal.urls")),
    path("backoffice/", include("channeldesk.backoffice.urls")),
    path("i18n/setlang/", set_language, name="set_language"),
    path("i18n/", include("django.conf.urls.i18n")),
]
