"""The map data of the overview, area and forum pages (rendered by includes/map.html)."""

from __future__ import annotations

from django.conf import settings

from brygga.core.models import Area, Municipality


def _feature(area: Area) -> dict:
    return {
        "type": "Feature",
        "geometry": area.geometry,
        "properties": {
            "id": area.pk,
            "name": area.name,
            "kind": area.get_kind_display(),
            "demo": area.is_demo_geometry,
        },
    }


def map_data(municipality: Municipality, areas) -> dict:
    return {
        "boundary": {
            "type": "Feature",
            "geometry": municipality.boundary,
            "properties": {"name": municipality.name},
        },
        "areas": {"type": "FeatureCollection", "features": [_feature(a) for a in areas]},
        "tiles": {"url": settings.MAP_TILE_URL, "attribution": settings.MAP_TILE_ATTRIBUTION},
        "area_url": f"/kommuner/{municipality.code}/omraden/",
    }
