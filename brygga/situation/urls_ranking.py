"""Lägesbild pages: ranking (see urls.py)."""

from django.urls import path

from .views import ranking

P = "kommuner/<str:code>/lagesbild/prioritering/"

urlpatterns: list = [
    path(P, ranking.ranking, name="ranking"),
    path(P + "export/csv/", ranking.ranking_export, {"fmt": "csv"}, name="ranking_csv"),
    path(P + "export/xlsx/", ranking.ranking_export, {"fmt": "xlsx"}, name="ranking_xlsx"),
]
