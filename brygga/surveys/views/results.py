"""Result pages of the safety survey: /kommuner/<code>/trygghetsmatning/… — the waves of a
municipality, a wave's indices per area (chart, table, change from the previous wave,
breakdowns), an area's question profile and trend, and the exports of a wave's aggregated
results. Everything shown comes from ``selectors`` with small cells already suppressed."""

from __future__ import annotations

from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from brygga.core.access import resolver_for
from brygga.core.models import Area
from brygga.core.views.decorators import municipality_view

from .. import exports, selectors
from ..charts import CIChart, TrendChart
from ..models import SurveyWave

GROUPINGS = {"alder": "age", "kon": "gender"}


def _url(name: str, *args) -> str:
    return reverse(name, args=args)


def _can_import(request, municipality) -> bool:
    return resolver_for(request.user).can_create_in(SurveyWave, municipality)


def _wave(request, municipality, year: int) -> SurveyWave:
    wave = selectors.wave_for(request.user, municipality, year)
    if wave is None:
        raise Http404
    return wave


@municipality_view()
@require_GET
def index(request, municipality):
    waves = list(selectors.waves_for(request.user, municipality).order_by("-year"))
    latest = next((w for w in waves if w.responses), None)
    results = selectors.wave_results(latest, user=request.user, groups=False) if latest else None
    can_import = _can_import(request, municipality)
    return render(
        request,
        "surveys/index.html",
        {
            "municipality": municipality,
            "waves": waves,
            "latest": latest,
            "results": results,
            "can_import": can_import,
            "new_wave_url": _url("surveys:wave_new", municipality.code) if can_import else None,
            "rows": [
                {
                    "wave": w,
                    "import_url": _url("surveys:survey_import_upload", municipality.code, w.year)
                    if can_import
                    else None,
                }
                for w in waves
            ],
        },
    )


@municipality_view()
@require_GET
def wave(request, municipality, year: int):
    wave = _wave(request, municipality, year)
    results = selectors.wave_results(wave, user=request.user)
    chosen = request.GET.get("index") or ""
    indices = [i for i in results.indices if not chosen or i.code == chosen] or results.indices
    grouping = GROUPINGS.get(request.GET.get("grupp", ""))
    shown = []
    for index in indices:
        chart = CIChart(
            rows=[(r.name, r.cell) for r in index.areas],
            percent=index.percent,
            reference=index.municipality.mean,
        )
        table = index.groups.get(grouping) if grouping else None
        shown.append({"index": index, "chart": chart, "groups": table})
    can_import = _can_import(request, municipality)
    return render(
        request,
        "surveys/wave.html",
        {
            "municipality": municipality,
            "wave": wave,
            "results": results,
            "shown": shown,
            "chosen": chosen,
            "grouping": request.GET.get("grupp", "") if grouping else "",
            "edit_url": _url("surveys:wave_edit", municipality.code, wave.year)
            if can_import
            else None,
            "import_url": _url("surveys:survey_import_upload", municipality.code, wave.year)
            if can_import
            else None,
            "questionnaire_url": _url("surveys:questionnaire", municipality.code, wave.year),
        },
    )


@municipality_view()
@require_GET
def area(request, municipality, year: int, pk: int):
    wave = _wave(request, municipality, year)
    area = get_object_or_404(
        Area.objects.visible_to(request.user).filter(municipality=municipality), pk=pk
    )
    items = selectors.area_profile(wave, area)
    trends = [
        {**t, "chart": TrendChart(points=t["points"], percent=t["percent"])}
        for t in selectors.area_trend(request.user, municipality, area)
    ]
    results = selectors.wave_results(wave, user=request.user, areas=[area])
    return render(
        request,
        "surveys/area.html",
        {
            "municipality": municipality,
            "wave": wave,
            "area": area,
            "items": items,
            "trends": trends,
            "results": results,
        },
    )


@municipality_view()
@require_GET
def export(request, municipality, year: int, fmt: str):
    wave = _wave(request, municipality, year)
    rows = selectors.export_rows(selectors.wave_results(wave, user=request.user))
    name = f"trygghetsmatning-{municipality.code}-{wave.year}"
    if fmt == "xlsx":
        response = HttpResponse(
            exports.as_xlsx(rows, sheet=_("Results")),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
    else:
        response = HttpResponse(exports.as_csv(rows), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    return response
