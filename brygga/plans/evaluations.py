"""An evaluation's data and estimate: the counts per area per month of the chosen categories,
handed to the analysis library (``brygga.analysis.evaluation``).

Developer note:

* The counts are events (the sum of ``Incident.count``) of the partners' and the police's
  streams together (every counted incident the dashboard counts, what the user may see), per
  area and per calendar month sliced to the before and after periods, from the same reader
  as the indicators (:func:`brygga.plans.indicator_values.daily_events`, the day rollup).
* Every area is counted in its own layer (treated and comparison areas may come from
  different layers of the municipality, each area once).
* With comparison areas: :func:`~brygga.analysis.evaluation.did_poisson` on the
  ``(areas × months)`` array, ``treated`` per area, ``after`` per month, the exposure the
  days of each (sliced) month, so partial months weigh by their length. Without:
  :func:`~brygga.analysis.evaluation.before_after` on the treated areas' totals with the days
  of each period as exposure, and the reading says that a before/after comparison without a
  comparison area cannot separate the measure from general trends.
* ``result`` (stored as JSON) holds the rate ratio, interval, level, p, percent change, the
  four totals (comparison ones ``None`` without comparison areas), the method and the areas
  and months used; infinite and undefined numbers are stored as ``None`` with ``rate_ratio_text``
  saying why. ``reading`` is the library's Swedish ``text_sv`` (plus the caveat).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from brygga.analysis.evaluation import before_after, did_poisson
from brygga.core.models import Area
from brygga.incidents.models import Category

from .indicator_values import daily_events

CAVEAT_SV = (
    "Jämförelsen före/efter saknar jämförelseområde och kan därför inte skilja åtgärdens "
    "effekt från allmänna trender, säsongsvariation eller återgång mot medelvärdet."
)


@dataclass
class EvaluationData:
    """The counts ``(areas × months)`` and what the rows and columns are."""

    areas: list[Area]
    treated: np.ndarray  # bool per area
    months: list[tuple[dt.date, dt.date]]  # (first, last day) of each (sliced) month
    after: np.ndarray  # bool per month
    counts: np.ndarray  # int (areas, months)

    @property
    def exposure(self) -> np.ndarray:
        days = np.array([(e - s).days + 1 for s, e in self.months], dtype=np.float64)
        return np.tile(days, (len(self.areas), 1))


def _months(start: dt.date, end: dt.date) -> list[tuple[dt.date, dt.date]]:
    out = []
    s = start
    while s <= end:
        nxt = dt.date(s.year + (s.month == 12), s.month % 12 + 1, 1)
        out.append((s, min(end, nxt - dt.timedelta(days=1))))
        s = nxt
    return out


def assemble(
    user,
    municipality,
    *,
    treated: Sequence[Area],
    comparison: Sequence[Area],
    categories: Sequence[Category],
    before: tuple[dt.date, dt.date],
    after: tuple[dt.date, dt.date],
) -> EvaluationData:
    """The events per area and month of the before and after periods."""
    areas = [*treated, *comparison]
    months = _months(*before) + _months(*after)
    is_after = np.array([s >= after[0] for s, _e in months], dtype=bool)
    counts = np.zeros((len(areas), len(months)), dtype=np.int64)
    index = {(s.year, s.month, s >= after[0]): j for j, (s, _e) in enumerate(months)}
    by_layer: dict[int, list[int]] = {}
    for i, a in enumerate(areas):
        by_layer.setdefault(a.layer_id, []).append(i)
    for rows_of in by_layer.values():
        layer_areas = [areas[i] for i in rows_of]
        row = {a.pk: i for i, a in zip(rows_of, layer_areas, strict=True)}
        rows = daily_events(
            user,
            municipality,
            areas=layer_areas,
            categories=categories,
            stream=None,
            start=before[0],
            end=after[1],
            by_area=True,
        )
        for r in rows:
            day = r["day"]
            if before[1] < day < after[0]:
                continue  # between the periods
            j = index[(day.year, day.month, day >= after[0])]
            counts[row[r["area"]], j] += int(r["events"])
    return EvaluationData(
        areas=areas,
        treated=np.array([True] * len(treated) + [False] * len(comparison), dtype=bool),
        months=months,
        after=is_after,
        counts=counts,
    )


def _num(v) -> float | None:
    v = float(v)
    return v if math.isfinite(v) else None


def estimate(data: EvaluationData) -> tuple[dict, str]:
    """The stored ``result`` and the ``reading`` of the data."""
    has_comparison = bool((~data.treated).any())
    after_days = sum(
        (e - s).days + 1 for (s, e), a in zip(data.months, data.after, strict=True) if a
    )
    before_days = sum(
        (e - s).days + 1 for (s, e), a in zip(data.months, data.after, strict=True) if not a
    )
    tr = data.counts[data.treated]
    if has_comparison:
        r = did_poisson(data.counts, data.treated, data.after, exposure=data.exposure)
        totals = {
            "treated_before": int(r.treated_before),
            "treated_after": int(r.treated_after),
            "comparison_before": int(r.comparison_before),
            "comparison_after": int(r.comparison_after),
        }
        extra = {"dropped_areas": [data.areas[i].pk for i in r.dropped_areas]}
        reading = r.text_sv
    else:
        tb, ta = int(tr[:, ~data.after].sum()), int(tr[:, data.after].sum())
        r = before_after(tb, ta, exposure_before=before_days, exposure_after=after_days)
        totals = {
            "treated_before": tb,
            "treated_after": ta,
            "comparison_before": None,
            "comparison_after": None,
        }
        extra = {}
        reading = f"{r.text_sv}. {CAVEAT_SV}"
    rr = float(r.rate_ratio)
    result = {
        "design": "did" if has_comparison else "before_after",
        "rate_ratio": _num(rr),
        "rate_ratio_text": ("inf" if rr == math.inf else ("nan" if math.isnan(rr) else "")),
        "ci_lower": _num(r.ci_lower),
        "ci_upper": _num(r.ci_upper),
        "level": float(r.level),
        "p_value": _num(r.p_value),
        "percent_change": _num(r.percent_change),
        "method": r.method,
        "text_sv": r.text_sv,
        **totals,
        "treated_areas": [a.pk for a, t in zip(data.areas, data.treated, strict=True) if t],
        "comparison_areas": [a.pk for a, t in zip(data.areas, data.treated, strict=True) if not t],
        "months": len(data.months),
        "days_before": before_days,
        "days_after": after_days,
        **extra,
    }
    if not reading.endswith(".") and has_comparison:
        reading = reading[:1].upper() + reading[1:] + "."
    elif not has_comparison:
        reading = reading[:1].upper() + reading[1:]
    return result, reading
