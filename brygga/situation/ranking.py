"""Priority areas: a transparent ranking of the areas of a scope's layer (or of a forum's areas)
from five factors, each standardised across the ranked areas and combined with weights the
coordinator sets in the URL (``vikt_<factor>=0..5``).

The factors (:data:`FACTORS`), each computed from what Brygga holds:

* ``rate``: partners' reports, register data and public tips (the scope's ``kalla`` narrows
  these three) per 1,000 inhabitants in the period;
* ``trend``: the change in those events against the same period a year earlier, as the
  natural log of (events + 1) / (events a year earlier + 1); with fewer than
  :data:`MIN_TREND_EVENTS` events in the two periods together the area has no trend value;
* ``police``: police events per 1,000 inhabitants in the period;
* ``survey``: the safety survey's index (otrygghetsindex, else problemindex, else the first
  index) of the latest wave up to the period's year; a suppressed cell is missing;
* ``context``: one series of the area statistics (``kontext=``; by default the first
  socio-economic one), latest year up to the period's; a count is taken as a share of the
  area's population. ``kontext_riktning=lag`` makes a *low* value the one that raises the
  priority (income, employment), ``hog`` a high one.

Standardisation: a z-score, ``(x - mean) / sd`` over the areas that have the factor (population
standard deviation). A factor with fewer than two values, or the same value everywhere, tells
the areas nothing: its standardised value is 0 for all.

Score: the weighted mean of an area's standardised values over the factors it has,
``sum(w_f * z_f) / sum(w_f)``; a factor the area lacks is left out and the others' weights are
renormalised (the page says which). A factor's *contribution* is ``w_f / sum(w) * z_f``, so
the contributions add up to the score. Areas without any factor get no score and come last.
"""

from __future__ import annotations

import datetime as dt
import math

from django.http import QueryDict
from django.utils.translation import gettext as _

from brygga.analysis import rates_per_1000
from brygga.areastats.selectors import context_indicators_by_area, population_for
from brygga.core.selectors import areas_for
from brygga.incidents.models import Stream
from brygga.surveys.selectors import survey_indicators, waves_for

from . import counts
from .ranking_score import (
    DEFAULT_WEIGHTS,
    FACTORS,
    LABELS,
    MIN_TREND_EVENTS,
    AreaScore,
    FactorInfo,
    FactorValue,
    Ranking,
    score_areas,
    standardise,
)
from .scope import Period, Scope, ScopeError, scope_from_query

__all__ = [
    "DEFAULT_WEIGHTS",
    "FACTORS",
    "AreaScore",
    "FactorInfo",
    "FactorValue",
    "Ranking",
    "rank_areas",
    "quarterly_group_ranking",
    "standardise",
    "weights_from_query",
]

MAX_WEIGHT = 5
INCIDENT_STREAMS = (Stream.PARTNER, Stream.REGISTER, Stream.PUBLIC)
SURVEY_INDICES = ("otrygghetsindex", "problemindex")
# words that mark a socio-economic series (chosen by default for the context factor) and,
# among them, series where a *low* value means more need
SOCIO_WORDS = (
    "ekonomisk standard",
    "inkomst",
    "förvärvs",
    "sysselsatt",
    "arbetslös",
    "bistånd",
    "utbildning",
    "eftergymnasial",
    "trångbodd",
)
LOW_IS_NEED = ("inkomst", "förvärvs", "sysselsatt", "eftergymnasial")
COUNT_UNITS = ("antal", "st", "personer")


def weight_param(factor: str) -> str:
    return f"vikt_{factor}"


def weights_from_query(query) -> dict[str, int]:
    """The weights in ``query`` (``vikt_<factor>``, whole numbers 0–5), the defaults for the
    rest; a wrong value raises :class:`ScopeError` naming the parameter."""
    weights = dict(DEFAULT_WEIGHTS)
    for f in FACTORS:
        text = (query.get(weight_param(f)) or "").strip()
        if not text:
            continue
        try:
            value = int(text)
        except ValueError:
            value = -1
        if not 0 <= value <= MAX_WEIGHT:
            raise ScopeError(
                weight_param(f),
                _("The weight “%(param)s” must be a whole number from 0 to %(max)s.")
                % {"param": weight_param(f), "max": MAX_WEIGHT},
            )
        weights[f] = value
    if not any(weights.values()):
        raise ScopeError(weight_param(FACTORS[0]), _("Give at least one factor a weight above 0."))
    return weights


# --- the factors' raw values ---------------------------------------------------------------
def _events(user, scope: Scope, streams, period: Period) -> dict[int, int]:
    """Events per area of the scope's layer in ``period`` in ``streams``."""
    narrowed = Scope(**{**scope.__dict__, "streams": list(streams)})
    out: dict[int, int] = {}
    for r in counts.counts(user, narrowed, ("area",), period=period):
        out[r["area"]] = out.get(r["area"], 0) + int(r["events"])
    return out


