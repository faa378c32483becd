"""URL patterns of the CSV/Excel import (included into the incidents namespace by
brygga/incidents/urls.py at /kommuner/<code>/handelser/)."""

from django.urls import path

from . import views_tabular as views

urlpatterns = [
    path("importer/", views.import_list, name="import_list"),
    path("importer/ny/", views.import_upload, name="import_upload"),
    path("importer/<int:pk>/", views.import_detail, name="import_detail"),
    path("importer/<int:pk>/kolumner/", views.import_mapping, name="import_mapping"),
    path("importer/<int:pk>/status/", views.import_progress, name="import_progress"),
    path("importer/<int:pk>/fel.csv", views.import_errors, name="import_errors"),
    path("importer/profiler/", views.import_profile_list, name="import_profile_list"),
    path(
        "importer/profiler/<int:pk>/ta-bort/",
        views.import_profile_delete,
        name="import_profile_delete",
    ),
]
