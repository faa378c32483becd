# ruff: noqa: S608
"""DuckDB computing the aggregates of a one-year municipality dashboard from the raw incident
rows (``bench_dashboard.py``): what ``brygga.situation.figures.dashboard`` reads from its rollup,
counted here from the rows themselves with the same rule of what is counted
(``brygga.incidents.rollup_models.COUNTED``)."""

from __future__ import annotations

import datetime as dt
import statistics
import time

COUNTED = (
    "NOT deleted AND NOT is_summary AND NOT county_event AND status <> 'rejected' "
    "AND NOT (source = 'open311' AND status = 'new')"
)
STREAM = (
    "CASE source WHEN 'police' THEN 'police' WHEN 'import' THEN 'register' "
    "WHEN 'open311' THEN 'public' ELSE 'partner' END"
)


def _d(day: dt.date) -> str:
    return f"TIMESTAMP '{day.isoformat()} 00:00:00'"


def _in(a: dt.date, b: dt.date) -> str:
    """ts_local within days a..b (both included)."""
    return f"ts_local >= {_d(a)} AND ts_local < {_d(b + dt.timedelta(days=1))}"


def queries(year: int, municipality_id: int, today: dt.date) -> dict[str, str]:
    """The dashboard's aggregates of ``year`` as SQL over ``incidents``, ``placements`` and
    ``categories``."""
    p = (dt.date(year, 1, 1), dt.date(year, 12, 31))
    prev = (dt.date(year - 1, 1, 1), dt.date(year - 1, 12, 31))
    earlier = [(dt.date(year - k, 1, 1), dt.date(year - k, 12, 31)) for k in (1, 2, 3)]
    base = f"FROM incidents WHERE municipality_id = {municipality_id} AND {COUNTED}"
    both = f"(({_in(*p)}) OR ({_in(*prev)}))"
    which = f"CASE WHEN {_in(*p)} THEN 'now' ELSE 'previous' END"
    filters = ", ".join(
        f"SUM(count) FILTER (WHERE {_in(*q)}) AS {name}"
        for name, q in [("now", p), ("previous", prev)]
        + [(f"earlier{k}", e) for k, e in enumerate(earlier, 1)]
    )
    monday = p[0] - dt.timedelta(days=p[0].weekday())
    first = dt.date(year - 5, 1, 1)
    return {
        # headline: the period, the previous one and the same period three earlier years
        "headline": f"SELECT {filters} {base}",
        # main category (a subcategory counts in its parent), now and previous
        "by_category": (
            f"SELECT COALESCE(c.parent_id, c.id) AS main, {which} AS period, SUM(count) AS events "
            f"FROM incidents i JOIN categories c ON c.id = i.category_id "
            f"WHERE municipality_id = {municipality_id} AND {COUNTED} AND {both} "
            f"GROUP BY 1, 2"
        ),
        "by_area": (
            f"SELECT p.area_id, {which} AS period, SUM(count) AS events "
            f"FROM incidents i JOIN placements p ON p.incident_id = i.id "
            f"WHERE municipality_id = {municipality_id} AND {COUNTED} AND {both} "
            f"GROUP BY 1, 2"
        ),
        "by_stream": f"SELECT {STREAM} AS stream, {which} AS period, SUM(count) {base} "
        f"AND {both} GROUP BY 1, 2",
        "heat": f"SELECT isodow(ts_local) AS weekday, hour(ts_local) AS hour, SUM(count) {base} "
        f"AND {_in(*p)} GROUP BY 1, 2",
        "months": f"SELECT year(ts_local), month(ts_local), SUM(count) {base} "
        f"AND ts_local >= {_d(earlier[-1][0])} AND ts_local < {_d(p[1] + dt.timedelta(days=1))} "
        f"GROUP BY 1, 2",
        # weekly series for the seasonal baseline (5 years back) and the forecast (to today)
        "weekly": f"SELECT date_trunc('week', ts_local) AS week, SUM(count) {base} "
        f"AND ts_local >= {_d(first - dt.timedelta(days=first.weekday()))} "
        f"AND ts_local < {_d(max(today, monday))} GROUP BY 1 ORDER BY 1",
        # reference: police events per municipality, the period and three earlier years
        "reference": f"SELECT municipality_id, year(ts_local), SUM(count) FROM incidents "
        f"WHERE {COUNTED} AND source = 'police' AND ts_local >= {_d(earlier[-1][0])} "
        f"AND ts_local < {_d(p[1] + dt.timedelta(days=1))} GROUP BY 1, 2",
    }


def load(incidents, placements, categories):
    """An in-memory DuckDB with the three tables (not timed)."""
    import duckdb

    con = duckdb.connect(":memory:")
    for name, frame in (
        ("incidents", incidents),
        ("placements", placements),
        ("categories", categories),
    ):
        con.register(f"{name}_frame", frame)
        con.execute(f"CREATE TABLE {name} AS SELECT * FROM {name}_frame")  # noqa: S608
        con.unregister(f"{name}_frame")
    return con


def run(con, sql: dict[str, str]) -> dict[str, list]:
    return {k: con.execute(q).fetchall() for k, q in sql.items()}


def measure(con, sql: dict[str, str], repeat: int) -> dict:
    t0 = time.perf_counter()
    results = run(con, sql)
    cold = time.perf_counter() - t0
    warm = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        run(con, sql)
        warm.append(time.perf_counter() - t0)
    return {"cold": cold, "warm": warm, "warm_median": statistics.median(warm), "results": results}


def check(dashboard, results: dict, categories) -> list[str]:
    """Differences between the dashboard's headline and by-category counts and DuckDB's."""
    out = []
    now, previous, *earlier = results["headline"][0]
    h = dashboard.headline
    pairs = [("headline", h.events, now), ("previous", h.previous.events, previous)]
    pairs += [
        (f"earlier {k}", c.events, e)
        for k, (c, e) in enumerate(zip(h.earlier, earlier, strict=True), 1)
    ]
    for name, ours, theirs in pairs:
        if ours != int(theirs or 0):
            out.append(f"{name}: dashboard {ours}, DuckDB {theirs}")
    code = dict(zip(categories["id"], categories["code"], strict=True))
    duck = {code[m]: int(n) for m, period, n in results["by_category"] if period == "now"}
    ours = {r.key: r.events for r in dashboard.categories.rows if r.events}
    if ours != duck:
        out.append(f"by category: dashboard {sorted(ours.items())}, DuckDB {sorted(duck.items())}")
    duck_area = {int(a): int(n) for a, period, n in results["by_area"] if period == "now"}
    ours_area = {int(r.key): r.events for r in dashboard.areas.rows if r.events}
    if ours_area != duck_area:
        out.append(f"by area: dashboard {ours_area}, DuckDB {duck_area}")
    return out
