"""Incidents: the pages under /kommuner/<code>/handelser/, grouped as the view modules are
(``views/``); the Open311 key administration comes from ``open311/admin_urls.py``, in the same
namespace."""

from django.urls import include, path

from .views import categories, detail, lists, police, report, tabular, weekly

app_name = "incidents"

H = "kommuner/<str:code>/handelser/"

urlpatterns = [
    # report, list, map, export, weekly round, one incident
    path(H, lists.index, name="index"),
    path(H + "rapportera/", report.report, name="report"),
    path(H + "karta/", lists.map_view, name="map"),
    path(H + "export/csv/", lists.export, {"fmt": "csv"}, name="export_csv"),
    path(H + "export/xlsx/", lists.export, {"fmt": "xlsx"}, name="export_xlsx"),
    path(H + "export/geojson/", lists.export, {"fmt": "geojson"}, name="export_geojson"),
    path(H + "veckorapportering/", weekly.weekly, name="weekly"),
    path(H + "veckorapportering/inget-att-rapportera/", weekly.weekly_nil, name="weekly_nil"),
    path(H + "<int:pk>/", detail.incident_detail, name="incident_detail"),
    path(H + "<int:pk>/kvitto/", report.incident_receipt, name="incident_receipt"),
    path(H + "<int:pk>/andra/", report.incident_edit, name="incident_edit"),
    path(H + "<int:pk>/status/", detail.incident_status, name="incident_status"),
    path(H + "<int:pk>/ta-bort/", detail.incident_delete, name="incident_delete"),
    # police events
    path(H + "polisen/", police.police_summary, name="police_summary"),
    path(H + "polisen/importera/", police.police_upload, name="police_upload"),
    path(H + "polisen/importer/<int:pk>/", police.police_job, name="police_job"),
    path(
        H + "polisen/importer/<int:pk>/status/",
        police.police_job_status,
        name="police_job_status",
    ),
    path(H + "polisen/typer/", police.police_mapping_list, name="police_mapping_list"),
    path(H + "polisen/typer/<int:pk>/", police.police_mapping_edit, name="police_mapping_edit"),
    # CSV/Excel import
    path(H + "importer/", tabular.import_list, name="import_list"),
    path(H + "importer/ny/", tabular.import_upload, name="import_upload"),
    path(H + "importer/<int:pk>/", tabular.import_detail, name="import_detail"),
    path(H + "importer/<int:pk>/kolumner/", tabular.import_mapping, name="import_mapping"),
    path(H + "importer/<int:pk>/status/", tabular.import_progress, name="import_progress"),
    path(H + "importer/<int:pk>/fel.csv", tabular.import_errors, name="import_errors"),
    path(H + "importer/profiler/", tabular.import_profile_list, name="import_profile_list"),
    path(
        H + "importer/profiler/<int:pk>/fil/",
        tabular.import_profile_file,
        name="import_profile_file",
    ),
    path(
        H + "importer/profiler/<int:pk>/ta-bort/",
        tabular.import_profile_delete,
        name="import_profile_delete",
    ),
    # Open311 keys and the contact details of a public tip
    path(H, include("brygga.incidents.open311.admin_urls")),
    # categories
    path(H + "kategorier/", categories.category_list, name="category_list"),
    path(H + "kategorier/ny/", categories.category_create, name="category_create"),
    path(H + "kategorier/<int:pk>/andra/", categories.category_edit, name="category_edit"),
    path(
        H + "kategorier/<int:pk>/aktivering/",
        categories.category_status,
        name="category_status",
    ),
]
