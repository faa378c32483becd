"""Lägesbild pages: ranking (see urls.py)."""

urlpatterns: list = []
