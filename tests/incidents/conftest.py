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


@pytest.fixture(autouse=True)
def _area_for_code_until_merged(monkeypatch):
    """TEMPORARY (remove when main has ``core.services.area_for_code``): a stand-in with the
    announced interface, so the import can be tested before the lead's change lands."""
    from django.core.exceptions import ValidationError

    from brygga.core import services as core_services

    if hasattr(core_services, "area_for_code"):
        return

    def area_for_code(*, actor, municipality, code):
        from brygga.core.models import Area

        if not code.startswith(municipality.code):
            raise ValidationError("fel kommun")
        area, _ = Area.objects.get_or_create(
            municipality=municipality,
            official_code=code,
            defaults={"name": code, "kind": "deso", "geometry": {}},
        )
        return area

    monkeypatch.setattr(core_services, "area_for_code", area_for_code, raising=False)
