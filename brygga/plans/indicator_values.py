"""An indicator's values, computed from the data Brygga holds — never typed (except a manual
series, whose rows are the values).

Developer note:

* The series runs per period of the indicator's granularity (month, quarter, year) from the
  period that holds ``baseline_start`` to the period that holds today; a period that has not
  ended yet is marked ``complete=False`` and never becomes the current value.
* ``incidents`` and ``police_events`` count *events* (the sum of ``Incident.count``) from the
  lägesbild's day rollup through ``brygga.situation.counts`` — the same reader, the same
  rules (what is counted, what the user may see) as the dashboard. ``incidents`` reads the
  partners' stream, ``police_events`` the police stream; chosen categories count with their
  subcategories; chosen areas count the incidents placed in them (one layer); no areas: the
  whole municipality.
* ``incident_rate`` is that count per 1,000 residents: ``count / population * 1000`` with the
  population of the period's first year (or the latest earlier year) summed over the areas,
  from ``brygga.areastats.selectors.population_for`` (the municipality's own figure when the
  indicator has no areas). A period without a population figure has no value.
* ``survey_index`` takes one value per wave of the trygghetsmätning (the wave's year), the
  index's mean from ``brygga.surveys.selectors.wave_results`` — suppressed cells stay
  suppressed (no value). Several areas: the respondent-weighted mean of the areas' shown
  cells; no areas: the municipality's figure.
* ``manual``: the ``IndicatorValue`` rows as entered.
* The baseline is the mean of the values of the periods that lie wholly inside the baseline
  period; the current value is the latest complete period's; the change is current − baseline
  (and in percent of the baseline); the target is met when the current value is at or below
  (direction ``decrease``) or at or above (``increase``) the target.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.utils.formats import date_format
from django.utils.translation import gettext as _

from brygga.core.models import Area
from brygga.incidents.models import Category, Stream

from .models import Direction, Granularity, Indicator, IndicatorSource

COUNT_SOURCES = (IndicatorSource.INCIDENTS, IndicatorSource.INCIDENT_RATE)
INCIDENT_SOURCES = (*COUNT_SOURCES, IndicatorSource.POLICE_EVENTS)
MONTHS = {Granularity.MONTH: 1, Granularity.QUARTER: 3, Granularity.YEAR: 12}


@dataclass(frozen=True)
class PeriodValue:
    start: dt.date
    end: dt.date
    label: str
    value: float | None
    complete: bool = True
    count: int | None = None  # the events counted (count and rate sources)
    population: float | None = None  # the residents (rate source)
    in_baseline: bool = False


@dataclass
class IndicatorSeries:
    indicator: Indicator
    periods: list[PeriodValue] = field(default_factory=list)
    baseline: float | None = None
    current: PeriodValue | None = None
    change: float | None = None
    change_percent: float | None = None
    target_met: bool | None = None

    def as_dict(self) -> dict:
        def num(v):
            return None if v is None else round(float(v), 4)

        return {
            "baseline": num(self.baseline),
            "current": num(self.current.value) if self.current else None,
            "current_period": (
                {"start": self.current.start.isoformat(), "end": self.current.end.isoformat()}
                if self.current
                else None
            ),
            "change": num(self.change),
            "change_percent": num(self.change_percent),
            "target": self.indicator.target_value,
            "direction": self.indicator.direction,
            "target_met": self.target_met,
            "values": [
                {
                    "start": p.start.isoformat(),
                    "end": p.end.isoformat(),
                    "value": num(p.value),
                    "complete": p.complete,
                    "count": p.count,
                    "population": num(p.population),
                    "in_baseline": p.in_baseline,
                }
                for p in self.periods
            ],
        }


# --- periods ------------------------------------------------------------------------------------
def _add_months(day: dt.date, months: int) -> dt.date:
    y, m = divmod(day.month - 1 + months, 12)
    return dt.date(day.year + y, m + 1, 1)


def period_start(day: dt.date, granularity: str) -> dt.date:
    months = MONTHS[granularity]
    return dt.date(day.year, (day.month - 1) // months * months + 1, 1)


def periods_between(
    first: dt.date, last: dt.date, granularity: str
) -> list[tuple[dt.date, dt.date]]:
    """The periods of ``granularity`` from the one holding ``first`` to the one holding
    ``last``, as (start, end) with both days included."""
    months = MONTHS[granularity]
    out = []
    start = period_start(first, granularity)
    while start <= last:
        nxt = _add_months(start, months)
        out.append((start, nxt - dt.timedelta(days=1)))
        start = nxt
    return out


def period_label(start: dt.date, granularity: str) -> str:
    if granularity == Granularity.YEAR:
        return str(start.year)
    if granularity == Granularity.QUARTER:
        return _("Q%(q)s %(year)s") % {"q": (start.month - 1) // 3 + 1, "year": start.year}
    return date_format(start, "M Y")


def whole_periods_in(start: dt.date, end: dt.date, granularity: str) -> int:
    """How many periods of ``granularity`` lie wholly inside ``start``–``end``."""
    return sum(1 for s, e in periods_between(start, end, granularity) if s >= start and e <= end)


def today() -> dt.date:
    from brygga.incidents.services.rollups import local_day

    return local_day(dt.datetime.now(dt.UTC))


# --- reading the data ---------------------------------------------------------------------------
def category_ids(categories: Sequence[Category]) -> list[int] | None:
    """The ids counted for the chosen categories (a main category with its subcategories);
    ``None`` (every category) when none is chosen."""
    chosen = [c.pk for c in categories]
    if not chosen:
        return None
    from django.db.models import Q

    return sorted(
        Category.objects.filter(Q(pk__in=chosen) | Q(parent_id__in=chosen)).values_list(
            "pk", flat=True
        )
    )


def daily_events(
    user,
    municipality,
    *,
    areas: Sequence[Area],
    categories: Sequence[Category],
    stream: str | None,
    start: dt.date,
    end: dt.date,
    by_area: bool = False,
) -> list[dict]:
    """The counted events per day (and per area with ``by_area``) from the day rollup, read
    as the dashboard reads them (what ``user`` may see): ``[{"day", ["area",] "events"}]``."""
    from brygga.situation import counts
    from brygga.situation.scope import Period, Scope

    areas = list(areas)
    scope = Scope(
        municipality=municipality,
        period=Period(start, end),
        areas=areas,
        layer=areas[0].layer if areas else None,
        category_ids=category_ids(categories),
        streams=[stream] if stream else [],
    )
    return counts.counts(user, scope, ("day", "area") if by_area else ("day",))


def _stream(indicator: Indicator) -> str:
    if indicator.source == IndicatorSource.POLICE_EVENTS:
        return Stream.POLICE
    return Stream.PARTNER


def _count_series(user, indicator, areas, bounds) -> list[int]:
    first, last = bounds[0][0], bounds[-1][1]
    rows = daily_events(
        user,
        indicator.municipality,
        areas=areas,
        categories=list(indicator.categories.all()),
        stream=_stream(indicator),
        start=first,
        end=last,
    )
    totals = [0] * len(bounds)
    for r in rows:
        for i, (s, e) in enumerate(bounds):
            if s <= r["day"] <= e:
                totals[i] += int(r["events"])
                break
    return totals


def population(municipality, areas: Sequence[Area], year: int) -> float | None:
    """The residents of ``areas`` (the municipality without areas) in ``year`` or the latest
    earlier year; ``None`` when an area has no figure."""
    from brygga.areastats.selectors import population_for

    if not areas:
        fig = population_for(municipality, year=year).get(None)
        return float(fig.value) if fig is not None else None
    figs = population_for(municipality, [a.pk for a in areas], year)
    if any(a.pk not in figs for a in areas):
        return None
    return float(sum(figs[a.pk].value for a in areas))


def survey_value(user, wave, code: str, areas: Sequence[Area]) -> float | None:
    """The index ``code`` of ``wave`` in ``areas`` (the municipality without areas), as the
    surveys app publishes it (suppressed cells give ``None``)."""
    from brygga.surveys.selectors import wave_results

    results = wave_results(wave, user=user, areas=list(areas) or None, groups=False)
    index = results.index(code)
    if index is None:
        return None
    if not areas:
        c = index.municipality
        return None if c.suppressed else c.mean
    shown = [r.cell for r in index.areas if not r.cell.suppressed and r.cell.mean is not None]
    if not shown:
        return None
    n = sum(c.n for c in shown)
    return sum(c.mean * c.n for c in shown) / n if n else None


# --- the series ---------------------------------------------------------------------------------
def compute(indicator: Indicator, *, user, on: dt.date | None = None) -> IndicatorSeries:
    """The indicator's values, baseline, current value, change and whether the target is met,
    as ``user`` may see the data on the day ``on`` (default today)."""
    on = on or today()
    areas = list(indicator.areas.all().select_related("layer").defer("geometry"))
    series = IndicatorSeries(indicator=indicator)
    if indicator.source == IndicatorSource.SURVEY_INDEX:
        series.periods = _survey_periods(user, indicator, areas, on)
    elif indicator.source == IndicatorSource.MANUAL:
        series.periods = _manual_periods(indicator, on)
    else:
        series.periods = _count_periods(user, indicator, areas, on)
    in_base = [
        p
        for p in series.periods
        if p.start >= indicator.baseline_start and p.end <= indicator.baseline_end
    ]
    series.periods = [
        PeriodValue(**{**p.__dict__, "in_baseline": p in in_base}) for p in series.periods
    ]
    base_values = [p.value for p in in_base if p.value is not None]
    series.baseline = sum(base_values) / len(base_values) if base_values else None
    done = [p for p in series.periods if p.complete and p.value is not None]
    series.current = done[-1] if done else None
    if series.current is not None and series.baseline is not None:
        series.change = series.current.value - series.baseline
        if series.baseline:
            series.change_percent = 100 * series.change / series.baseline
    if series.current is not None and indicator.target_value is not None:
        if indicator.direction == Direction.DECREASE:
            series.target_met = series.current.value <= indicator.target_value
        else:
            series.target_met = series.current.value >= indicator.target_value
    return series


def _count_periods(user, indicator, areas, on) -> list[PeriodValue]:
    g = indicator.granularity
    bounds = periods_between(indicator.baseline_start, max(on, indicator.baseline_end), g)
    counts_ = _count_series(user, indicator, areas, bounds)
    out = []
    for (s, e), n in zip(bounds, counts_, strict=True):
        value: float | None = float(n)
        pop = None
        if indicator.source == IndicatorSource.INCIDENT_RATE:
            pop = population(indicator.municipality, areas, s.year)
            value = n / pop * 1000 if pop else None
        out.append(
            PeriodValue(
                start=s,
                end=e,
                label=period_label(s, g),
                value=value,
                complete=e < on,
                count=n,
                population=pop,
            )
        )
    return out


def _survey_periods(user, indicator, areas, on) -> list[PeriodValue]:
    from brygga.surveys.selectors import waves_for

    out = []
    waves = waves_for(user, indicator.municipality).filter(
        responses__gt=0, year__gte=indicator.baseline_start.year
    )
    for wave in waves.order_by("year"):
        out.append(
            PeriodValue(
                start=dt.date(wave.year, 1, 1),
                end=dt.date(wave.year, 12, 31),
                label=str(wave.year),
                value=survey_value(user, wave, indicator.survey_index_code, areas),
            )
        )
    return out


def _manual_periods(indicator, on) -> list[PeriodValue]:
    return [
        PeriodValue(
            start=v.period_start,
            end=v.period_end,
            label=(
                period_label(v.period_start, indicator.granularity)
                if (v.period_start, v.period_end)
                in periods_between(v.period_start, v.period_start, indicator.granularity)
                else f"{v.period_start:%Y-%m-%d}–{v.period_end:%Y-%m-%d}"
            ),
            value=v.value,
            complete=v.period_end < on,
        )
        # as on the day ``on``: values of later periods are not known yet
        for v in indicator.values.filter(period_start__lt=on).order_by("period_start")
    ]