def _per_thousand(events: dict[int, int], population: dict[int, int], area_id: int):
    pop = population.get(area_id)
    if not pop:
        return None
    return float(rates_per_1000([events.get(area_id, 0)], [pop]).rate[0])


def _population(user, scope: Scope, ids: list[int], notes: list[str]) -> dict[int, int]:
    """Each area's population of the period's last year (or the latest earlier); an area with
    only later figures gets its earliest later one, and the notes say so."""
    year = scope.period.end.year
    found = population_for(scope.municipality, ids, year, user=user)
    later = [i for i in ids if i not in found]
    if later:
        newer = population_for(scope.municipality, later, None, user=user)
        if newer:
            found.update(newer)
            notes.append(
                _("%(n)s areas have no population figure up to %(year)s; a later one is used.")
                % {"n": len(newer), "year": year}
            )
    return {k: int(f.value) for k, f in found.items() if k is not None and f.value}


def _survey(user, scope: Scope, area_ids: list[int]) -> tuple[dict[int, float], str, str]:
    """Survey index per area (suppressed cells left out), the unit and the source text."""
    wave = (
        waves_for(user, scope.municipality)
        .filter(year__lte=scope.period.end.year, responses__gt=0)
        .order_by("-year")
        .first()
    )
    if wave is None:
        return {}, "", ""
    data = survey_indicators(scope.municipality, wave.year, area_ids, user=user)
    if not data or not data["indices"]:
        return {}, "", ""
    codes = [i["code"] for i in data["indices"]]
    code = next((c for c in SURVEY_INDICES if c in codes), codes[0])
    index = next(i for i in data["indices"] if i["code"] == code)
    values = {}
    for area_id, entry in data["areas"].items():
        cell = entry["indices"].get(code)
        if cell and not cell["suppressed"] and cell["mean"] is not None:
            values[int(area_id)] = float(cell["mean"])
    source = _("%(index)s, safety survey %(year)s") % {"index": index["name"], "year": wave.year}
    return values, index["unit"], source


def default_context_series(choices: list[str]) -> str:
    return next((s for s in choices if any(w in s.lower() for w in SOCIO_WORDS)), "")


def low_is_need(series: str) -> bool:
    s = series.lower()
    return any(w in s for w in LOW_IS_NEED) and "låg" not in s


def _context(user, scope: Scope, areas, population: dict[int, int]):
    """Every area's context figures (latest year up to the period's): ``{area_id: {series:
    (value, unit, year)}}``, with a count as a share (%) of the area's population."""
    out: dict[int, dict[str, tuple[float, str, int]]] = {}
    by_area = context_indicators_by_area(
        scope.municipality, areas, scope.period.end.year, user=user
    )
    for area in areas:
        for fig in by_area[area.pk]:
            value, unit = float(fig.value), fig.unit
            if unit.lower() in COUNT_UNITS:
                pop = population.get(area.pk)
                if not pop:
                    continue
                value, unit = 100.0 * value / pop, "%"
            out.setdefault(area.pk, {})[fig.series] = (value, unit, fig.year)
    return out


