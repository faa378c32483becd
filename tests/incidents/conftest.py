"""Fixtures shared by the incidents tests (the import tests in particular)."""

from __future__ import annotations

import pytest

from brygga.incidents.imports import tabular

from .factories import ImportProfileFactory


@pytest.fixture
def default_categories(db):
    """The national categories (a data migration; gone after a transactional test's flush)."""
    from brygga.incidents.models import Category, PoliceTypeMapping
    from brygga.incidents.reference import load_default_categories

    if not Category.objects.filter(municipality=None).exists():
        load_default_categories(Category, PoliceTypeMapping)


@pytest.fixture
def profile(world):
    """Sundsvall's import profile "Fältrapporter" for files with ``factories.HEADER``."""
    return ImportProfileFactory(
        municipality=world.sundsvall,
        name="Fältrapporter",
        mapping=tabular.Mapping(
            columns={
                "source_id": "Id",
                "occurred_at": "Tidpunkt",
                "category": "Kategori",
                "lat": "Lat",
                "lon": "Lon",
            }
        ).to_json(),
    )
