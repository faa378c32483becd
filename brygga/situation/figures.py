"""The dashboard's figures for a :class:`~brygga.situation.scope.Scope`, read through the
resolver from the rollup (``counts``) and computed with the analysis library.

Every function takes ``(user, scope)`` and returns plain dataclasses (no markup), so the page,
the exports, the API and the lägesbild document show the same numbers:

* :func:`headline` — events in the period, the previous period and the same period of each of
  the three earlier years, with the change and its reading in words, and the rate per 1,000
  inhabitants with its Garwood interval;
* :func:`by_category` (main categories), :func:`by_area` (the scope's layer),
  :func:`by_stream` — a :class:`Breakdown` each;
* :func:`heat_table` (weekday × hour of day, local time) and :func:`month_profile`;
* :func:`area_context` — population, area statistics and survey indices per area;
* :func:`dashboard` — all of them, and :func:`as_dict` for JSON.

A change compares events per day (``before_after`` with the periods' lengths as exposure), so a
month of 31 days is fairly compared with one of 30; for periods of equal length it is the plain
change in events. Rates are events in the period per 1,000 inhabitants (not per year).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from dataclasses import dataclass, field

import numpy as np
from django.utils.translation import gettext as _

from brygga.analysis import before_after, rates_per_1000
from brygga.areastats.selectors import context_indicators_by_area, population_for
from brygga.core.models import Area
from brygga.incidents.models import Category, Stream
from brygga.surveys.selectors import survey_indicators, waves_for

from . import reference
from .counts import counts, daily, shared_daily, total
from .reference import reference_comparison
from .scope import Period, Scope
from .trends import Forecast, Trend, forecast, history_span, weekly_trend

EARLIER_YEARS = 3
WEEKDAYS = 7
HOURS = 24


# --- building blocks --------------------------------------------------------------------------
@dataclass(frozen=True)
class Rate:
    """Events per 1,000 inhabitants in the period with the 95 % Garwood interval."""

    rate: float
    low: float
    high: float
    population: int
    year: int | None  # the population's year


@dataclass(frozen=True)
class Change:
    """The period's events against another period's: rate ratio (per day) with its exact 95 %
    interval, the change in per cent and its reading in Swedish (``describe_change_sv``)."""

    ratio: float
    low: float
    high: float
    percent: float | None  # None when the other period had no events
    text: str


@dataclass(frozen=True)
class Comparison:
    period: Period
    events: int
    change: Change  # of the scope's period against this one


def rate(events: int, population: int | None, year: int | None = None) -> Rate | None:
    """The rate per 1,000 inhabitants (``None`` without a population)."""
    if not population or population <= 0:
        return None
    r = rates_per_1000([events], [population])
    return Rate(
        rate=float(r.rate[0]),
        low=float(r.lower[0]),
        high=float(r.upper[0]),
        population=int(population),
        year=year,
    )


def change(events: int, period: Period, other_events: int, other: Period) -> Change:
    """``events`` in ``period`` against ``other_events`` in ``other`` (per day)."""
    e = before_after(other_events, events, exposure_before=other.days, exposure_after=period.days)
    pct = e.percent_change if math.isfinite(e.percent_change) else None
    return Change(ratio=e.rate_ratio, low=e.ci_lower, high=e.ci_upper, percent=pct, text=e.text_sv)


def _population(user, scope: Scope) -> tuple[int | None, int | None, str | None]:
    """The scope's population, its year and a note when it is unknown."""
    year = scope.period.end.year
    if not scope.areas:
        m = scope.municipality
        if m.population:
            return m.population, m.population_year, None
        return None, None, _("The municipality's population is not known.")
    found = population_for(scope.municipality, scope.areas, year, user=user)
    if any(a.pk not in found for a in scope.areas):
        return None, None, _("Not every area has a population figure; no rate is given.")
    figures = [found[a.pk] for a in scope.areas]
    return int(sum(f.value for f in figures)), max(f.year for f in figures), None


# --- headline -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Headline:
    period: Period
    events: int
    previous: Comparison
    earlier: list[Comparison]  # the same period 1, 2, 3 years earlier
    rate: Rate | None
    note: str | None  # why there is no rate


