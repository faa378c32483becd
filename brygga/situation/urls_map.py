"""Lägesbild pages: map (see urls.py)."""

urlpatterns: list = []
