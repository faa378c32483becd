"""REST API of the lägesbild (read-only, mounted under /api/v1/ by brygga.api.urls):
``situation/<code>/dashboard/`` gives every figure of the dashboard as JSON, keyed by section
(``figures.as_dict``), for the scope the query string describes (the page's parameters).
A municipality the user cannot see is 404; a parameter that cannot be used is 400 with the
Swedish message naming it."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from brygga.core import selectors

from . import figures
from .scope import ScopeError, scope_from_query

PARAMS = [
    OpenApiParameter("period", OpenApiTypes.STR, description="2025, 2025-K2, 2025-03, 2025-V12 "
                     "or 2025-01-01..2025-03-31; default the twelve whole months before this one"),
    OpenApiParameter("forum", OpenApiTypes.INT, description="A forum's id (its areas)."),
    OpenApiParameter("omrade", OpenApiTypes.INT, many=True, description="Area ids."),
    OpenApiParameter("lager", OpenApiTypes.INT, description="The area layer to break down by."),
    OpenApiParameter("kategori", OpenApiTypes.STR, many=True, description="Category codes."),
    OpenApiParameter("kalla", OpenApiTypes.STR, many=True,
                     description="Sources: partner, police, register, public."),
]  # fmt: skip


class DashboardView(APIView):
    """Every figure of the lägesbild dashboard of one municipality."""

    @extend_schema(parameters=PARAMS, responses=OpenApiTypes.OBJECT)
    def get(self, request, code: str):
        municipality = get_object_or_404(selectors.municipalities_for(request.user), code=code)
        try:
            scope = scope_from_query(request.user, municipality, request.query_params)
        except ScopeError as exc:
            return Response({"param": exc.param, "detail": exc.message}, status=400)
        return Response(figures.as_dict(figures.dashboard(request.user, scope)))
