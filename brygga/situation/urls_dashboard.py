"""Lägesbild pages: dashboard (see urls.py)."""

urlpatterns: list = []
