"""Reads of the safety survey: waves, and their results with small cells suppressed.

Every page, chart, export, API answer and panel of the app (and the lägesbild, through
:func:`survey_indicators`) reads results from here; respondent rows never leave this module.

**Suppression.** A cell (the municipality, an area, an age group or gender, an area × age group
or gender, an area × question) with fewer respondents than ``settings.BRYGGA_SURVEY_MIN_CELL``
(30) is *suppressed*: the :class:`Cell` handed out holds no n, mean or interval at all
(``n_text`` is "<30"), so no template, export or serializer can show them by mistake. A change
between waves is suppressed when either wave's cell is.

**Complementary suppression.** The municipality's figure is shown, and every respondent of an
area is in it: the respondents the shown areas leave over (the suppressed areas and those
placed in no area) could be "differenced out" — their n exactly, and with equal weights (no
design weight, the common case) their mean as well: ``(N·M − Σ nᵢ·mᵢ) / n_rest``. Design
weights alone do not protect. So each table is checked as a system of sums (municipality =
areas + unplaced; municipality = groups + unlabelled; area = its groups + unlabelled; group =
its areas + unplaced): while some sum leaves a hidden remainder of 1 to 29 respondents, the
smallest shown part of it is suppressed too; and a total hidden this way must not be the sum
of its shown parts plus fewer than 30. Any remainder that can be worked out then covers at
least 30 respondents, like any published cell (the usual heuristic of statistical offices; it
does not search every linear combination of a table). Respondents placed in no area are never a
cell of their own.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Q, QuerySet

from brygga.analysis.surveys import WeightedEstimate, difference
from brygga.core.models import Area, Municipality

from .models import SurveyWave
from .results import DIMENSIONS, UNPLACED, Figures, RawWave, compute_wave

DIGITS = 2  # published means and limits are rounded to this many decimals


def min_cell() -> int:
    return max(1, int(getattr(settings, "BRYGGA_SURVEY_MIN_CELL", 30)))


# --- the published shapes ----------------------------------------------------------------------
@dataclass(frozen=True)
class Cell:
    """One published estimate. Suppressed: only ``suppressed`` and ``limit`` are set."""

    suppressed: bool
    limit: int
    n: int | None = None
    n_eff: float | None = None
    mean: float | None = None
    low: float | None = None
    high: float | None = None

    @property
    def n_text(self) -> str:
        return f"<{self.limit}" if self.suppressed else str(self.n)

    def as_dict(self) -> dict:
        return {
            "suppressed": self.suppressed,
            "n": self.n_text if self.suppressed else self.n,
            "mean": self.mean,
            "low": self.low,
            "high": self.high,
        }


@dataclass(frozen=True)
class Change:
    """The change from the previous wave (``later − earlier``, its 95 % interval and whether
    the interval excludes 0). Suppressed: only ``previous_year`` and ``suppressed`` are set."""

    previous_year: int
    suppressed: bool
    change: float | None = None
    low: float | None = None
    high: float | None = None
    clear: bool | None = None

    def as_dict(self) -> dict:
        return {
            "previous_year": self.previous_year,
            "suppressed": self.suppressed,
            "change": self.change,
            "low": self.low,
            "high": self.high,
            "clear": self.clear,
        }


@dataclass
class AreaRow:
    area_id: int
    name: str
    cell: Cell
    change: Change | None = None


@dataclass
class GroupTable:
    """A breakdown (age group or gender) of an index: the municipality's cell per group and
    each area's."""

    dimension: str
    labels: list[str]
    municipality: dict[str, Cell]
    areas: list[tuple[AreaRow, dict[str, Cell]]]


@dataclass
class IndexResult:
    code: str
    name: str
    description: str
    percent: bool
    municipality: Cell
    municipality_change: Change | None
    areas: list[AreaRow]
    groups: dict[str, GroupTable] = field(default_factory=dict)

    @property
    def unit(self) -> str:
        return "%" if self.percent else "0–10"


@dataclass
class WaveResults:
    wave: SurveyWave
    previous: SurveyWave | None
    limit: int
    indices: list[IndexResult]

    def index(self, code: str) -> IndexResult | None:
        return next((i for i in self.indices if i.code == code), None)


@dataclass
class ItemRow:
    code: str
    text: str
    topic: str
    worse_labels: list[str]
    share: Cell  # per cent answering at the worse half of the scale
    mean: Cell  # mean answer on the question's own scale
    municipality_share: Cell
    stands_out: bool  # the area's interval lies wholly above the municipality's share


# --- suppression -------------------------------------------------------------------------------
def _n(e: WeightedEstimate | None) -> int:
    return e.n if e is not None else 0


