"""Reads of the plans app's work part: operations (with the list's filters), the effort per
area and month beside the incident counts of the same areas and months, indicators and
evaluations — every queryset narrowed with ``visible_to``.

The incident counts of the effort table come from the lägesbild's day rollup through
``brygga.situation.counts`` (every counted incident of every stream that the user may see,
each area in its own layer), exactly as the dashboard counts them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils.formats import date_format

from brygga.core.access import VIEW
from brygga.core.models import Area, Municipality

from ..models import Evaluation, Indicator, Measure, Operation, WalkObservation

__all__ = [
    "EffortTable",
    "effort_table",
    "evaluations_for",
    "filter_operations",
    "indicators_for",
    "measure_for",
    "months_of",
    "observations_of",
    "operations_for",
]


def operations_for(user, municipality: Municipality, action: str = VIEW) -> QuerySet[Operation]:
    return (
        Operation.objects.visible_to(user, action)
        .filter(municipality=municipality)
        .select_related("measure", "area")
        .prefetch_related("organisations")
    )


def filter_operations(qs: QuerySet[Operation], *, period=None, area=None, kind="", measure=None):
    """The list's filters: ``period`` (a ``situation.scope.Period``, by local start day),
    ``area``, ``kind``, ``measure``."""
    from brygga.incidents.services.rollups import day_start

    if period is not None:
        qs = qs.filter(
            started_at__gte=day_start(period.start),
            started_at__lt=day_start(period.end + dt.timedelta(days=1)),
        )
    if area is not None:
        qs = qs.filter(area=area)
    if kind:
        qs = qs.filter(kind=kind)
    if measure is not None:
        qs = qs.filter(measure=measure)
    return qs


def observations_of(user, operation: Operation) -> QuerySet[WalkObservation]:
    return WalkObservation.objects.visible_to(user, VIEW).filter(
        municipality_id=operation.municipality_id, operation=operation
    )


def measure_for(user, municipality: Municipality, pk: int, action: str = VIEW) -> Measure:
    return get_object_or_404(
        Measure.objects.visible_to(user, action).filter(municipality=municipality), pk=pk
    )


def indicators_for(user, municipality: Municipality, action: str = VIEW) -> QuerySet[Indicator]:
    return (
        Indicator.objects.visible_to(user, action)
        .filter(municipality=municipality)
        .select_related("measure")
    )


def evaluations_for(user, municipality: Municipality, action: str = VIEW) -> QuerySet[Evaluation]:
    return (
        Evaluation.objects.visible_to(user, action)
        .filter(municipality=municipality)
        .select_related("measure")
    )


# --- effort beside incidents ------------------------------------------------------------------
def months_of(start: dt.date, end: dt.date) -> list[dt.date]:
    out, m = [], start.replace(day=1)
    while m <= end:
        out.append(m)
        m = dt.date(m.year + (m.month == 12), m.month % 12 + 1, 1)
    return out


@dataclass
class EffortRow:
    area: Area
    hours: list[Decimal]
    operations: list[int]
    incidents: list[int]

    @property
    def cells(self):
        return list(zip(self.hours, self.operations, self.incidents, strict=True))

    @property
    def total_hours(self) -> Decimal:
        return sum(self.hours, Decimal(0))

    @property
    def total_incidents(self) -> int:
        return sum(self.incidents)


@dataclass
class EffortTable:
    start: dt.date
    end: dt.date
    months: list[dt.date]
    rows: list[EffortRow] = field(default_factory=list)

    @property
    def month_labels(self) -> list[str]:
        return [date_format(m, "M Y") for m in self.months]

    def csv_rows(self) -> list[dict]:
        out = []
        for r in self.rows:
            for m, (h, n, inc) in zip(self.months, r.cells, strict=True):
                out.append(
                    {
                        "area": r.area.name,
                        "layer": r.area.layer.name,
                        "month": f"{m:%Y-%m}",
                        "hours": h,
                        "operations": n,
                        "incidents": inc,
                    }
                )
        return out


def effort_table(user, municipality: Municipality, operations, start: dt.date, end: dt.date):
    """Hours (and operations) per area and month of ``operations`` started in ``start``–``end``
    (local days), beside the counted incidents of the same areas and months."""
    from brygga.incidents.services.rollups import local_day

    from ..indicator_values import daily_events

    months = months_of(start, end)
    col = {(m.year, m.month): j for j, m in enumerate(months)}
    per_area: dict[int, EffortRow] = {}
    areas: dict[int, Area] = {}
    for op in operations:
        if op.area_id is None:
            continue
        day = local_day(op.started_at)
        if not start <= day <= end:
            continue
        if op.area_id not in per_area:
            areas[op.area_id] = op.area
            per_area[op.area_id] = EffortRow(
                op.area, [Decimal(0)] * len(months), [0] * len(months), [0] * len(months)
            )
        row = per_area[op.area_id]
        j = col[(day.year, day.month)]
        row.hours[j] += op.hours
        row.operations[j] += 1
    by_layer: dict[int, list[Area]] = {}
    for a in Area.objects.filter(pk__in=list(areas)).select_related("layer").defer("geometry"):
        areas[a.pk] = a
        per_area[a.pk].area = a
        by_layer.setdefault(a.layer_id, []).append(a)
    for layer_areas in by_layer.values():
        for r in daily_events(
            user,
            municipality,
            areas=layer_areas,
            categories=[],
            stream=None,
            start=start,
            end=end,
            by_area=True,
        ):
            per_area[r["area"]].incidents[col[(r["day"].year, r["day"].month)]] += int(r["events"])
    table = EffortTable(start=start, end=end, months=months)
    table.rows = sorted(per_area.values(), key=lambda r: r.area.name)
    return table
