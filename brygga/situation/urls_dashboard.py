"""Lägesbild pages: dashboard (see urls.py)."""

from django.urls import path

from .views import dashboard

urlpatterns: list = [
    path("kommuner/<str:code>/lagesbild/", dashboard.index, name="index"),
    path("kommuner/<str:code>/lagesbild/export.csv", dashboard.export_csv, name="export_csv"),
    path("kommuner/<str:code>/lagesbild/export.xlsx", dashboard.export_xlsx, name="export_xlsx"),
]
