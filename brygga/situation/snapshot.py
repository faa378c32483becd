"""The frozen content of a lägesbild: every figure, table, chart and generated paragraph of a
report computed once from its stored scope, as JSON-safe data keyed by section
(``models.SECTION_KEYS``), plus ``meta`` (title, period, audience, the headline figures).

For audiences without need-to-know (``audiences.need_to_know``) every count column is
protected (``audiences.protect_line`` / ``protect_table``): a hidden cell is the string "<k",
the share, change and rate computed from it are hidden too (``None``), a total the helper marks
is hidden, the charts are drawn from the protected numbers (a hidden bar is not drawn) and the
free-text observations (the "other" section's text) are left out, and so are the priority
scores (``_protect_ranking``: with the populations they give a hidden count back). Nothing at point level is
stored: only the areas' and the aggregated cells' figures.

The crime section's ``maps`` holds the map of the scope's areas (``map_svg``: a choropleth of
the protected area counts with the Gi* hot-spot classes over it, SVG markup); its ``charts``
the bar charts, the month profile and the weeks against the baseline (left out when a week's
count is hidden). Every section has ``maps`` (empty but for the crime section).
"""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import numpy as np
from django.http import QueryDict
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from . import audiences, charts, exports, figures, map_svg, paragraphs
from .charts_trend import TrendChart
from .models import SECTION_KEYS, SECTIONS
from .ranking import rank_areas
from .scope import Period, Scope, ScopeError, scope_from_query

# the count columns of the tables that are protected for audiences without need-to-know:
# table key → (count columns, each protected as a line; columns derived from a row's counts)
PROTECTED = {
    "kategorier": (
        ["events", "previous_period"],
        ["share_percent", "change_percent", "change_text", "rate_per_1000", "rate_low", "rate_high"],
    ),
    "omraden": (
        ["events", "previous_period"],
        ["share_percent", "change_percent", "change_text", "rate_per_1000", "rate_low", "rate_high"],
    ),
    "kallor": (
        ["events", "previous_period"],
        ["share_percent", "change_percent", "change_text", "rate_per_1000", "rate_low", "rate_high"],
    ),
    "veckor": (["events"], []),
    "prioriteringar": (["events", "police_events"], []),
}  # fmt: skip
# columns that hold counts in any table (the tests look for small numbers in these)
COUNT_COLUMNS = ("events", "previous_period", "police_events", "total")


def _period_param(report) -> str:
    stored = (report.scope or {}).get("period")
    if stored:
        try:
            p = Period.parse(str(stored))
        except ScopeError:
            p = None
        if p and (p.start, p.end) == (report.period_start, report.period_end):
            return p.param()
    return f"{report.period_start.isoformat()}..{report.period_end.isoformat()}"


def report_query(report) -> QueryDict:
    """The report's stored dashboard parameters with the report's period."""
    q = QueryDict(mutable=True)
    for key, value in (report.scope or {}).items():
        if key == "period":
            continue
        values = value if isinstance(value, list) else [value]
        q.setlist(key, [str(v) for v in values if v not in (None, "")])
    q["period"] = _period_param(report)
    return q


def report_scope(user, report) -> Scope:
    """The :class:`Scope` of a report (raises ``ScopeError`` if it no longer resolves)."""
    return scope_from_query(user, report.municipality, report_query(report))


# --- protection ---------------------------------------------------------------------------------
def _table_dict(t: exports.Table) -> dict:
    return {"key": t.key, "title": str(t.title), "columns": list(t.columns), "rows": t.rows}


def _hide_column(table: dict, col: str, derived: list[str], k: int) -> set[int]:
    """Protect one count column as a line; returns the indexes of the hidden rows."""
    i = table["columns"].index(col)
    rows = table["rows"]
    values = [int(r[i] or 0) for r in rows]
    if not values:
        return set()
    prot = audiences.protect_line(values, k)
    hidden = {j for j, h in enumerate(prot.hidden) if h}
    for j in hidden:
        rows[j][i] = audiences.hidden_label(k)
        for c in derived:
            if c in table["columns"]:
                rows[j][table["columns"].index(c)] = None
    return hidden


def _protect_summary(table: dict, k: int) -> bool:
    """Each period's events on their own (no shown total adds them): hide a small count, and
    the change against it; returns whether this period's events are hidden."""
    cols = table["columns"]
    ev, pct, txt = cols.index("events"), cols.index("change_percent"), cols.index("change_text")
    rows = table["rows"]
    own_hidden = rows[0][ev] < k
    for j, row in enumerate(rows):
        small = row[ev] < k
        if small:
            row[ev] = audiences.hidden_label(k)
        if j and (small or own_hidden):
            row[pct] = row[txt] = None
    if own_hidden:
        for c in exports.RATE_COLUMNS[1:]:
            rows[0][cols.index(c)] = None
    return own_hidden


