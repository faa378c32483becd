"""Area statistics: the pages under /kommuner/<code>/statistik/."""

from django.urls import path

from . import views

app_name = "areastats"

S = "kommuner/<str:code>/statistik/"

urlpatterns = [
    path(S, views.index, name="index"),
    path(S + "export/csv/", views.export, {"fmt": "csv"}, name="export_csv"),
    path(S + "export/xlsx/", views.export, {"fmt": "xlsx"}, name="export_xlsx"),
    path(S + "importera/", views.upload, name="upload"),
    path(S + "importera/<int:pk>/", views.preview, name="preview"),
]