def headline(user, scope: Scope) -> Headline:
    p = scope.period
    events = total(user, scope)
    others = [p.previous(), *p.earlier_years(EARLIER_YEARS)]
    comps = []
    for other in others:
        n = total(user, scope, period=other)
        comps.append(Comparison(other, n, change(events, p, n, other)))
    population, year, note = _population(user, scope)
    return Headline(
        period=p,
        events=events,
        previous=comps[0],
        earlier=comps[1:],
        rate=rate(events, population, year),
        note=note,
    )


# --- breakdowns ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Row:
    key: str  # category code, area id, stream
    label: str
    events: int
    share: float | None  # per cent of the scope's events
    previous: int  # in the previous period
    change: Change
    rate: Rate | None


@dataclass(frozen=True)
class Breakdown:
    kind: str  # category, area, stream
    rows: list[Row]
    total: int  # the scope's events in the period
    previous_total: int
    notes: list[str] = field(default_factory=list)

    @property
    def rows_total(self) -> int:
        return sum(r.events for r in self.rows)


def _rows(scope, now: dict, before: dict, labels: dict, total_now: int, populations: dict):
    p, prev = scope.period, scope.period.previous()
    out = []
    for key, label in labels.items():
        n, m = now.get(key, 0), before.get(key, 0)
        pop = populations.get(key)
        out.append(
            Row(
                key=str(key),
                label=label,
                events=n,
                share=100.0 * n / total_now if total_now else None,
                previous=m,
                change=change(n, p, m, prev),
                rate=rate(n, *pop) if pop else None,
            )
        )
    return out


def _grouped(user, scope: Scope, by: str, period: Period | None = None) -> dict:
    return {r[by]: r["events"] for r in counts(user, scope, (by,), period=period)}


def _scope_population(user, scope: Scope) -> tuple:
    population, year, note = _population(user, scope)
    return (population, year) if population else None, note


def by_category(user, scope: Scope) -> Breakdown:
    """Events per main category (a subcategory counts in its main category)."""
    now = _grouped(user, scope, "main_category")
    before = _grouped(user, scope, "main_category", scope.period.previous())
    ids = set(now) | set(before)
    if scope.categories:
        ids |= {c.parent_id or c.pk for c in scope.categories}
    cats = sorted(Category.objects.filter(pk__in=ids), key=lambda c: (-now.get(c.pk, 0), c.name))
    pop, note = _scope_population(user, scope)
    labels = {c.pk: c.name for c in cats}
    total_now, total_before = sum(now.values()), sum(before.values())
    rows = _rows(scope, now, before, labels, total_now, dict.fromkeys(labels, pop) if pop else {})
    rows = [dataclasses.replace(r, key=c.code) for r, c in zip(rows, cats, strict=True)]
    return Breakdown("category", rows, total_now, total_before, [note] if note else [])


def by_stream(user, scope: Scope) -> Breakdown:
    """Events per source: partners' reports, police events, register data, public tips."""
    now = _grouped(user, scope, "stream")
    before = _grouped(user, scope, "stream", scope.period.previous())
    chosen = scope.streams or list(Stream.values)
    labels = {s: str(Stream(s).label) for s in Stream.values if s in chosen}
    pop, note = _scope_population(user, scope)
    total_now, total_before = sum(now.values()), sum(before.values())
    rows = _rows(scope, now, before, labels, total_now, dict.fromkeys(labels, pop) if pop else {})
    return Breakdown("stream", rows, total_now, total_before, [note] if note else [])


def areas_of(scope: Scope) -> list[Area]:
    """The areas the dashboard breaks down by: the scope's, else its layer's."""
    if scope.areas:
        return list(scope.areas)
    if scope.layer is None:
        return []
    return list(Area.objects.filter(layer=scope.layer).defer("geometry").order_by("name"))


def by_area(user, scope: Scope) -> Breakdown:
    """Events per area of the scope's layer (the incidents placed in each area)."""
    areas = areas_of(scope)
    now = _grouped(user, scope, "area")
    before = _grouped(user, scope, "area", scope.period.previous())
    found = population_for(scope.municipality, areas, scope.period.end.year, user=user)
    pops = {a.pk: (int(found[a.pk].value), found[a.pk].year) for a in areas if a.pk in found}
    total_now = total(user, scope)
    labels = {a.pk: a.name for a in areas}
    rows = _rows(scope, now, before, labels, total_now, pops)
    notes = []
    if len(pops) < len(areas):
        notes.append(_("“–”: the area has no population figure, so no rate is given."))
    if sum(r.events for r in rows) != total_now:
        notes.append(
            _(
                "Incidents without a place, or placed outside these areas, count in the total "
                "but in no area."
            )
        )
    return Breakdown(
        "area", rows, total_now, total(user, scope, period=scope.period.previous()), notes
    )