# --- the ranking ---------------------------------------------------------------------------
def rank_areas(
    user,
    scope: Scope,
    weights: dict[str, int] | None = None,
    *,
    context_series: str | None = None,
    context_direction: str | None = None,
) -> Ranking:
    """Rank the scope's areas (a forum's or the chosen areas, else every area of the scope's
    layer) by the weighted factors; see the module's docstring for the method."""
    weights = {**DEFAULT_WEIGHTS, **(weights or {})}
    period = scope.period
    comparison = period.shifted_years(1)
    if scope.areas:
        areas = list(scope.areas)
    elif scope.layer is not None:
        areas = list(
            areas_for(user, scope.municipality).filter(layer=scope.layer).defer("geometry")
        )
    else:
        areas = []
    areas.sort(key=lambda a: a.name)
    ids = [a.pk for a in areas]
    notes: list[str] = []

    streams = [s for s in INCIDENT_STREAMS if not scope.streams or s in scope.streams]
    events = _events(user, scope, streams, period) if streams else {}
    before = _events(user, scope, streams, comparison) if streams else {}
    police = _events(user, scope, [Stream.POLICE], period)
    population = _population(user, scope, ids, notes)
    survey, survey_unit, survey_source = _survey(user, scope, ids)
    context = _context(user, scope, areas, population)
    choices = sorted({s for per in context.values() for s in per})
    if context_series is None:
        context_series = default_context_series(choices)
    elif context_series and context_series not in choices:
        raise ScopeError(
            "kontext",
            _("There is no area statistics series “%(series)s” for these areas.")
            % {"series": context_series},
        )
    if context_direction in ("hog", "lag"):
        low_need = context_direction == "lag"
    else:
        low_need = low_is_need(context_series)

    rows: list[AreaScore] = []
    for a in areas:
        cur, prev = events.get(a.pk, 0), before.get(a.pk, 0)
        values = {
            "rate": FactorValue(
                "rate", _per_thousand(events, population, a.pk) if streams else None
            ),
            "trend": FactorValue(
                "trend",
                math.log((cur + 1) / (prev + 1))
                if streams and cur + prev >= MIN_TREND_EVENTS
                else None,
            ),
            "police": FactorValue("police", _per_thousand(police, population, a.pk)),
            "survey": FactorValue("survey", survey.get(a.pk)),
            "context": FactorValue(
                "context",
                context.get(a.pk, {}).get(context_series, (None,))[0] if context_series else None,
            ),
        }
        if a.pk not in population:
            for f in ("rate", "police"):
                values[f].note = _("no population figure")
        if values["trend"].raw is None and streams:
            values["trend"].note = _("fewer than %(n)s events in the two periods") % {
                "n": MIN_TREND_EVENTS
            }
        if values["survey"].raw is None and survey_source:
            values["survey"].note = _("no survey figure (too few responses or not surveyed)")
        rows.append(
            AreaScore(
                area_id=a.pk,
                name=a.name,
                values=values,
                population=population.get(a.pk),
                events=cur,
                police_events=police.get(a.pk, 0),
            )
        )

    units = {
        "rate": _("per 1,000 inhabitants"),
        "trend": _("log ratio"),
        "police": _("per 1,000 inhabitants"),
        "survey": survey_unit,
        "context": next(
            (per[context_series][1] for per in context.values() if context_series in per), ""
        ),
    }
    sources = {
        "rate": _("%(streams)s, %(period)s")
        % {
            "streams": ", ".join(str(Stream(s).label) for s in streams) or "–",
            "period": period.label,
        },
        "trend": _("%(period)s against %(earlier)s")
        % {"period": period.label, "earlier": comparison.label},
        "police": _("Police events, %(period)s") % {"period": period.label},
        "survey": survey_source,
        "context": (
            context_series
            + " ("
            + (
                _("a low value raises the priority")
                if low_need
                else _("a high value raises the priority")
            )
            + ")"
        )
        if context_series
        else "",
    }
    infos = []
    for f in FACTORS:
        present = [r for r in rows if r.values[f].raw is not None]
        raw = [r.values[f].raw for r in present]
        if f == "context" and low_need:
            raw = [-v for v in raw]
        z, mean, sd = standardise(raw)
        for r, zv in zip(present, z, strict=True):
            r.values[f].standardised = zv
        informative = len(set(raw)) > 1
        infos.append(
            FactorInfo(
                key=f,
                label=str(LABELS[f]),
                unit=units[f],
                weight=weights[f],
                source=sources[f],
                mean=(-mean if (f == "context" and low_need and mean is not None) else mean),
                sd=sd,
                informative=informative,
            )
        )
        if weights[f] and not present:
            notes.append(
                _("%(factor)s: no area has a value, so the factor is left out.")
                % {"factor": LABELS[f]}
            )
        elif weights[f] and not informative:
            notes.append(
                _(
                    "%(factor)s: every area has the same value, so the factor does not separate them."
                )
                % {"factor": LABELS[f]}
            )
    if not streams:
        notes.append(
            _("The chosen sources hold no partners' reports, register data or public tips.")
        )
    score_areas(rows, weights)
    partial = [
        r
        for r in rows
        if r.score is not None and any(weights[f] and r.values[f].raw is None for f in FACTORS)
    ]
    if partial:
        notes.append(
            _(
                "%(n)s areas lack a factor; their score is the weighted mean of the factors they "
                "have."
            )
            % {"n": len(partial)}
        )
    return Ranking(
        municipality=scope.municipality.code,
        title=scope.title,
        period=period,
        comparison=comparison,
        layer=scope.layer.name if scope.layer else "",
        weights=weights,
        factors=infos,
        areas=rows,
        context_series=context_series,
        context_low_is_need=low_need,
        context_choices=choices,
        notes=notes,
    )


def last_full_quarter(today: dt.date) -> Period:
    q = (today.month - 1) // 3  # the current quarter's index 0..3
    year, q = (today.year - 1, 4) if q == 0 else (today.year, q)
    return Period.parse(f"{year}-K{q}")


def quarterly_group_ranking(user, forum, today: dt.date, weights=None) -> Ranking:
    """The ranking of a forum's (a trygghetsgrupp's) areas for the last full quarter before
    ``today``, with the default weights unless given (the weekly picture's quarterly choice
    of the areas that most need measures)."""
    query = QueryDict(mutable=True)
    query["forum"] = str(forum.pk)
    query["period"] = last_full_quarter(today).param()
    scope = scope_from_query(user, forum.municipality, query, today=today)
    return rank_areas(user, scope, weights)
