"""An accessible, server-rendered reference of the API, built from the OpenAPI schema."""

from __future__ import annotations

from functools import lru_cache

from django.shortcuts import render
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.utils import extend_schema
from rest_framework.decorators import api_view, permission_classes, renderer_classes
from rest_framework.renderers import TemplateHTMLRenderer

from .permissions import ResolverPermission

METHODS = ("get", "post", "put", "patch", "delete")


@lru_cache(maxsize=1)
def _schema() -> dict:
    return SchemaGenerator().get_schema(request=None, public=True)


def _endpoints(schema: dict) -> list[dict]:
    out = []
    for path, item in schema.get("paths", {}).items():
        for method in METHODS:
            op = item.get(method)
            if not op:
                continue
            out.append(
                {
                    "method": method.upper(),
                    "path": path,
                    "tag": (op.get("tags") or ["api"])[0],
                    "summary": op.get("summary") or (op.get("description") or "").split("\n")[0],
                    "parameters": [
                        {
                            "name": p["name"],
                            "in": p["in"],
                            "required": p.get("required", False),
                            "description": p.get("description", ""),
                        }
                        for p in op.get("parameters", [])
                    ],
                    "responses": sorted(op.get("responses", {})),
                }
            )
    return out


@extend_schema(exclude=True)
@api_view(["GET"])
@permission_classes([ResolverPermission])
@renderer_classes([TemplateHTMLRenderer])
def api_docs(request):
    schema = _schema()
    return render(
        request._request,
        "api/docs.html",
        {
            "info": schema.get("info", {}),
            "endpoints": _endpoints(schema),
        },
    )
