"""Area polygons: bad input gets a Swedish message that says what is wrong."""

import json

import pytest
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from brygga.core.geo import GeometryError, parse_polygon, sweref_to_wgs84, wgs84_to_sweref

from ..conftest import CENTRE_SQUARE, TIMRA_SQUARE

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def swedish():
    with translation.override("sv"):
        yield


def error_for(raw, municipality=None) -> str:
    with pytest.raises(GeometryError) as exc:
        parse_polygon(raw, municipality=municipality)
    return str(exc.value)


def test_valid_polygon_inside_municipality(world):
    geom = parse_polygon(json.dumps(CENTRE_SQUARE), municipality=world.sundsvall)
    assert geom.geom_type == "Polygon"


def test_feature_and_single_feature_collection_are_accepted(world):
    feature = {"type": "Feature", "properties": {}, "geometry": CENTRE_SQUARE}
    assert parse_polygon(feature, municipality=world.sundsvall).is_valid
    fc = {"type": "FeatureCollection", "features": [feature]}
    assert parse_polygon(fc, municipality=world.sundsvall).is_valid


def test_not_json():
    msg = error_for('{"type": "Polygon", "coordinates": [[[17.3, 62.3]')
    assert "inte giltig GeoJSON" in msg and "rad 1" in msg


def test_not_a_polygon():
    msg = error_for({"type": "LineString", "coordinates": [[17.3, 62.3], [17.4, 62.4]]})
    assert "Polygon" in msg and "LineString" in msg


def test_self_intersecting_polygon_names_the_place():
    bowtie = {
        "type": "Polygon",
        "coordinates": [
            [[17.29, 62.38], [17.32, 62.40], [17.32, 62.38], [17.29, 62.40], [17.29, 62.38]]
        ],
    }
    msg = error_for(bowtie)
    assert "korsar sig själv" in msg and "17.3" in msg


def test_outside_municipality(world):
    msg = error_for(TIMRA_SQUARE, world.sundsvall)
    assert "utanför kommunen Sundsvall" in msg


def test_swapped_coordinates():
    swapped = {
        "type": "Polygon",
        "coordinates": [[[62.385, 17.29], [62.385, 17.32], [62.397, 17.32], [62.385, 17.29]]],
    }
    assert "omkastade" in error_for(swapped)


def test_sweref_given_as_wgs84():
    metres = {
        "type": "Polygon",
        "coordinates": [
            [[616000, 6920000], [617000, 6920000], [617000, 6921000], [616000, 6920000]]
        ],
    }
    assert "SWEREF 99 TM" in error_for(metres)


def test_malformed_coordinates():
    assert "felaktiga" in error_for({"type": "Polygon", "coordinates": [[[17.3]]]})


def test_feature_collection_with_two_features():
    feature = {"type": "Feature", "properties": {}, "geometry": CENTRE_SQUARE}
    assert "exakt ett" in error_for({"type": "FeatureCollection", "features": [feature, feature]})


@given(st.floats(11, 24), st.floats(55.5, 69))
def test_sweref_round_trip(lon, lat):
    e, n = wgs84_to_sweref(lon, lat)
    back = sweref_to_wgs84(e, n)
    assert abs(back[0] - lon) < 1e-7 and abs(back[1] - lat) < 1e-7
