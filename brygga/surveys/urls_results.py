"""Survey pages: results (see urls.py)."""

from django.urls import path

from .views import results

S = "kommuner/<str:code>/trygghetsmatning/"

urlpatterns: list = [
    path(S, results.index, name="index"),
    path(S + "<int:year>/", results.wave, name="wave"),
    path(S + "<int:year>/omrade/<int:pk>/", results.area, name="area"),
    path(S + "<int:year>/export/csv/", results.export, {"fmt": "csv"}, name="export_csv"),
    path(S + "<int:year>/export/xlsx/", results.export, {"fmt": "xlsx"}, name="export_xlsx"),
]
