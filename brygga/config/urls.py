"""Root URL configuration. Every route listed here is walked by the authorization-matrix test."""

from django.conf import settings
from django.urls import include, path
from django.views.i18n import set_language

from brygga.core import health

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("i18n/setlang/", set_language, name="set_language"),
    path("konto/", include("brygga.core.urls_account")),
    path("api/v1/", include("brygga.api.urls")),
    path("open311/v2/", include("brygga.incidents.open311.urls")),
    path("", include("brygga.incidents.urls")),
    path("", include("brygga.areastats.urls")),
    path("", include("brygga.surveys.urls")),
    path("", include("brygga.situation.urls")),
    path("", include("brygga.plans.urls")),
    path("", include("brygga.audit.urls")),
    path("", include("brygga.core.urls")),
]

if settings.OIDC_ENABLED:
    urlpatterns.insert(0, path("oidc/", include("mozilla_django_oidc.urls")))

handler400 = "brygga.core.views.bad_request"
handler403 = "brygga.core.views.permission_denied"
handler404 = "brygga.core.views.page_not_found"
handler500 = "brygga.core.views.server_error"
