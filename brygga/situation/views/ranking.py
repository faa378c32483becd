"""Priority areas: /kommuner/<code>/lagesbild/prioritering/ — the ranked areas of the scope with
the weights from the URL (``vikt_<factor>``), what drives each area's score, the method, and
the table as CSV and Excel. Everyone who can view the municipality sees it (aggregates)."""

from __future__ import annotations

import csv
import io
from urllib.parse import urlencode

from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from brygga.core.cells import escape_cell
from brygga.core.selectors import forums_for
from brygga.core.views.decorators import municipality_view

from ..ranking import (
    FACTORS,
    MAX_WEIGHT,
    MIN_TREND_EVENTS,
    rank_areas,
    weight_param,
    weights_from_query,
)
from ..ranking_score import LABELS, Ranking
from ..scope import ScopeError, scope_from_query

BAR_WIDTH = 240  # the contributions bar: its width, the middle is the average area
BAR_HEIGHT = 18
CONTEXT_DIRECTIONS = ("hog", "lag")


def _build(request, municipality):
    """(scope, ranking) from the URL; raises ScopeError for a parameter that cannot be used."""
    scope = scope_from_query(request.user, municipality, request.GET)
    weights = weights_from_query(request.GET)
    direction = (request.GET.get("kontext_riktning") or "").strip()
    if direction and direction not in CONTEXT_DIRECTIONS:
        raise ScopeError(
            "kontext_riktning",
            _("“kontext_riktning” is “hog” (a high value raises the priority) or “lag”."),
        )
    series = request.GET.get("kontext")
    series = series.strip() if series is not None else None
    ranking = rank_areas(
        request.user, scope, weights, context_series=series, context_direction=direction or None
    )
    return scope, ranking


def _query(request, **changes) -> str:
    """The request's query string with ``changes`` (``None`` removes a parameter)."""
    pairs = [(k, v) for k, vs in request.GET.lists() for v in vs if k not in changes]
    pairs += [(k, v) for k, v in changes.items() if v is not None]
    return urlencode(pairs)


def _bars(ranking: Ranking) -> list[dict]:
    """Per area the contributions as segments of a bar: positive ones stacked right of the
    middle, negative ones left of it, on one scale for every area."""
    widest = max(
        [
            max(
                sum(v.contribution for v in a.values.values() if (v.contribution or 0) > 0),
                -sum(v.contribution for v in a.values.values() if (v.contribution or 0) < 0),
            )
            for a in ranking.scored
        ]
        or [0.0]
    )
    half = BAR_WIDTH / 2
    scale = (half - 4) / widest if widest > 0 else 0.0
    out = []
    for a in ranking.areas:
        segments, right, left = [], half, half
        for f in FACTORS:
            c = a.values[f].contribution
            if not c:
                continue
            w = abs(c) * scale
            if c > 0:
                x, right = right, right + w
            else:
                left -= w
                x = left
            segments.append(
                {
                    "factor": f,
                    "x": round(x, 2),
                    "width": round(w, 2),
                    "value": c,
                    "label": LABELS[f],
                }
            )
        desc = "; ".join(f"{s['label']} {s['value']:+.2f}".replace(".", ",") for s in segments)
        out.append({"area": a, "segments": segments, "desc": desc or _("no contributions")})
    return out


def table_rows(ranking: Ranking) -> list[list]:
    """The ranked table as rows (header first), as the page shows it and the exports hold it."""
    header = [_("Rank"), _("Area"), _("Score")]
    for info in ranking.factors:
        unit = f" ({info.unit})" if info.unit else ""
        header += [f"{info.label}{unit}", _("%(factor)s: contribution") % {"factor": info.label}]
    header += [_("Population"), _("Why")]
    rows = [header]
    for a in ranking.areas:
        row = [a.rank, a.name, None if a.score is None else round(a.score, 3)]
        for info in ranking.factors:
            v = a.values[info.key]
            row += [
                None if v.raw is None else round(v.raw, 3),
                None if v.contribution is None else round(v.contribution, 3),
            ]
        row += [a.population, a.sentence]
        rows.append(row)
    return rows


def _filters(request, municipality, scope):
    return {
        "forums": list(forums_for(request.user, municipality)),
        "layers": scope.layers,
        "period": request.GET.get("period", scope.period.param()),
    }


@municipality_view()
@require_GET
def ranking(request, municipality):
    context = {
        "municipality": municipality,
        "max_weight": MAX_WEIGHT,
        "min_trend_events": MIN_TREND_EVENTS,
    }
    try:
        scope, result = _build(request, municipality)
    except ScopeError as exc:
        context.update(
            {
                "error": exc,
                "forums": list(forums_for(request.user, municipality)),
                "reset_url": request.path,
            }
        )
        return render(request, "situation/ranking.html", context, status=400)
    weights = [
        {
            "key": f,
            "param": weight_param(f),
            "label": LABELS[f],
            "value": result.weights[f],
        }
        for f in FACTORS
    ]
    reset = _query(request, **{weight_param(f): None for f in FACTORS})
    context.update(
        {
            "scope": scope,
            "ranking": result,
            "bars": _bars(result),
            "bar_width": BAR_WIDTH,
            "bar_height": BAR_HEIGHT,
            "bar_middle": BAR_WIDTH / 2,
            "weights": weights,
            "reset_url": request.path + (f"?{reset}" if reset else ""),
            "export_query": request.GET.urlencode(),
            "csv_url": reverse("situation:ranking_csv", args=[municipality.code]),
            "xlsx_url": reverse("situation:ranking_xlsx", args=[municipality.code]),
            **_filters(request, municipality, scope),
        }
    )
    return render(request, "situation/ranking.html", context)


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:g}".replace(".", ",")
    return str(escape_cell(value) if isinstance(value, str) else value)


@municipality_view()
@require_GET
def ranking_export(request, municipality, fmt: str):
    try:
        _scope, result = _build(request, municipality)
    except ScopeError as exc:
        return HttpResponse(exc.message, status=400, content_type="text/plain; charset=utf-8")
    rows = table_rows(result)
    name = f"prioritering-{municipality.code}-{result.period.param()}"
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
        for row in rows:
            writer.writerow([_text(v) for v in row])
        response = HttpResponse(
            ("\ufeff" + buffer.getvalue()).encode("utf-8"), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
        return response
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet(_("Priority areas")[:31])
    for row in rows:
        sheet.append([escape_cell(v) if isinstance(v, str) else v for v in row])
    out = io.BytesIO()
    book.save(out)
    response = HttpResponse(
        out.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
    return response
