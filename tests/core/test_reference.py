"""The shipped reference geography."""

import pytest

from brygga.core.models import County, Municipality
from brygga.core.reference import load_reference_geography

pytestmark = pytest.mark.django_db


def test_all_municipalities_and_counties_are_loaded():
    assert Municipality.objects.count() == 290
    assert County.objects.count() == 21
    s = Municipality.objects.get(code="2281")
    assert s.name == "Sundsvall" and s.county.name == "Västernorrlands län"
    assert s.population == 99121 and s.population_year == 2024  # SCB, November 2024
    assert s.boundary["type"] in ("Polygon", "MultiPolygon")
    assert 16.0 < s.centre_lon < 18.0 and 62.0 < s.centre_lat < 63.0
    assert Municipality.objects.filter(population__isnull=True).count() == 0


def test_loading_again_changes_nothing():
    before = list(Municipality.objects.order_by("code").values_list("code", "name", "population"))
    assert load_reference_geography(County, Municipality) == (21, 290)
    after = list(Municipality.objects.order_by("code").values_list("code", "name", "population"))
    assert before == after


def test_every_municipality_boundary_is_usable():
    from shapely.geometry import shape

    for m in Municipality.objects.all():
        geom = shape(m.boundary)
        assert geom.area > 0, m.code
        assert m.min_lon <= m.centre_lon <= m.max_lon, m.code
