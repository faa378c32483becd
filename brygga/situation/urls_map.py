"""Lägesbild pages: map (see urls.py)."""

from django.urls import path

from .views import maps

K = "kommuner/<str:code>/lagesbild/karta/"

urlpatterns: list = [
    path(K, maps.map_page, name="map"),
    path(K + "omraden.geojson", maps.map_areas, name="map_areas"),
    path(K + "hotspots.geojson", maps.map_hotspots, name="map_hotspots"),
    path(K + "tathet.geojson", maps.map_density, name="map_density"),
    path(K + "polisen.geojson", maps.map_police, name="map_police"),
]
