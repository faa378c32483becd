"""Reads of area statistics, for the app's pages and for the rest of Brygga.

With a ``user`` every read is narrowed through ``visible_to`` (the resolver decides). The
population selectors may be called without one by code that has already checked the user's
access to the municipality: the figures are public statistics, never personal data."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q, QuerySet

from brygga.core.models import Area, Municipality

from .models import StatFeed, StatImport, StatValue

# A series is an area's population when, its totals left aside, it names only one of these
# (without regard to case): "Folkmängd, totalt", "totalt, totalt, Folkmängd" (the order of a
# JSON-stat response's dimensions) and "Folkmängd" all are; "Folkmängd, 0-4 år" is not.
POPULATION_NAMES = ("folkmängd", "befolkning", "antal invånare", "invånare")
TOTAL_LABELS = ("totalt", "totalt ålder", "totalt kön", "samtliga", "båda könen", "alla åldrar")


@dataclass(frozen=True)
class Figure:
    series: str
    value: Decimal
    unit: str
    year: int
    source: str
    table_id: str


def values_for(user, municipality: Municipality) -> QuerySet[StatValue]:
    qs = StatValue.objects.filter(municipality=municipality)
    return qs.visible_to(user) if user is not None else qs


def imports_for(user, municipality: Municipality) -> QuerySet[StatImport]:
    return StatImport.objects.visible_to(user).filter(municipality=municipality)


def feeds_for(user, municipality: Municipality) -> QuerySet[StatFeed]:
    return StatFeed.objects.visible_to(user).filter(municipality=municipality)


def years_for(user, municipality: Municipality) -> list[int]:
    return sorted(set(values_for(user, municipality).values_list("year", flat=True)), reverse=True)


def stored_rows(
    user, municipality: Municipality, *, year: int | None = None, series: str | None = None
) -> list[dict]:
    """What is stored, one dict per value: area code and name (empty for the municipality as a
    whole), series, year, value, unit, source, table. Ordered by series, area code, year."""
    qs = values_for(user, municipality).select_related("area")
    if year is not None:
        qs = qs.filter(year=year)
    if series:
        qs = qs.filter(series=series)
    rows = [
        {
            "area_code": v.area.official_code if v.area_id else municipality.code,
            "area_name": v.area.name if v.area_id else municipality.name,
            "series": v.series,
            "year": v.year,
            "value": v.value,
            "unit": v.unit,
            "source": v.source,
            "table": v.table_id,
        }
        for v in qs
    ]
    rows.sort(key=lambda r: (r["series"], r["area_code"], r["year"]))
    return rows


def series_per_year(user, municipality: Municipality) -> list[dict]:
    """For the statistics page: per year, each series with its unit, source, table and the
    number of areas it has a value for."""
    per: dict[tuple, dict] = {}
    for v in values_for(user, municipality).only(
        "year", "series", "unit", "source", "table_id", "area_id"
    ):
        key = (v.year, v.series)
        item = per.setdefault(
            key,
            {
                "year": v.year,
                "series": v.series,
                "unit": v.unit,
                "source": v.source,
                "table": v.table_id,
                "areas": 0,
                "municipality": False,
            },
        )
        if v.area_id:
            item["areas"] += 1
        else:
            item["municipality"] = True
    return sorted(per.values(), key=lambda i: (-i["year"], i["series"]))


def _as_of(qs: QuerySet[StatValue], year: int | None) -> QuerySet[StatValue]:
    return qs.filter(year__lte=year) if year is not None else qs


def _figure(v: StatValue) -> Figure:
    return Figure(v.series, v.value, v.unit, v.year, v.source, v.table_id)


def population_for(
    municipality: Municipality,
    areas=None,
    year: int | None = None,
    *,
    user=None,
) -> dict[int | None, Figure]:
    """The population of each area (``None``: the municipality as a whole) as a
    :class:`Figure`: the value of ``year``, or of the latest earlier year when that year is
    missing (``Figure.year`` says which); the latest year without ``year``. ``areas``
    (areas or ids) narrows to those areas. Areas without a population figure are left out."""
    qs = _as_of(values_for(user, municipality), year)
    if areas is not None:
        ids = [a.pk if isinstance(a, Area) else a for a in areas]
        qs = qs.filter(area_id__in=ids)
    found: dict[int | None, tuple[int, int, StatValue]] = {}
    for v in qs.filter(_population_q(qs)).order_by("year"):
        rank = _population_rank(v.series)
        current = found.get(v.area_id)
        if current is None or (v.year, -rank) > (current[0], -current[1]):
            found[v.area_id] = (v.year, rank, v)
    return {area_id: _figure(v) for area_id, (_y, _r, v) in found.items()}


def is_population_series(series: str) -> bool:
    parts = [p.strip().lower() for p in series.split(",")]
    named = [p for p in parts if p and p not in TOTAL_LABELS]
    return len(named) == 1 and named[0] in POPULATION_NAMES


def _population_rank(series: str) -> int:
    """Prefer the plainest name when an area has several population series in a year."""
    return len(series)


def _population_q(qs: QuerySet[StatValue]) -> Q:
    series = qs.order_by().values_list("series", flat=True).distinct()
    names = {s for s in series if is_population_series(s)}
    return Q(series__in=sorted(names))


def context_indicators(
    municipality: Municipality, area: Area | None, year: int | None = None, *, user=None
) -> list[Figure]:
    """The area's other figures (age groups, income, …): for each series its value of
    ``year`` or the latest earlier year (the latest without ``year``), ordered by series.
    ``area=None``: the figures of the municipality as a whole."""
    qs = _as_of(values_for(user, municipality), year).filter(
        area_id=area.pk if area is not None else None
    )
    return _latest_by_area(qs).get(area.pk if area is not None else None, [])


def context_indicators_by_area(
    municipality: Municipality, areas, year: int | None = None, *, user=None
) -> dict[int, list[Figure]]:
    """:func:`context_indicators` of several areas from one query: area id → its figures
    (an area without figures maps to ``[]``)."""
    ids = [a.pk for a in areas]
    qs = _as_of(values_for(user, municipality), year).filter(area_id__in=ids)
    return {i: [] for i in ids} | _latest_by_area(qs)


def _latest_by_area(qs) -> dict[int | None, list[Figure]]:
    """Each area's latest value per series (population series left out), ordered by series."""
    latest: dict[int | None, dict[str, StatValue]] = {}
    for v in qs.exclude(_population_q(qs)).order_by("year"):
        latest.setdefault(v.area_id, {})[v.series] = v
    return {a: [_figure(by[s]) for s in sorted(by)] for a, by in latest.items()}


def rate_per_thousand(count: int, population: Figure | None) -> Decimal | None:
    """Reports per 1,000 inhabitants, one decimal (``None`` without a population)."""
    if population is None or not population.value:
        return None
    return (Decimal(count) * 1000 / population.value).quantize(Decimal("0.1"))
