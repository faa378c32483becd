"""The priority ranking's data (plain dataclasses with ``as_dict()``) and its arithmetic:
standardising, the weighted score and the driver sentence. No database reads (see
``ranking.py`` for the factors and the method)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .scope import Period

FACTORS = ("rate", "trend", "police", "survey", "context")
DEFAULT_WEIGHTS = {"rate": 3, "trend": 2, "police": 2, "survey": 2, "context": 1}
MIN_TREND_EVENTS = 10  # events in the period and a year earlier together

LABELS = {
    "rate": gettext_lazy("Incident rate"),
    "trend": gettext_lazy("Change from a year earlier"),
    "police": gettext_lazy("Police events"),
    "survey": gettext_lazy("Safety survey"),
    "context": gettext_lazy("Area context"),
}
# how a factor is named in the driver sentence, for a positive and a negative contribution
PHRASES = {
    "rate": (gettext_lazy("a high incident rate"), gettext_lazy("a low incident rate")),
    "trend": (
        gettext_lazy("an increase from the year before"),
        gettext_lazy("a decrease from the year before"),
    ),
    "police": (
        gettext_lazy("many police events"),
        gettext_lazy("few police events"),
    ),
    "survey": (
        gettext_lazy("high insecurity in the safety survey"),
        gettext_lazy("low insecurity in the safety survey"),
    ),
    "context": (
        gettext_lazy("its area context"),
        gettext_lazy("its area context"),
    ),
}


@dataclass
class FactorValue:
    """One factor of one area: the raw value (``None``: missing), its z-score and its share
    of the score."""

    factor: str
    raw: float | None
    standardised: float | None = None
    contribution: float | None = None
    note: str = ""

    def as_dict(self) -> dict:
        return {
            "factor": self.factor,
            "raw": self.raw,
            "standardised": self.standardised,
            "contribution": self.contribution,
            "note": self.note,
        }


@dataclass
class AreaScore:
    area_id: int
    name: str
    values: dict[str, FactorValue]
    population: int | None = None
    events: int = 0
    police_events: int = 0
    score: float | None = None
    rank: int | None = None
    drivers: list[str] = field(default_factory=list)  # factor keys, largest contribution first
    sentence: str = ""

    @property
    def missing(self) -> list[str]:
        return [f for f, v in self.values.items() if v.raw is None]

    def as_dict(self) -> dict:
        return {
            "area_id": self.area_id,
            "name": self.name,
            "rank": self.rank,
            "score": self.score,
            "population": self.population,
            "events": self.events,
            "police_events": self.police_events,
            "drivers": list(self.drivers),
            "sentence": self.sentence,
            "missing": self.missing,
            "factors": {f: v.as_dict() for f, v in self.values.items()},
        }


@dataclass
class FactorInfo:
    """A factor as the ranking used it: label, unit, weight and where its figures came from."""

    key: str
    label: str
    unit: str
    weight: int
    source: str = ""
    mean: float | None = None
    sd: float | None = None
    informative: bool = False  # two or more different values

    def as_dict(self) -> dict:
        return {
            "key": self.key,
            "label": self.label,
            "unit": self.unit,
            "weight": self.weight,
            "source": self.source,
            "mean": self.mean,
            "sd": self.sd,
            "informative": self.informative,
        }


@dataclass
class Ranking:
    """The ranked areas of a scope, with the factors and weights used; ``as_dict()`` is plain
    data (for a lägesbild's frozen snapshot)."""

    municipality: str  # code
    title: str
    period: Period
    comparison: Period  # the same period a year earlier (the trend)
    layer: str
    weights: dict[str, int]
    factors: list[FactorInfo]
    areas: list[AreaScore]
    context_series: str = ""
    context_low_is_need: bool = False
    context_choices: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def scored(self) -> list[AreaScore]:
        return [a for a in self.areas if a.score is not None]

    def factor(self, key: str) -> FactorInfo:
        return next(f for f in self.factors if f.key == key)

    def as_dict(self) -> dict:
        return {
            "municipality": self.municipality,
            "title": self.title,
            "period": {
                "start": self.period.start.isoformat(),
                "end": self.period.end.isoformat(),
                "label": str(self.period.label),
            },
            "comparison": {
                "start": self.comparison.start.isoformat(),
                "end": self.comparison.end.isoformat(),
            },
            "layer": self.layer,
            "weights": dict(self.weights),
            "method": {
                "standardisation": "z-score (population sd) across the ranked areas",
                "score": "weighted mean of the standardised values over the available factors",
                "min_trend_events": MIN_TREND_EVENTS,
            },
            "context_series": self.context_series,
            "context_low_is_need": self.context_low_is_need,
            "factors": [f.as_dict() for f in self.factors],
            "areas": [a.as_dict() for a in self.areas],
            "notes": list(self.notes),
        }


# --- standardising and scoring -------------------------------------------------------------
def standardise(values: list[float]) -> tuple[list[float], float | None, float | None]:
    """z-scores of ``values`` (population sd); all 0 when there are fewer than two values or
    no spread. Returns (z, mean, sd)."""
    if not values:
        return [], None, None
    x = np.asarray(values, dtype=float)
    mean, sd = float(x.mean()), float(x.std())
    if len(values) < 2 or sd <= 1e-12:
        return [0.0] * len(values), mean, sd
    return [float(v) for v in (x - mean) / sd], mean, sd


def _sentence(a: AreaScore, n_scored: int) -> str:
    phrases = []
    for f in a.drivers:
        positive, negative = PHRASES[f]
        phrases.append(str(positive if a.values[f].contribution > 0 else negative))
    if not phrases:
        return _("%(area)s: no factor differs from the average of the areas.") % {"area": a.name}
    reasons = (
        phrases[0]
        if len(phrases) == 1
        else _("%(first)s and %(second)s") % {"first": phrases[0], "second": phrases[1]}
    )
    if a.rank == 1:
        return _("%(area)s ranks highest mainly because of %(reasons)s.") % {
            "area": a.name,
            "reasons": reasons,
        }
    return _("%(area)s ranks %(rank)s of %(n)s mainly because of %(reasons)s.") % {
        "area": a.name,
        "rank": a.rank,
        "n": n_scored,
        "reasons": reasons,
    }


def score_areas(areas: list[AreaScore], weights: dict[str, int]) -> None:
    for a in areas:
        available = [f for f in FACTORS if weights[f] > 0 and a.values[f].raw is not None]
        total = sum(weights[f] for f in available)
        if not total:
            continue
        a.score = 0.0
        for f in available:
            v = a.values[f]
            v.contribution = weights[f] / total * v.standardised
            a.score += v.contribution
        drivers = sorted(
            (f for f in available if abs(a.values[f].contribution) > 1e-9),
            key=lambda f: (-abs(a.values[f].contribution), FACTORS.index(f)),
        )
        a.drivers = drivers[:2]
    areas.sort(key=lambda a: (a.score is None, -(a.score or 0.0), a.name))
    scored = [a for a in areas if a.score is not None]
    for i, a in enumerate(scored, start=1):
        a.rank = i
    for a in scored:
        a.sentence = _sentence(a, len(scored))
