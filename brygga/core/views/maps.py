"""The data every map gets (background tiles, control labels, the municipality boundary) and the
map data of the overview, area and forum pages (rendered by includes/map.html and map.js;
the incident pages add their own layers to :func:`base_map_data`)."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext as _

from brygga.core.models import Area, Municipality


def tiles() -> dict:
    """The background map; an empty ``url`` means none (MAP_TILE_URL set to "")."""
    return {
        "url": settings.MAP_TILE_URL,
        "attribution": settings.MAP_TILE_ATTRIBUTION,
        "max_zoom": settings.MAP_TILE_MAX_ZOOM,
    }


def controls() -> dict:
    """Leaflet's own texts, in the user's language."""
    return {
        "zoom_in": _("Zoom in"),
        "zoom_out": _("Zoom out"),
        "leaflet": _("A JavaScript library for interactive maps"),
    }


def boundary_feature(municipality: Municipality) -> dict:
    return {
        "type": "Feature",
        "geometry": municipality.boundary,
        "properties": {"name": municipality.name},
    }


def base_map_data(municipality: Municipality) -> dict:
    return {
        "boundary": boundary_feature(municipality),
        "tiles": tiles(),
        "controls": controls(),
    }


def _feature(area: Area) -> dict:
    return {
        "type": "Feature",
        "geometry": area.geometry,
        "properties": {
            "id": area.pk,
            "name": area.name,
            "layer": area.layer.name,
            "demo": area.is_demo_geometry,
        },
    }


def area_collection(areas) -> dict:
    return {"type": "FeatureCollection", "features": [_feature(a) for a in areas if a.geometry]}


def map_data(municipality: Municipality, areas) -> dict:
    return {
        **base_map_data(municipality),
        "areas": area_collection(areas),
        "area_url": f"/kommuner/{municipality.code}/omraden/",
    }
