"""Report, list, map, detail, export and weekly round (included into the incidents namespace
by brygga/incidents/urls.py at /kommuner/<code>/handelser/)."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.index, name="index"),
    path("rapportera/", views.report, name="report"),
    path("karta/", views.map_view, name="map"),
    path("export/csv/", views.export, {"fmt": "csv"}, name="export_csv"),
    path("export/xlsx/", views.export, {"fmt": "xlsx"}, name="export_xlsx"),
    path("export/geojson/", views.export, {"fmt": "geojson"}, name="export_geojson"),
    path("veckorapportering/", views.weekly, name="weekly"),
    path("veckorapportering/inget-att-rapportera/", views.weekly_nil, name="weekly_nil"),
    path("<int:pk>/", views.incident_detail, name="incident_detail"),
    path("<int:pk>/kvitto/", views.incident_receipt, name="incident_receipt"),
    path("<int:pk>/andra/", views.incident_edit, name="incident_edit"),
    path("<int:pk>/status/", views.incident_status, name="incident_status"),
    path("<int:pk>/ta-bort/", views.incident_delete, name="incident_delete"),
]
