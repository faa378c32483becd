"""The lägesbild's map layers in the REST API (mounted under /api/v1/ by brygga.api.urls):
``situation/<code>/hotspots/`` (Gi* hot-spot cells) and ``situation/<code>/areas/`` (events and
rates per area), GeoJSON, with the dashboard's query parameters — aggregated cells and areas
only, through the resolver."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from brygga.core import selectors

from . import maps
from .scope import ScopeError, scope_from_query

PARAMS = [
    OpenApiParameter("period", OpenApiTypes.STR, description="2025, 2025-K2, 2025-03, …"),
    OpenApiParameter("forum", OpenApiTypes.INT),
    OpenApiParameter("omrade", OpenApiTypes.INT, many=True),
    OpenApiParameter("lager", OpenApiTypes.INT),
    OpenApiParameter("kategori", OpenApiTypes.STR, many=True),
    OpenApiParameter("kalla", OpenApiTypes.STR, many=True),
    OpenApiParameter("cell", OpenApiTypes.INT, description="cell side in metres, 100–1000"),
]


class _MapLayer(APIView):
    """A layer's GeoJSON; a subclass names the reader in ``build``."""

    def get(self, request, code: str):
        municipality = get_object_or_404(selectors.municipalities_for(request.user), code=code)
        try:
            scope = scope_from_query(request.user, municipality, request.query_params)
            cell = maps.cell_from_query(request.query_params)
        except ScopeError as exc:
            return Response({"error": exc.message, "param": exc.param}, status=400)
        return Response(self.build(request.user, scope, cell))


class HotspotsView(_MapLayer):
    @extend_schema(
        parameters=PARAMS,
        responses=OpenApiTypes.OBJECT,
        description="Gi* hot and cold spot cells (FDR classes +3 … -3) as GeoJSON in WGS84.",
    )
    def get(self, request, code: str):
        return super().get(request, code)

    def build(self, user, scope, cell) -> dict:
        return maps.hotspots(user, scope, cell)


class AreasView(_MapLayer):
    @extend_schema(
        parameters=PARAMS,
        responses=OpenApiTypes.OBJECT,
        description="Events and rate per 1,000 inhabitants per area, with classes, as GeoJSON.",
    )
    def get(self, request, code: str):
        return super().get(request, code)

    def build(self, user, scope, cell) -> dict:
        return maps.area_collection(user, scope)
