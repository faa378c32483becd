"""The lägesbild dashboard: /kommuner/<code>/lagesbild/ with the scope in the URL (period,
forum, areas, layer, categories, sources — see ``scope``), and its tables as CSV or XLSX.
A parameter that cannot be used shows the page with the Swedish message and status 400."""

from __future__ import annotations

import datetime as dt

from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.dates import MONTHS_3
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from brygga.core.access import VIEW, resolver_for
from brygga.core.models import Area
from brygga.core.selectors import forums_for
from brygga.core.views.decorators import municipality_view
from brygga.core.weeks import week_param
from brygga.incidents.models import Stream
from brygga.incidents.services import categories_for

from .. import charts, exports, figures
from ..models import SituationReport
from ..scope import Period, ScopeError, scope_from_query
from .maps import map_context

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _month_label(year: int, month: int, with_year: bool) -> str:
    name = str(MONTHS_3[month])  # jan … dec in the active language
    return f"{name} {year}" if with_year else name


def _next(p: Period) -> Period:
    """The period just after ``p``, of the same kind."""
    start = p.end + dt.timedelta(days=1)
    value = {
        "year": str(start.year),
        "quarter": f"{start.year}-K{(start.month - 1) // 3 + 1}",
        "month": f"{start.year}-{start.month:02d}",
        "week": week_param(start),
    }.get(p.kind)
    if value is None:
        return Period(start, start + dt.timedelta(days=p.days - 1), "custom")
    return Period.parse(value)


def _period_links(scope) -> list[dict]:
    """Links to the year, quarter, month and week holding the period's end, and to the
    previous and next period of the same kind."""
    p, end = scope.period, scope.period.end
    kinds = [
        (_("Year"), str(end.year)),
        (_("Quarter"), f"{end.year}-K{(end.month - 1) // 3 + 1}"),
        (_("Month"), f"{end.year}-{end.month:02d}"),
        (_("Week"), week_param(end)),
    ]
    out = [
        {"label": label, "query": scope.query(period=value), "current": value == p.param()}
        for label, value in kinds
    ]
    out.append({"label": _("Previous period"), "query": scope.query(period=p.previous().param())})
    out.append({"label": _("Next period"), "query": scope.query(period=_next(p).param())})
    return out


def _form(request, municipality, scope) -> dict:
    """The filter form's choices and the values chosen (as given in the URL)."""
    layer = scope.layer if scope else None
    areas = (
        Area.objects.visible_to(request.user)
        .filter(municipality=municipality)
        .defer("geometry")
        .order_by("name")
    )
    if layer is not None:
        areas = areas.filter(layer=layer)
    return {
        "period": request.GET.get("period", scope.period.param() if scope else ""),
        "forums": list(forums_for(request.user, municipality, VIEW).order_by("name")),
        "forum": request.GET.get("forum", ""),
        "layers": scope.layers if scope else [],
        "layer": str(layer.pk) if layer else request.GET.get("lager", ""),
        "areas": list(areas),
        "omrade": request.GET.getlist("omrade"),
        "categories": sorted(
            (c for c in categories_for(municipality) if c.parent_id is None),
            key=lambda c: c.name,
        ),
        "kategori": request.GET.getlist("kategori"),
        "streams": Stream.choices,
        "kalla": request.GET.getlist("kalla"),
    }


def _charts(d: figures.Dashboard) -> dict:
    now, before = _("This period"), _("Previous period")
    months = d.months.months
    several_years = len({m.year for m in months}) > 1
    return {
        "categories": charts.breakdown_chart(d.categories, now, before),
        "areas": charts.breakdown_chart(d.areas, now, before),
        "streams": charts.breakdown_chart(d.streams, now, before),
        "months": charts.month_chart(
            d.months, [_month_label(m.year, m.month, several_years) for m in months]
        ),
    }


def _context_rows(ctx: figures.Context) -> tuple[list[dict], list[dict]]:
    """Area statistics and survey estimates per area, in the columns' order."""
    stats = [
        {
            "name": a.name,
            "population": a.population,
            "population_year": a.population_year,
            "values": [a.figures[s][0] if s in a.figures else None for s in ctx.series],
        }
        for a in ctx.areas
    ]
    survey = [
        {"name": a.name, "values": [a.survey.get(i["code"]) for i in ctx.survey_indices]}
        for a in ctx.areas
    ]
    return stats, survey


def _heat_rows(d: figures.Dashboard) -> list[dict]:
    return [
        {"name": name, "cells": cells, "total": total}
        for name, cells, total in zip(
            exports.weekday_names(), charts.heat_classes(d.heat), d.heat.by_weekday, strict=True
        )
    ]


@municipality_view()
@require_GET
def index(request, municipality):
    try:
        scope = scope_from_query(request.user, municipality, request.GET)
    except ScopeError as exc:
        context = {
            "municipality": municipality,
            "error": exc,
            "form": _form(request, municipality, None),
        }
        return render(request, "situation/index.html", context, status=400)
    d = figures.dashboard(request.user, scope)
    context_rows, survey_rows = _context_rows(d.context)
    context = {
        "municipality": municipality,
        "scope": scope,
        "d": d,
        "charts": _charts(d),
        "form": _form(request, municipality, scope),
        "period_links": _period_links(scope),
        "query": scope.query(),
        "tables": exports.tables(d),
        "heat_rows": _heat_rows(d),
        "context_rows": context_rows,
        "survey_rows": survey_rows,
        "hours": [f"{h:02d}" for h in range(24)],
        **map_context(request, scope),
        "ranking_url": reverse("situation:ranking", args=[municipality.code])
        + (f"?{_ranking_query(scope)}" if _ranking_query(scope) else ""),
        "weekly_url": reverse("situation:weekly", args=[municipality.code]),
        "can_write_report": resolver_for(request.user).can_create_in(SituationReport, municipality),
    }
    return render(request, "situation/index.html", context)


def _ranking_query(scope) -> str:
    """The priority ranking of the same period, forum, areas and layer."""
    return scope.query(kategori=None, kalla=None)


def _export(request, municipality, fmt: str):
    try:
        scope = scope_from_query(request.user, municipality, request.GET)
    except ScopeError as exc:
        return HttpResponse(exc.message, status=400, content_type="text/plain; charset=utf-8")
    tables = exports.tables(figures.dashboard(request.user, scope))
    name = f"lagesbild-{municipality.code}-{scope.period.param().replace('..', '_')}"
    if fmt == "xlsx":
        response = HttpResponse(exports.as_xlsx(tables), content_type=XLSX)
        response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
        return response
    key = request.GET.get("tabell") or tables[0].key
    table = next((t for t in tables if t.key == key), None)
    if table is None:
        message = _("“%(value)s” is not a table of the dashboard. Choose among: %(choices)s.") % {
            "value": key,
            "choices": ", ".join(t.key for t in tables),
        }
        return HttpResponse(message, status=400, content_type="text/plain; charset=utf-8")
    response = HttpResponse(exports.as_csv(table), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}-{table.key}.csv"'
    return response


@municipality_view()
@require_GET
def export_csv(request, municipality):
    return _export(request, municipality, "csv")


@municipality_view()
@require_GET
def export_xlsx(request, municipality):
    return _export(request, municipality, "xlsx")