def _cells_and_sums(fig: Figures, groups: bool):
    """The cells of a measure (key → n) and the sums that tie them (total key, part keys)."""
    n = {("m",): _n(fig.municipality)}
    for aid, e in fig.areas.items():
        n[("a", aid)] = _n(e)
    sums = [(("m",), [("a", aid) for aid in fig.areas])]
    if groups:
        for dim in DIMENSIONS:
            labels = list(fig.groups.get(dim, {}))
            for g, e in fig.groups.get(dim, {}).items():
                n[("g", dim, g)] = _n(e)
            for (aid, g), e in fig.area_groups.get(dim, {}).items():
                n[("ag", dim, aid, g)] = _n(e)
            if labels:
                sums.append((("m",), [("g", dim, g) for g in labels]))
            for aid in fig.areas:
                parts = [("ag", dim, aid, g) for g in labels if ("ag", dim, aid, g) in n]
                sums.append((("a", aid), parts))
            for g in labels:
                parts = [("ag", dim, aid, g) for aid in fig.areas if ("ag", dim, aid, g) in n]
                sums.append((("g", dim, g), parts))
    return n, sums


def protected(fig: Figures, limit: int, *, groups: bool = True) -> set:
    """The keys of the cells of ``fig`` that may be shown (see the module docstring)."""
    n, sums = _cells_and_sums(fig, groups)
    shown = {key for key, count in n.items() if count >= limit}
    changed = True
    while changed:
        changed = False
        for total, parts in sums:
            rest = n[total] - sum(n[p] for p in parts if p in shown)
            candidates = sorted((n[p], p) for p in parts if p in shown and n[p] > 0)
            if total in shown:
                leaks = 0 < rest < limit  # the hidden remainder could be worked out
                victim = candidates[0][1] if candidates else total
            else:
                # a hidden total must not be the sum of what is shown plus a little
                leaks = rest < limit and bool(candidates)
                victim = candidates[0][1] if candidates else None
            if leaks and victim is not None:
                shown.discard(victim)
                changed = True
    return shown


def _num(value: float) -> float | None:
    return round(value, DIGITS) if value is not None and math.isfinite(value) else None


def cell(
    e: WeightedEstimate | None, shown: bool, limit: int, bounds: tuple[float, float] | None = None
) -> Cell:
    """The published form of an estimate; ``bounds``: the ends of the scale (0–10, 0–100 %),
    to which the interval's limits are clipped (a t interval of a share near 100 % can reach
    past it)."""
    if e is None or not shown:
        return Cell(suppressed=True, limit=limit)
    low, high = e.low, e.high
    if bounds is not None and math.isfinite(low) and math.isfinite(high):
        low, high = max(bounds[0], low), min(bounds[1], high)
    return Cell(
        suppressed=False,
        limit=limit,
        n=e.n,
        n_eff=_num(e.n_eff),
        mean=_num(e.mean),
        low=_num(low),
        high=_num(high),
    )


def change(later, earlier, later_shown, earlier_shown, previous_year) -> Change:
    if later is None or earlier is None or not later_shown or not earlier_shown:
        return Change(previous_year=previous_year, suppressed=True)
    d = difference(later, earlier)
    return Change(
        previous_year=previous_year,
        suppressed=False,
        change=_num(d.change),
        low=_num(d.low),
        high=_num(d.high),
        clear=d.clear,
    )


def _chg(key, later, earlier, shown, pshown, previous) -> Change | None:
    if previous is None:
        return None
    return change(later, earlier, key in shown, key in pshown, previous.year)


# --- waves -------------------------------------------------------------------------------------
def waves_for(user, municipality: Municipality) -> QuerySet[SurveyWave]:
    qs = SurveyWave.objects.filter(municipality=municipality)
    return qs.visible_to(user) if user is not None else qs


def wave_for(user, municipality: Municipality, year: int) -> SurveyWave | None:
    return waves_for(user, municipality).filter(year=year).select_related("layer").first()


def previous_wave(user, wave: SurveyWave) -> SurveyWave | None:
    """The latest earlier wave of the same municipality that has responses."""
    return (
        waves_for(user, wave.municipality)
        .filter(year__lt=wave.year, responses__gt=0)
        .order_by("-year")
        .first()
    )


def _areas(user, wave: SurveyWave, raw: RawWave) -> list[Area]:
    ids = set(raw.area_ids)
    qs = Area.objects.filter(municipality_id=wave.municipality_id)
    if user is not None:
        qs = qs.visible_to(user)
    if wave.layer_id:
        qs = qs.filter(Q(pk__in=ids) | Q(layer_id=wave.layer_id))
    else:
        qs = qs.filter(pk__in=ids)
    return list(qs.order_by("name"))


_MEMO: dict[tuple, RawWave] = {}
MEMO_SIZE = 16


