"""The incident list, the map and the exports: /kommuner/<code>/handelser/, karta/, export/….

Every page shows the incidents the user may see in the municipality (``selectors``, restricted by
the resolver), narrowed by the same filter (``?…``, :class:`~brygga.incidents.filters.IncidentFilter`).
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Count, Q, Sum, Value
from django.db.models.functions import Coalesce
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from brygga.audit.services import log_action
from brygga.core import selectors as core_selectors
from brygga.core.pagination import CappedPaginator
from brygga.core.views.decorators import municipality_view
from brygga.core.views.maps import base_map_data
from brygga.incidents import exports, listing, selectors
from brygga.incidents.models import Category

from .common import filtered, incident_context, query_without_page

PAGE_SIZE = 50
LIST_COUNT_CAP = 10_000  # the list counts at most this many rows (see core/pagination.py)
MAP_MAX_POINTS = 5000
MAP_TABLE_ROWS = 200


@municipality_view()
@require_GET
def index(request, municipality):
    f, qs = filtered(request, municipality)
    order = listing.parse_order(request.GET.get(listing.ORDER_PARAM))
    summary = selectors.list_summary(qs, cap=LIST_COUNT_CAP)
    page = CappedPaginator(
        listing.apply_order(qs, order),
        PAGE_SIZE,
        cap=LIST_COUNT_CAP,
        counted=(summary["total"], summary["capped"]),
    ).get_page(request.GET.get("sida"))
    return render(
        request,
        "incidents/list.html",
        incident_context(
            request,
            municipality,
            filter=f,
            page=page,
            summary=summary,
            order=order,
            order_param=listing.ORDER_PARAM if order != listing.DEFAULT_ORDER else "",
            sort_headers=listing.sort_headers(request.GET, order),
            caption=listing.order_caption(order),
            quick_dates=listing.quick_dates(request.GET, timezone.localdate()),
            query=query_without_page(request),
        ),
    )


def _area_counts(qs, areas) -> tuple[list[dict], dict, int]:
    """Reports and events per area (police summaries left out) and the number of incidents
    with a point, in one pass over the selection."""
    # Grouped by an expression rather than the bare column: on SQLite a GROUP BY area_id makes
    # the planner walk the whole area index (to skip the sort) instead of using the index of
    # the filter (a 30-day map read a million rows); 0 stands for "no area".
    single = Q(is_summary=False)
    rows = (
        qs.order_by()
        .values(area_key=Coalesce("area_id", Value(0)))
        .annotate(
            reports=Count("id", filter=single),
            events=Sum("count", filter=single),
            points=Count("id", filter=Q(lat__isnull=False, lon__isnull=False)),
        )
    )
    counts = {row["area_key"] or None: row for row in rows}
    out = []
    for area in areas:
        row = counts.get(area.pk, {})
        out.append(
            {"area": area, "reports": row.get("reports", 0), "events": row.get("events") or 0}
        )
    none = counts.get(None) or {}
    outside = {"reports": none.get("reports", 0), "events": none.get("events") or 0}
    return out, outside, sum(row["points"] for row in counts.values())


@municipality_view()
@require_GET
def map_view(request, municipality):
    f, qs = filtered(request, municipality)
    areas = list(core_selectors.areas_for(request.user, municipality).order_by("name"))
    area_rows, outside, n_points = _area_counts(qs, areas)
    point_qs = qs.filter(lat__isnull=False, lon__isnull=False)
    # no join to the categories (see selectors.with_related): their names are looked up once
    rows = list(
        point_qs.order_by("-occurred_from", "-id").values_list(
            "pk", "lat", "lon", "category_id", "occurred_from"
        )[:MAP_MAX_POINTS]
    )
    names = dict(
        Category.objects.visible_to(request.user)
        .filter(pk__in={r[3] for r in rows})
        .values_list("pk", "name")
    )
    points = [(pk, lat, lon, names.get(cat, ""), when) for pk, lat, lon, cat, when in rows]
    base = f"/kommuner/{municipality.code}/handelser/"
    tz = timezone.get_current_timezone()
    data = {
        **base_map_data(municipality),
        "detail_url": base,
        "points": [
            [
                pk,
                lat,
                lon,
                name,
                when.astimezone(tz).strftime("%Y-%m-%d %H:%M"),
            ]
            for pk, lat, lon, name, when in points
        ],
        "areas": {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "geometry": row["area"].geometry,
                    "properties": {
                        "id": row["area"].pk,
                        "name": row["area"].name,
                        "reports": row["reports"],
                    },
                }
                for row in area_rows
            ],
        },
        "labels": {"one": _("1 report"), "many": _("%(n)s reports")},
    }
    return render(
        request,
        "incidents/map.html",
        incident_context(
            request,
            municipality,
            filter=f,
            map_data=data,
            area_rows=area_rows,
            outside=outside,
            n_points=n_points,
            n_shown=len(points),
            truncated=n_points > len(points),
            table_points=points[:MAP_TABLE_ROWS],
            query=query_without_page(request),
        ),
    )


@municipality_view()
@require_GET
def export(request, municipality, fmt: str):
    if fmt not in exports.FORMATS:
        raise Http404
    f, qs = filtered(request, municipality)
    n = qs.count()
    with transaction.atomic():
        log_action(
            event_type="incidents_exported",
            municipality_id=municipality.pk,
            details={"format": fmt, "filters": f.active(), "rows": n},
        )
    return exports.response(qs, fmt, exports.filename(municipality.code, fmt))
