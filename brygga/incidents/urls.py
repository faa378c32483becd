"""Incidents: pages under /kommuner/<code>/handelser/ (each part in its own module)."""

from django.urls import include, path

app_name = "incidents"

urlpatterns = [
    path("kommuner/<str:code>/handelser/", include("brygga.incidents.urls_report")),
    path("kommuner/<str:code>/handelser/", include("brygga.incidents.urls_police")),
    path("kommuner/<str:code>/handelser/", include("brygga.incidents.urls_tabular")),
    path("kommuner/<str:code>/handelser/", include("brygga.incidents.urls_open311_admin")),
    path("kommuner/<str:code>/handelser/", include("brygga.incidents.urls_categories")),
]