def _computed(wave: SurveyWave) -> RawWave:
    """``compute_wave``, remembered in the process per (wave, imported_at): a re-import
    changes ``imported_at``. Kept in memory only (the figures hold the small cells, so they
    are not put in the shared database cache)."""
    if wave.imported_at is None:
        return compute_wave(wave)
    key = (wave.municipality_id, wave.pk, wave.imported_at.isoformat(), wave.responses)
    raw = _MEMO.get(key)
    if raw is None:
        if len(_MEMO) >= MEMO_SIZE:
            _MEMO.pop(next(iter(_MEMO)))
        raw = _MEMO[key] = compute_wave(wave)
    return raw


def wave_results(wave: SurveyWave, *, user=None, areas=None, groups: bool = True) -> WaveResults:
    """Every index of ``wave``: the municipality, each area (``areas``: only these), the
    breakdowns by age group and gender, and the change from the previous wave — suppressed."""
    limit = min_cell()
    raw = _computed(wave)
    previous = previous_wave(user, wave)
    praw = _computed(previous) if previous is not None else None
    area_list = _areas(user, wave, raw)
    if areas is not None:
        wanted = {a.pk if hasattr(a, "pk") else int(a) for a in areas}
        area_list = [a for a in area_list if a.pk in wanted]
    out = []
    for info in raw.indices:
        bounds = (0.0, 100.0) if info.percent else (0.0, 10.0)
        fig = raw.index_figures.get(info.code) or Figures(municipality=None)
        shown = protected(fig, limit, groups=groups)
        pfig = praw.index_figures.get(info.code) if praw is not None else None
        pshown = protected(pfig, limit, groups=groups) if pfig is not None else set()

        rows = []
        for area in area_list:
            e = fig.areas.get(area.pk)
            rows.append(
                AreaRow(
                    area_id=area.pk,
                    name=area.name,
                    cell=cell(e, ("a", area.pk) in shown, limit, bounds),
                    change=_chg(
                        ("a", area.pk),
                        e,
                        pfig.areas.get(area.pk) if pfig else None,
                        shown,
                        pshown,
                        previous if pfig is not None else None,
                    ),
                )
            )
        result = IndexResult(
            code=info.code,
            name=info.name,
            description=info.description,
            percent=info.percent,
            municipality=cell(fig.municipality, ("m",) in shown, limit, bounds),
            municipality_change=_chg(
                ("m",),
                fig.municipality,
                pfig.municipality if pfig else None,
                shown,
                pshown,
                previous if pfig is not None else None,
            ),
            areas=rows,
        )
        if groups:
            for dim in DIMENSIONS:
                labels = sorted(fig.groups.get(dim, {}))
                if not labels:
                    continue
                result.groups[dim] = GroupTable(
                    dimension=dim,
                    labels=labels,
                    municipality={
                        g: cell(fig.groups[dim][g], ("g", dim, g) in shown, limit, bounds)
                        for g in labels
                    },
                    areas=[
                        (
                            row,
                            {
                                g: cell(
                                    fig.area_groups[dim].get((row.area_id, g)),
                                    ("ag", dim, row.area_id, g) in shown,
                                    limit,
                                    bounds,
                                )
                                for g in labels
                            },
                        )
                        for row in rows
                    ],
                )
        out.append(result)
    return WaveResults(wave=wave, previous=previous, limit=limit, indices=out)


def area_profile(wave: SurveyWave, area: Area) -> list[ItemRow]:
    """The questions of ``wave`` for ``area``: the share answering at the worse half of each
    scale and the mean answer, the municipality's share beside it, and whether the area stands
    out (its interval wholly above the municipality's share) — suppressed as everywhere."""
    limit = min_cell()
    raw = _computed(wave)
    items = []
    for q in raw.questions:
        share = raw.share_figures.get(q.code)
        mean = raw.mean_figures.get(q.code)
        if share is None:
            continue
        shown = protected(share, limit, groups=False)
        s = cell(share.areas.get(area.pk), ("a", area.pk) in shown, limit, (0.0, 100.0))
        m_share = cell(share.municipality, ("m",) in shown, limit, (0.0, 100.0))
        items.append(
            ItemRow(
                code=q.code,
                text=q.text,
                topic=q.topic,
                worse_labels=q.worse_labels,
                share=s,
                mean=cell(mean.areas.get(area.pk), ("a", area.pk) in shown, limit),
                municipality_share=m_share,
                stands_out=bool(
                    not s.suppressed
                    and not m_share.suppressed
                    and s.low is not None
                    and s.low > m_share.mean
                ),
            )
        )
    return items


