"""The lägesbild's map: /kommuner/<code>/lagesbild/karta/ — the page (areas, hot spots, density,
police events, near repeats, with tables) and its layers as GeoJSON, all taking the dashboard's
URL parameters (see ``scope.py``) plus ``cell`` (metres) and, on the page, ``avstand`` and
``dagar`` for the near-repeat test. :func:`map_context` gives another page (the dashboard) what
``situation/_map.html`` needs."""

from __future__ import annotations

from django.http import JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from brygga.core.views.decorators import municipality_view
from brygga.core.views.maps import base_map_data
from brygga.incidents.models import Stream

from .. import maps, near_repeats
from ..scope import Scope, ScopeError, scope_from_query

LAYER_URLS = {
    "areas": "situation:map_areas",
    "hotspots": "situation:map_hotspots",
    "density": "situation:map_density",
    "police": "situation:map_police",
}


def _query(scope: Scope, cell: int) -> str:
    return scope.query(cell=cell if cell != maps.CELL_DEFAULT else None)


def map_context(request, scope: Scope, *, cell: int | None = None) -> dict:
    """What ``situation/_map.html`` needs for ``scope``: ``map_config`` (rendered with
    ``json_script`` as ``situation-map-data``: the layers' URLs with the scope's query, the
    background map, the boundary, the first view and the legend's texts)."""
    code = scope.municipality.code
    cell = cell or maps.CELL_DEFAULT
    q = _query(scope, cell)
    urls = {
        k: reverse(name, args=[code]) + (f"?{q}" if q else "") for k, name in LAYER_URLS.items()
    }
    return {
        "map_scope": scope,
        "map_cell": cell,
        "map_config": {
            **base_map_data(scope.municipality),
            "urls": urls,
            "bounds": maps.bounds_wgs84(scope),
            "labels": {
                "areas_events": _("Areas: events"),
                "areas_rate": _("Areas: events per 1,000 inhabitants"),
                "hotspots": _("Hot and cold spots (Gi*)"),
                "density": _("Density (KDE)"),
                "police": _("Police events"),
                "events": _("events"),
                "rate": _("per 1,000"),
                "no_population": _("population unknown"),
                "density_unit": _("events per km²"),
                "loading": _("Loading the map layers …"),
                "failed": _("A map layer could not be loaded."),
                "hot": [maps.hotspot_label(k) for k in maps.HOTSPOT_CLASSES],
            },
        },
        "map_page_url": reverse("situation:map", args=[code]) + (f"?{q}" if q else ""),
    }


def _scope(request, municipality) -> tuple[Scope, int]:
    scope = scope_from_query(request.user, municipality, request.GET)
    return scope, maps.cell_from_query(request.GET)


@municipality_view()
@require_GET
def map_page(request, municipality):
    try:
        scope, cell = _scope(request, municipality)
        distance, days = near_repeats.params_from_query(request.GET)
    except ScopeError as exc:
        return render(
            request,
            "situation/map.html",
            {"municipality": municipality, "error": exc, "query": request.GET},
            status=400,
        )
    hot = maps.hotspots(request.user, scope, cell)
    return render(
        request,
        "situation/map.html",
        {
            "municipality": municipality,
            "scope": scope,
            "query": request.GET,
            "streams": Stream.choices,
            "area_rows": maps.area_rows(request.user, scope),
            "hot_summary": hot["summary"],
            "hot_events": hot["events"],
            "hot_cells": hot["cells"],
            "near_repeats": near_repeats.near_repeats(
                request.user, scope, distance=distance, days=days
            ),
            "distance": distance,
            "days": days,
            "map_is_page": True,
            **map_context(request, scope, cell=cell),
        },
    )


def _layer(build):
    @municipality_view()
    @require_GET
    def view(request, municipality):
        try:
            scope, cell = _scope(request, municipality)
        except ScopeError as exc:
            return JsonResponse({"error": exc.message, "param": exc.param}, status=400)
        data = build(request.user, scope, cell)
        return JsonResponse(data, content_type="application/geo+json")

    view.__name__ = build.__name__
    return view


map_areas = _layer(lambda user, scope, cell: maps.area_collection(user, scope))
map_hotspots = _layer(maps.hotspots)
map_density = _layer(maps.density)
map_police = _layer(lambda user, scope, cell: maps.police_points(user, scope))