# --- when -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class HeatTable:
    """Events per weekday (0 Monday … 6 Sunday) and hour of day (0–23), local time."""

    cells: list[list[int]]  # [weekday][hour]
    total: int

    @property
    def maximum(self) -> int:
        return max((max(r) for r in self.cells), default=0)

    @property
    def by_weekday(self) -> list[int]:
        return [sum(r) for r in self.cells]

    @property
    def by_hour(self) -> list[int]:
        return [sum(r[h] for r in self.cells) for h in range(HOURS)]


def heat_table(user, scope: Scope) -> HeatTable:
    cells = np.zeros((WEEKDAYS, HOURS), dtype=np.int64)
    for r in counts(user, scope, ("day", "hour")):
        cells[r["day"].weekday(), r["hour"]] += r["events"]
    return HeatTable(cells=cells.tolist(), total=int(cells.sum()))


@dataclass(frozen=True)
class Month:
    year: int
    month: int
    events: int
    earlier_mean: float | None  # the mean of the same days of the earlier years
    earlier: list[int]  # those years' events, the latest first


@dataclass(frozen=True)
class MonthProfile:
    months: list[Month]
    years: list[int]  # the earlier years compared (of the period's first month)


def _months(period: Period) -> list[tuple[int, int]]:
    out, d = [], period.start.replace(day=1)
    while d <= period.end:
        out.append((d.year, d.month))
        d = (d + dt.timedelta(days=32)).replace(day=1)
    return out


def month_profile(user, scope: Scope) -> MonthProfile:
    """Events per calendar month of the period (only the period's days of a month it covers in
    part), and the mean of the same days of each of the three earlier years."""
    months = _months(scope.period)
    index = {m: i for i, m in enumerate(months)}
    now = [0] * len(months)
    period = scope.period
    for d, n in enumerate(daily(user, scope, period.start, period.end)):
        day = period.start + dt.timedelta(days=d)
        now[index[(day.year, day.month)]] += int(n)
    earlier = [[0] * len(months) for _k in range(EARLIER_YEARS)]
    for k in range(1, EARLIER_YEARS + 1):
        other = period.shifted_years(k)
        for d, n in enumerate(daily(user, scope, other.start, other.end)):
            day = other.start + dt.timedelta(days=d)
            i = index.get((day.year + k, day.month))
            if i is not None:
                earlier[k - 1][i] += int(n)
    rows = [
        Month(
            year=y,
            month=m,
            events=now[i],
            earlier_mean=sum(e[i] for e in earlier) / EARLIER_YEARS,
            earlier=[e[i] for e in earlier],
        )
        for i, (y, m) in enumerate(months)
    ]
    first = scope.period.start.year
    return MonthProfile(rows, [first - k for k in range(1, EARLIER_YEARS + 1)])


# --- area context and survey ------------------------------------------------------------------
@dataclass(frozen=True)
class AreaContext:
    area_id: int
    name: str
    population: int | None
    population_year: int | None
    figures: dict[str, tuple[float, str, int]]  # series → (value, unit, year)
    survey: dict[str, dict]  # index code → estimate (survey_indicators' ESTIMATE)


@dataclass(frozen=True)
class Context:
    year: int  # the period's last year
    series: list[str]
    areas: list[AreaContext]
    survey_year: int | None
    survey_indices: list[dict]  # [{"code", "name", "unit"}]
    survey_min_cell: int | None


def survey_year(user, scope: Scope) -> int | None:
    """The latest wave with responses of the period's last year or earlier."""
    wave = (
        waves_for(user, scope.municipality)
        .filter(year__lte=scope.period.end.year, responses__gt=0)
        .order_by("-year")
        .first()
    )
    return wave.year if wave else None


