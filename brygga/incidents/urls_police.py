"""URL patterns (included into the incidents namespace by brygga/incidents/urls.py):
the police events pages under /kommuner/<code>/handelser/polisen/."""

from django.urls import path

from . import views_police as views

urlpatterns: list = [
    path("polisen/", views.police_summary, name="police_summary"),
    path("polisen/importera/", views.police_upload, name="police_upload"),
    path("polisen/importer/<int:pk>/", views.police_job, name="police_job"),
    path("polisen/importer/<int:pk>/status/", views.police_job_status, name="police_job_status"),
    path("polisen/typer/", views.police_mapping_list, name="police_mapping_list"),
    path("polisen/typer/<int:pk>/", views.police_mapping_edit, name="police_mapping_edit"),
]
