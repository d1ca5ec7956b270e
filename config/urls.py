from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path

from .api import api

urlpatterns: list[URLPattern | URLResolver] = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("", include("balie.core.urls")),
    path("", include("balie.accounts.urls")),
    path("", include("balie.customers.urls")),
    path("", include("balie.intake.urls")),
    path("", include("balie.tickets.urls")),
    path("", include("balie.messaging.urls")),
    path("", include("balie.portal.urls")),
    path("", include("balie.chat.urls")),
    path("", include("balie.search.urls")),
    path("", include("balie.automation.urls")),
    path("", include("balie.routing.urls")),
    path("", include("balie.reporting.urls")),
]
if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
