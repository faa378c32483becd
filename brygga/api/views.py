"""An accessible, server-rendered reference of the API, built from the OpenAPI schema.

The schema's own texts are developer English (docstrings, DRF's pagination parameters); the
page shows translated descriptions of each resource, operation and common parameter instead,
and the schema's texts only for the other parameters (filter labels and choices, which are
translated: the schema is generated in the page's language)."""

from __future__ import annotations

from functools import lru_cache

from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.utils import extend_schema
from rest_framework.decorators import api_view, permission_classes, renderer_classes
from rest_framework.renderers import TemplateHTMLRenderer

from .permissions import ResolverPermission

METHODS = ("get", "post", "put", "patch", "delete")


# What each resource under /api/v1/ holds (the first path segment after the prefix).
RESOURCES = {
    "areas": _("Areas of the municipalities. Add ?format=geojson to get GeoJSON."),
    "categories": _("Incident categories: the national set and each municipality's own."),
    "forums": _("Forums: councils, safety groups and SSPF groups."),
    "import-profiles": _("Saved column mappings for CSV and Excel imports."),
    "incidents": _("Incidents you may see. A read of personal data is logged."),
    "memberships": _("Who holds which role in which organisation (read only)."),
    "municipalities": _("Municipalities with their boundaries."),
    "organisations": _("Organisations of the municipalities."),
    "police-areas": _("Local police areas."),
}

# What an operation does: (method, whether the path names one object).
ACTIONS = {
    ("GET", False): _("List"),
    ("POST", False): _("Create"),
    ("GET", True): _("Read one"),
    ("PUT", True): _("Replace"),
    ("PATCH", True): _("Change"),
    ("DELETE", True): _("Remove"),
}

# Parameters whose schema description is DRF's or drf-spectacular's English.
PARAMETERS = {
    "limit": _("How many results a page holds."),
    "page_size": _("How many results a page holds."),
    "offset": _("Where the page starts, counted from 0."),
    "cursor": _("The position in the list, from the link to the next or previous page."),
    "id": _("The object's id."),
    "code": _("Municipality code (kommunkod), e.g. 2281."),
    "format": _("The answer's format, e.g. json or geojson."),
    "municipality": _("Municipality code (kommunkod), e.g. 2281."),
    "point": _("Only areas that hold this WGS84 point, given as lon,lat."),
}


@lru_cache(maxsize=4)
def _schema(language: str) -> dict:
    with translation.override(language):
        return SchemaGenerator().get_schema(request=None, public=True)


def _summary(method: str, path: str, op: dict) -> str:
    parts = path.strip("/").split("/")
    resource = parts[2] if len(parts) > 2 else ""
    action = ACTIONS.get((method, len(parts) > 3))
    if resource in RESOURCES and action:
        return f"{action}: {RESOURCES[resource]}"
    return op.get("summary") or (op.get("description") or "").split("\n")[0]


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
                    "summary": _summary(method.upper(), path, op),
                    "parameters": [
                        {
                            "name": p["name"],
                            "in": p["in"],
                            "required": p.get("required", False),
                            "description": PARAMETERS.get(p["name"], p.get("description", "")),
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
    schema = _schema(translation.get_language() or "sv")
    return render(
        request._request,
        "api/docs.html",
        {
            "info": schema.get("info", {}),
            "endpoints": _endpoints(schema),
        },
    )