def area_trend(user, municipality: Municipality, area: Area) -> list[dict]:
    """The indices of ``area`` over every wave with responses, oldest first: ``[{"code",
    "name", "percent", "points": [(year, Cell)]}]`` by index code."""
    by_code: dict[str, dict] = {}
    for wave in waves_for(user, municipality).filter(responses__gt=0).order_by("year"):
        results = wave_results(wave, user=user, areas=[area], groups=False)
        for index in results.indices:
            entry = by_code.setdefault(
                index.code,
                {"code": index.code, "name": index.name, "percent": index.percent, "points": []},
            )
            row = index.areas[0] if index.areas else None
            entry["points"].append(
                (wave.year, row.cell if row else Cell(suppressed=True, limit=results.limit))
            )
    return list(by_code.values())


# --- for the rest of Brygga ----------------------------------------------------------------------
def survey_indicators(municipality: Municipality, year: int, areas=None, *, user=None) -> dict:
    """The survey's indices of ``year`` for the lägesbild (and the API), small cells suppressed.

    Args:
        municipality: the municipality.
        year: the wave's year.
        areas: Areas (or area ids) to include, or None for every area of the wave.
        user: when given, the wave and the areas are read through the resolver (a user who
            may not see the municipality gets the empty answer).

    Returns:
        ``{}`` when there is no such wave (or no responses), else::

            {
              "year": 2025, "wave": <wave id>, "name": "...", "previous_year": 2024 | None,
              "min_cell": 30,
              "indices": [{"code": "problemindex", "name": "Problemindex",
                           "unit": "0–10" | "%"}],
              "municipality": {code: ESTIMATE},
              "areas": {area_id: {"name": "Centrum", "indices": {code: ESTIMATE}}},
            }

        where ESTIMATE is ``{"suppressed": bool, "n": int | "<30", "mean", "low", "high"
        (floats rounded to 2 decimals, None when suppressed), "change": CHANGE | None}`` and
        CHANGE (None without a previous wave) is ``{"previous_year", "suppressed", "change",
        "low", "high", "clear"}`` — ``clear`` when the 95 % interval of the change excludes 0.
    """
    wave = wave_for(user, municipality, year)
    if wave is None or not wave.responses:
        return {}
    results = wave_results(wave, user=user, areas=areas, groups=False)
    return results_dict(results)


def _estimate(c: Cell, ch: Change | None) -> dict:
    return {**c.as_dict(), "change": ch.as_dict() if ch is not None else None}


def results_dict(results: WaveResults) -> dict:
    """:func:`survey_indicators`' structure of a :class:`WaveResults`."""
    wave = results.wave
    out = {
        "year": wave.year,
        "wave": wave.pk,
        "name": wave.name,
        "previous_year": results.previous.year if results.previous else None,
        "min_cell": results.limit,
        "indices": [{"code": i.code, "name": i.name, "unit": i.unit} for i in results.indices],
        "municipality": {
            i.code: _estimate(i.municipality, i.municipality_change) for i in results.indices
        },
        "areas": {},
    }
    for index in results.indices:
        for row in index.areas:
            entry = out["areas"].setdefault(row.area_id, {"name": row.name, "indices": {}})
            entry["indices"][index.code] = _estimate(row.cell, row.change)
    return out


def export_rows(results: WaveResults) -> list[dict]:
    """The aggregated results of a wave as rows for CSV/XLSX (never respondent rows): one per
    index × (municipality | area | group | area × group)."""
    rows = []
    prev = results.previous.year if results.previous else None

    def row(index, level, area, group_kind, group, c: Cell, ch: Change | None):
        rows.append(
            {
                "year": results.wave.year,
                "index": index.code,
                "index_name": index.name,
                "unit": index.unit,
                "level": level,
                "area": area,
                "group_kind": group_kind,
                "group": group,
                "n": c.n_text,
                "mean": c.mean,
                "low": c.low,
                "high": c.high,
                "suppressed": c.suppressed,
                "previous_year": prev if ch is not None else None,
                "change": ch.change if ch else None,
                "change_low": ch.low if ch else None,
                "change_high": ch.high if ch else None,
                "clear_change": ch.clear if ch else None,
            }
        )

    for index in results.indices:
        row(index, "municipality", "", "", "", index.municipality, index.municipality_change)
        for r in index.areas:
            row(index, "area", r.name, "", "", r.cell, r.change)
        for dim, table in index.groups.items():
            for g in table.labels:
                row(index, "municipality", "", dim, g, table.municipality[g], None)
            for r, cells in table.areas:
                for g in table.labels:
                    row(index, "area", r.name, dim, g, cells[g], None)
    return rows


__all__ = [
    "UNPLACED",
    "AreaRow",
    "Cell",
    "Change",
    "IndexResult",
    "ItemRow",
    "WaveResults",
    "area_profile",
    "area_trend",
    "export_rows",
    "min_cell",
    "previous_wave",
    "protected",
    "results_dict",
    "survey_indicators",
    "wave_for",
    "wave_results",
    "waves_for",
]