def area_context(user, scope: Scope) -> Context:
    year = scope.period.end.year
    areas = areas_of(scope)
    pops = population_for(scope.municipality, areas, year, user=user)
    wave_year = survey_year(user, scope)
    survey = survey_indicators(scope.municipality, wave_year, areas, user=user) if wave_year else {}
    rows, series = [], set()
    by_area = context_indicators_by_area(scope.municipality, areas, year, user=user)
    for a in areas:
        figs = {f.series: (float(f.value), f.unit, f.year) for f in by_area[a.pk]}
        series |= set(figs)
        pop = pops.get(a.pk)
        rows.append(
            AreaContext(
                area_id=a.pk,
                name=a.name,
                population=int(pop.value) if pop else None,
                population_year=pop.year if pop else None,
                figures=figs,
                survey=(survey.get("areas", {}).get(a.pk) or {}).get("indices", {}),
            )
        )
    return Context(
        year=year,
        series=sorted(series),
        areas=rows,
        survey_year=wave_year if survey else None,
        survey_indices=survey.get("indices", []),
        survey_min_cell=survey.get("min_cell"),
    )


# --- everything -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Dashboard:
    scope: Scope
    headline: Headline
    categories: Breakdown
    areas: Breakdown
    streams: Breakdown
    heat: HeatTable
    months: MonthProfile
    context: Context
    trend: Trend
    forecast: Forecast
    reference: reference.Comparison


def dashboard(user, scope: Scope) -> Dashboard:
    with shared_daily():
        # the scope's daily series, read once for the month profile, the trend and the forecast
        span = history_span(scope)
        daily(user, scope, span.start, span.end)
        return Dashboard(
            scope=scope,
            headline=headline(user, scope),
            categories=by_category(user, scope),
            areas=by_area(user, scope),
            streams=by_stream(user, scope),
            heat=heat_table(user, scope),
            months=month_profile(user, scope),
            context=area_context(user, scope),
            trend=weekly_trend(user, scope),
            forecast=forecast(user, scope),
            reference=reference_comparison(user, scope),
        )


def _plain(value):
    if isinstance(value, Period):
        return {
            "start": value.start.isoformat(),
            "end": value.end.isoformat(),
            "kind": value.kind,
            "param": value.param(),
        }
    if isinstance(value, float):
        return round(value, 4) if math.isfinite(value) else None
    if dataclasses.is_dataclass(value):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def as_dict(d: Dashboard) -> dict:
    """Every figure of the dashboard as JSON-ready data, keyed by section."""
    s = d.scope
    return {
        "scope": {
            "municipality": s.municipality.code,
            "title": s.title,
            "period": _plain(s.period),
            "forum": s.forum.pk if s.forum else None,
            "areas": s.area_ids,
            "layer": s.layer.pk if s.layer else None,
            "categories": [c.code for c in s.categories],
            "streams": s.streams,
        },
        "headline": _plain(d.headline),
        "categories": _plain(d.categories),
        "areas": _plain(d.areas),
        "streams": _plain(d.streams),
        "heat": _plain(d.heat),
        "months": _plain(d.months),
        "context": _plain(d.context),
        "trend": {
            "weeks": [
                {
                    "start": w.start.isoformat(),
                    **{k: _plain(getattr(w, k)) for k in WEEK_KEYS},
                }
                for w in d.trend.weeks
            ],
            "history_weeks": d.trend.history_weeks,
            "weeks_needed": d.trend.weeks_needed,
            "message": d.trend.message,
        },
        "forecast": {
            "quarter": _plain(d.forecast.quarter),
            "months": [
                {"start": m.start.isoformat(), **{k: _plain(getattr(m, k)) for k in RANGE_KEYS}}
                for m in d.forecast.months
            ],
            **{k: _plain(getattr(d.forecast, k)) for k in RANGE_KEYS},
            "sentence": d.forecast.sentence,
            "message": d.forecast.message,
        },
        "reference": {
            "rows": [_plain(r) for r in d.reference.rows],
            "history": [
                {"period": _plain(y.period), "rows": {k: _plain(r) for k, r in y.rows.items()}}
                for y in d.reference.history
            ],
            "similar": d.reference.similar,
            "sentence": d.reference.sentence,
        },
    }


WEEK_KEYS = (
    "year", "week", "observed", "expected", "lower", "upper", "above", "below", "cusum", "ewma",
    "sentence",
)  # fmt: skip
RANGE_KEYS = ("expected", "lower", "upper")