def _protect_heat(table: dict, k: int) -> None:
    rows = table["rows"]
    matrix = [[int(v) for v in r[1:25]] for r in rows]
    prot = audiences.protect_table(matrix, k)
    # the weekdays' totals add up to the shown headline: complete them as a line too
    totals = [sum(r) for r in matrix]
    rows_hidden, _all = audiences.complete_line(
        np.asarray(totals, dtype=np.int64), np.asarray(prot.total_hidden[0], dtype=bool), k
    )
    for i, r in enumerate(rows):
        for h in range(24):
            if prot.hidden[i][h]:
                r[1 + h] = audiences.hidden_label(k)
        if rows_hidden[i]:
            r[25] = audiences.hidden_label(k)


def _protect_months(table: dict, k: int) -> None:
    cols, rows = table["columns"], table["rows"]
    if not rows:
        return
    year_cols = [c for c in cols if c.startswith("events")]
    for c in year_cols:
        hidden = _hide_column(table, c, [], k)
        if c != "events" and hidden:
            mean = cols.index("earlier_years_mean")
            for j in hidden:
                rows[j][mean] = None


def _protect_reference(table: dict, k: int) -> None:
    cols = table["columns"]
    for row in table["rows"]:
        if row[cols.index("events")] < k:
            row[cols.index("events")] = audiences.hidden_label(k)
            for c in ("rate", "lower", "upper"):
                row[cols.index(c)] = None


def _protect_ranking(table: dict | None) -> None:
    """The priority score is a weighted sum of z-scores over the areas: with the areas' shown
    rates and their (public) populations, the scores give a hidden area's rate, and so its
    count, back. For the protected audiences the ranks and the driving factors are shown,
    not the scores."""
    if table is None:
        return
    i = table["columns"].index("score")
    for row in table["rows"]:
        row[i] = None


def protect(tables: dict[str, dict], k: int) -> paragraphs.Hidden:
    """Protect the tables in place; returns what the paragraphs must not state."""
    hidden_rows: dict[str, set] = {}
    for key, (count_cols, derived) in PROTECTED.items():
        t = tables.get(key)
        if t is None:
            continue
        hidden_rows[key] = set()
        for c in count_cols:
            h = _hide_column(t, c, derived, k)
            if c in ("events", "previous_period"):
                hidden_rows[key] |= h
    headline = _protect_summary(tables["sammanfattning"], k)
    _protect_heat(tables["veckodag-timme"], k)
    _protect_months(tables["manader"], k)
    _protect_reference(tables["jamforelse"], k)
    _protect_ranking(tables.get("prioriteringar"))

    def keys(table_key: str, col: str) -> frozenset:
        t = tables.get(table_key)
        if t is None:
            return frozenset()
        i = t["columns"].index(col)
        return frozenset(str(t["rows"][j][i]) for j in hidden_rows.get(table_key, ()))

    return paragraphs.Hidden(
        k=k,
        headline=headline,
        categories=keys("kategorier", "key"),
        areas=keys("omraden", "key"),
        weeks=keys("veckor", "week_start"),
    )


# --- charts -------------------------------------------------------------------------------------
def _shown(value):
    return value if isinstance(value, int | float) else None


def _bar_chart(table: dict, chart_id: str, title: str, limit: int = 15) -> str:
    cols = table["columns"]
    rows = table["rows"][:limit]
    if not rows:
        return ""
    name, ev, prev = cols.index("name"), cols.index("events"), cols.index("previous_period")
    chart = charts.HBarChart(
        labels=[str(r[name]) for r in rows],
        series=[
            (_("This period"), [_shown(r[ev]) for r in rows]),
            (_("Previous period"), [_shown(r[prev]) for r in rows]),
        ],
    )
    return render_to_string(
        "situation/_chart_hbar.html",
        {
            "chart": chart,
            "chart_id": chart_id,
            "chart_title": title,
            "chart_desc": _(
                "Events this period and the previous period; the numbers are in the table "
                "below. A hidden count is not drawn."
            ),
        },
    )


def _month_chart(table: dict) -> str:
    cols, rows = table["columns"], table["rows"]
    ev, mean = cols.index("events"), cols.index("earlier_years_mean")
    if not rows or any(not isinstance(r[ev], int) for r in rows):
        return ""  # a hidden month: the chart would show it
    several = len({r[0] for r in rows}) > 1
    chart = charts.MonthChart(
        labels=[f"{r[1]}/{str(r[0])[2:]}" if several else str(r[1]) for r in rows],
        values=[r[ev] for r in rows],
        mean=[_shown(r[mean]) for r in rows],
    )
    return render_to_string(
        "situation/_chart_months.html",
        {
            "chart": chart,
            "chart_id": "report-months",
            "chart_title": _("Events per month"),
            "chart_desc": _("Events per month as bars, the mean of the earlier years as a line."),
        },
    )


def _week_chart(table: dict) -> str:
    """The period's weeks against the baseline (``charts_trend.TrendChart``) from the "veckor"
    table; "" when a week's count is hidden (the line would show it) or there are no weeks."""
    cols, rows = table["columns"], table["rows"]
    if not rows or any(not isinstance(r[cols.index("events")], int) for r in rows):
        return ""

    def week(r):
        v = dict(zip(cols, r, strict=True))
        return SimpleNamespace(
            week=v["week"],
            observed=v["events"],
            expected=v["expected"],
            lower=v["lower"],
            upper=v["upper"],
            flagged=bool(
                v["cusum"]
                or v["ewma"]
                or (v["upper"] is not None and v["events"] > v["upper"])
                or (v["lower"] is not None and v["events"] < v["lower"])
            ),
        )

    chart = TrendChart(SimpleNamespace(weeks=[week(r) for r in rows]))
    return render_to_string(
        "situation/_chart_weeks.html",
        {
            "chart": chart,
            "chart_id": "report-weeks",
            "chart_title": _("Events per week against the expected number"),
            "chart_desc": _(
                "Observed events per week as a line, the expected number from earlier years as a "
                "short line with its 95-percent prediction interval as a band; flagged weeks are "
                "marked. The numbers are in the table below."
            ),
        },
    )


# --- the ranking --------------------------------------------------------------------------------
def _ranking_table(ranking) -> dict:
    return {
        "key": "prioriteringar",
        "title": _("Priority areas"),
        "columns": ["rank", "area", "score", "drivers", "events", "police_events", "population"],
        "rows": [
            [
                a.rank,
                a.name,
                None if a.score is None else round(a.score, 3),
                ", ".join(str(ranking.factor(f).label) for f in a.drivers),
                a.events,
                a.police_events,
                a.population,
            ]
            for a in ranking.areas
        ],
    }


# --- everything ---------------------------------------------------------------------------------
SECTION_TABLES = {
    "summary": ["sammanfattning"],
    "crime": ["kategorier", "omraden", "kallor", "veckodag-timme", "manader", "veckor"],
    "insecurity": ["trygghet"],
    "other": ["omradesfakta"],
    "analysis": ["prognos", "jamforelse"],
    "priorities": ["prioriteringar"],
    "sources": [],
}


def build_snapshot(user, report) -> dict:
    """Everything the report shows, for ``user`` (its writer), as JSON-safe data."""
    scope = report_scope(user, report)
    d = figures.dashboard(user, scope)
    ranking = None
    if scope.areas or scope.layer is not None:
        ranking = rank_areas(user, scope, report.ranking_weights or None)
    tables = {t.key: _table_dict(t) for t in exports.tables(d)}
    if ranking is not None:
        tables["prioriteringar"] = _ranking_table(ranking)
    protected = not audiences.need_to_know(report.audience)
    k = audiences.min_count() if protected else 0
    hidden = protect(tables, k) if protected else paragraphs.Hidden()
    generated = paragraphs.for_sections(d, ranking, hidden)
    chart_markup = {
        "summary": [],
        "crime": [
            c
            for c in (
                _bar_chart(tables["kategorier"], "report-categories", _("Events by category")),
                _bar_chart(tables["omraden"], "report-areas", _("Events by area")),
                _bar_chart(tables["kallor"], "report-sources", _("Events by source")),
                _month_chart(tables["manader"]),
                _week_chart(tables["veckor"]),
            )
            if c
        ],
    }
    area_map = map_svg.report_map(user, scope, tables.get("omraden"), k=k or None)
    map_markup = {"crime": [area_map] if area_map else []}
    sections = {}
    for key, label in SECTIONS:
        text = (report.texts or {}).get(key, "")
        if protected and key == "other":
            text = ""  # free-text observations stay with the partners
        sections[key] = {
            "title": str(label),
            "text": text,
            "paragraphs": [str(p) for p in generated.get(key, [])],
            "tables": [tables[t] for t in SECTION_TABLES[key] if t in tables],
            "charts": chart_markup.get(key, []),
            "maps": map_markup.get(key, []),
        }
    h = tables["sammanfattning"]["rows"][0]
    cols = tables["sammanfattning"]["columns"]
    meta = {
        "title": report.title,
        "municipality": report.municipality.code,
        "scope_title": scope.title,
        "period": {
            "start": scope.period.start.isoformat(),
            "end": scope.period.end.isoformat(),
            "label": str(scope.period.label),
        },
        "audience": report.audience,
        "audience_label": str(report.get_audience_display()),
        "min_count": k or None,
        "version": report.version,
        "computed_at": timezone.now().isoformat(),
        "headline": {
            "events": h[cols.index("events")],
            "rate_per_1000": h[cols.index("rate_per_1000")],
            "previous_events": tables["sammanfattning"]["rows"][1][cols.index("events")],
            "change_text": tables["sammanfattning"]["rows"][1][cols.index("change_text")],
        },
    }
    return _json_safe({"meta": meta, **{key: sections[key] for key in SECTION_KEYS}})


def _json_safe(value):
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return value if value == value and abs(value) != float("inf") else None
    if hasattr(value, "item"):  # numpy scalars
        return _json_safe(value.item())
    if value is None or isinstance(value, bool | int | str):
        return value
    return str(value)
