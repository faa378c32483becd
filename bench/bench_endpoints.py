"""Latency of the incident list and map endpoints with 1,000,000 vs 10,000 incidents.

For each database (SQLite, and PostgreSQL when its binaries are found) the script

1. migrates a fresh database and loads the demo municipality's organisations, areas, forums
   and users (``load_demo``: Sundsvall with 13 areas, no incidents);
2. copies it twice and fills one copy with N_small (10,000) and the other with N_large
   (1,000,000) generated incidents of Sundsvall (bare driver inserts, not timed): three years
   up to today, most of them around a few places in town, 8 % placed only in an area, a mix of
   categories, sources, statuses, reporting organisations, organisation-only rows and rows
   with personal data, plus county-level police events; then ``ANALYZE``;
3. in a fresh process per database, signs in as the demo analyst (web pages and API go through
   the same resolver, middleware and templates as in production: ``django.test.Client``
   against the WSGI handler, DEBUG off) and times each endpoint: 3 warm-up requests, then the
   median of 15;
4. reports, per endpoint, the median at 10k and at 1M and the ratio (goal <= 2).

Usage::

    python bench/bench_endpoints.py                   # 10k vs 1M, SQLite and PostgreSQL
    python bench/bench_endpoints.py --large 100000    # smaller
    python bench/bench_endpoints.py --only sqlite

Writes bench/results/endpoints.json and .md and the ENDPOINTS section of bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.bench_import import backends, machine, run_child  # noqa: E402

RESULTS = ROOT / "bench" / "results"
README = ROOT / "bench" / "README.md"
GOAL = 2.0
SEED = 20261123
CHUNK = 20_000
WARMUP = 3
REPEAT = 15
USER = "analytiker"


def _django() -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "brygga.config.settings.base"
    os.environ.setdefault("ALLOWED_HOSTS", "testserver")
    import django

    django.setup()


def _child(case: str, database_url: str, *args: str) -> dict:
    return run_child(__file__, case, database_url, *args)


# --- children -------------------------------------------------------------------------------
def child_setup(args) -> None:
    _django()
    from brygga.core.demo import load_demo

    load_demo()
    print(json.dumps({"ok": True}))


def child_fill(args) -> None:
    """Insert ``args.rows`` generated incidents of Sundsvall and ``args.other`` of other
    municipalities with the bare driver call (not timed)."""
    _django()
    import datetime as dt

    import numpy as np
    import shapely
    from django.db import connection, transaction
    from django.utils import timezone
    from shapely.geometry import shape

    from brygga.core.geo import wgs84_to_sweref
    from brygga.core.models import Area, Membership, Municipality, Organisation
    from brygga.incidents.models import Category, Incident

    rng = np.random.default_rng(SEED)
    n, n_other = args.rows, args.other
    m = Municipality.objects.get(code="2281")
    areas = list(Area.objects.filter(municipality=m))
    orgs = list(
        Organisation.objects.filter(
            pk__in=Membership.objects.filter(municipality=m).values("organisation_id")
        ).values_list("pk", flat=True)
    ) or list(Organisation.objects.values_list("pk", flat=True))
    cats = list(Category.objects.filter(municipality__isnull=True).values_list("pk", flat=True))
    now = timezone.now()
    span = 3 * 365 * 86400

    # Sundsvall: around the areas' centres (hot spots), 8 % placed only in an area
    centres = np.array([shape(a.geometry).representative_point().coords[0] for a in areas])
    geoms = [shape(a.geometry) for a in areas]
    for g in geoms:
        shapely.prepare(g)
    hot = rng.choice(len(centres), size=n)
    lon = centres[hot, 0] + rng.normal(0, 0.01, n)
    lat = centres[hot, 1] + rng.normal(0, 0.005, n)
    area_idx = np.full(n, -1)
    points = shapely.points(lon, lat)
    for i, g in enumerate(geoms):
        area_idx[shapely.contains(g, points) & (area_idx < 0)] = i
    has_point = rng.random(n) >= 0.08
    area_idx = np.where(area_idx < 0, np.where(has_point, -1, hot), area_idx)
    e, nn = wgs84_to_sweref(lon, lat)
    occurred = [now - dt.timedelta(seconds=int(x)) for x in rng.integers(0, span, n)]
    source = rng.choice(
        ["manual", "import", "api", "open311", "police"], size=n, p=[0.55, 0.25, 0.05, 0.05, 0.1]
    )
    status = rng.choice(["new", "reviewed", "rejected"], size=n, p=[0.3, 0.67, 0.03])
    visibility = rng.choice(["shared", "organisation"], size=n, p=[0.95, 0.05])
    personal = rng.random(n) < 0.02
    cat = rng.choice(cats, size=n)
    org = rng.choice(orgs, size=n)
    count = np.where(rng.random(n) < 0.05, rng.integers(2, 20, n), 1)
    county_rows = max(1, n // 100)  # county-level police events (no municipality, no point)

    # other municipalities: around their centres, imported, no areas
    others = list(
        Municipality.objects.exclude(pk=m.pk).values_list(
            "pk", "county_id", "centre_lat", "centre_lon"
        )
    )
    o_pick = rng.integers(0, len(others), n_other)
    o_lat = np.array([others[k][2] for k in o_pick]) + rng.normal(0, 0.02, n_other)
    o_lon = np.array([others[k][3] for k in o_pick]) + rng.normal(0, 0.04, n_other)
    o_e, o_n = wgs84_to_sweref(o_lon, o_lat)
    o_when = [now - dt.timedelta(seconds=int(x)) for x in rng.integers(0, span, n_other)]
    o_cat = rng.choice(cats, size=n_other)

    columns = [f for f in Incident._meta.concrete_fields if not f.primary_key]
    names = [f.column for f in columns]
    base = {
        "created_at": now,
        "updated_at": now,
        "occurred_to": None,
        "place_description": "",
        "reported_by_id": None,
        "source_url": "",
        "source_type": "",
        "import_job_id": None,
        "deleted_at": None,
        "deleted_by_id": None,
    }

    def own(i: int) -> tuple:
        county_level = i < county_rows
        src = "police" if county_level else str(source[i])
        point = bool(has_point[i]) and not county_level
        values = {
            **base,
            "municipality_id": None if county_level else m.pk,
            "county_id": m.county_id,
            "category_id": int(cat[i]),
            "occurred_from": occurred[i],
            "lat": float(lat[i]) if point else None,
            "lon": float(lon[i]) if point else None,
            "sweref_e": float(e[i]) if point else None,
            "sweref_n": float(nn[i]) if point else None,
            "area_id": None if county_level or area_idx[i] < 0 else areas[int(area_idx[i])].pk,
            "description": f"Genererad händelse {i}",
            "count": int(count[i]),
            "reporting_organisation_id": None if src == "police" else int(org[i]),
            "source": src,
            "source_id": f"b{i}" if src in ("police", "import") else "",
            "status": "reviewed" if src == "police" else str(status[i]),
            "visibility": str(visibility[i]),
            "has_personal_data": bool(personal[i]) and src != "police",
            "is_summary": src == "police" and i % 50 == 0,
        }
        return tuple(values[c] for c in names)

    def other(i: int) -> tuple:
        mun = others[int(o_pick[i])]
        values = {
            **base,
            "municipality_id": mun[0],
            "county_id": mun[1],
            "category_id": int(o_cat[i]),
            "occurred_from": o_when[i],
            "lat": float(o_lat[i]),
            "lon": float(o_lon[i]),
            "sweref_e": float(o_e[i]),
            "sweref_n": float(o_n[i]),
            "area_id": None,
            "description": f"Genererad händelse {i}",
            "count": 1,
            "reporting_organisation_id": None,
            "source": "import",
            "source_id": f"o{i}",
            "status": "reviewed",
            "visibility": "shared",
            "has_personal_data": False,
            "is_summary": False,
        }
        return tuple(values[c] for c in names)

    # own and other rows interleaved, as they would arrive over the years
    order = rng.permutation(n + n_other)
    qn = connection.ops.quote_name
    cols = ", ".join(qn(c) for c in names)
    sql = f"INSERT INTO incidents_incident ({cols}) VALUES ({', '.join(['%s'] * len(names))})"  # noqa: S608
    with transaction.atomic(), connection.cursor() as cursor:
        for start in range(0, n + n_other, CHUNK):
            rows = [own(k) if k < n else other(k - n) for k in order[start : start + CHUNK]]
            if connection.vendor == "postgresql":
                with cursor.cursor.copy(f"COPY incidents_incident ({cols}) FROM STDIN") as copy:
                    for r in rows:
                        copy.write_row(r)
            else:
                cursor.executemany(sql, rows)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("VACUUM ANALYZE incidents_incident")
        else:
            cursor.execute("ANALYZE")
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    print(json.dumps({"rows": Incident.objects.count()}))


def _endpoints() -> list[tuple[str, str, str]]:
    """(key, label, path) of the measured requests."""
    import datetime as dt

    from django.utils import timezone

    from brygga.incidents.models import Category

    month = (timezone.localdate() - dt.timedelta(days=30)).isoformat()
    cat = Category.objects.get(municipality__isnull=True, parent__isnull=True, code="skadegorelse")
    base = "/kommuner/2281/handelser/"
    return [
        ("list", "List page (newest first, 50 a page)", base),
        ("list_page", "List page 20", f"{base}?sida=20"),
        (
            "list_filtered",
            "List: one category, last 30 days",
            f"{base}?category={cat.pk}&date_from={month}",
        ),
        ("map", "Map page (all incidents)", f"{base}karta/"),
        ("map_month", "Map page, last 30 days", f"{base}karta/?date_from={month}"),
        ("api", "API list (JSON, 100 a page)", "/api/v1/incidents/?municipality=2281"),
        (
            "api_geojson",
            "API GeoJSON with bbox (town centre)",
            "/api/v1/incidents/?municipality=2281&format=geojson&bbox=17.25,62.37,17.37,62.42",
        ),
    ]


def child_measure(args) -> None:
    _django()
    from django.contrib.auth import get_user_model
    from django.db import connection, reset_queries
    from django.test import Client

    from brygga.incidents.models import Incident

    client = Client()
    client.force_login(get_user_model().objects.get(username=USER))
    out = {"incidents": Incident.objects.count(), "endpoints": {}}
    for key, label, path in _endpoints():
        times = []
        size = 0
        for i in range(WARMUP + REPEAT):
            reset_queries()
            t0 = time.perf_counter()
            response = client.get(path)
            body = response.content
            elapsed = time.perf_counter() - t0
            if response.status_code != 200:
                raise SystemExit(f"{path}: HTTP {response.status_code}")
            if i >= WARMUP:
                times.append(elapsed)
            size = len(body)
        # the first page's next cursor: the second API page
        if key == "api":
            nxt = response.json().get("next")
            if nxt:
                cursor_path = nxt.split("testserver", 1)[-1]
                ctimes = []
                for i in range(WARMUP + REPEAT):
                    t0 = time.perf_counter()
                    r = client.get(cursor_path)
                    r.content  # noqa: B018
                    if i >= WARMUP:
                        ctimes.append(time.perf_counter() - t0)
                out["endpoints"]["api_next"] = {
                    "label": "API list, next cursor page",
                    "path": "/api/v1/incidents/?municipality=2281&cursor=…",
                    "median_ms": round(statistics.median(ctimes) * 1000, 2),
                    "min_ms": round(min(ctimes) * 1000, 2),
                    "bytes": len(r.content),
                }
        out["endpoints"][key] = {
            "label": label,
            "path": path,
            "median_ms": round(statistics.median(times) * 1000, 2),
            "min_ms": round(min(times) * 1000, 2),
            "bytes": size,
        }
    del connection
    print(json.dumps(out))


# --- driver ---------------------------------------------------------------------------------
SCENARIOS = (
    # name, label, Sundsvall rows, rows elsewhere (filled in from --small/--large)
    ("small", "10k", None, None),
    ("national", "1M, national", None, None),
    ("local", "1M, one municipality", None, None),
)


def _sizes(small: int, large: int) -> dict[str, tuple[int, int]]:
    return {"small": (small, 0), "national": (small, large - small), "local": (large, 0)}


def measure(db_class, workdir: Path, small: int, large: int) -> dict:
    db = db_class(workdir)
    try:
        template = db.create_template()
        _child("setup", template)
        urls = {}
        for name, (own, other) in _sizes(small, large).items():
            url = db.copy(f"ep_{name}")
            t0 = time.perf_counter()
            filled = _child("fill", url, "--rows", str(own), "--other", str(other))
            print(
                f"  {name}: {filled['rows']:,} incidents in {time.perf_counter() - t0:.0f} s",
                flush=True,
            )
            urls[name] = url
        runs = {}
        for name, url in urls.items():
            db.settle()
            load = os.getloadavg()[0]
            runs[name] = _child("measure", url)
            runs[name]["load_before"] = round(load, 2)
            print(f"  {name}: measured", flush=True)
        table = []
        for key, small_row in runs["small"]["endpoints"].items():
            row = {"key": key, "label": small_row["label"], "path": small_row["path"]}
            for name in ("small", "national", "local"):
                r = runs[name]["endpoints"][key]
                row[f"{name}_ms"] = r["median_ms"]
                row[f"{name}_bytes"] = r["bytes"]
            for name in ("national", "local"):
                row[f"{name}_ratio"] = round(row[f"{name}_ms"] / row["small_ms"], 2)
            table.append(row)
        return {
            "database": db.name,
            "version": db.version,
            "incidents": {name: runs[name]["incidents"] for name in runs},
            "load_before": {k: v["load_before"] for k, v in runs.items()},
            "endpoints": table,
        }
    finally:
        db.stop()


def _verdict(ratio: float) -> str:
    return "met" if ratio <= GOAL else "missed"


def markdown(report: dict) -> str:
    m = report["machine"]
    lines = [
        "### Incident list and map latency (10k vs 1M incidents)",
        "",
        f"Measured {m['date']} on {m['cores']} cores ({m['cpu']}), {m['ram_gb']} GB RAM, "
        f"Python {m['python']}, load average at start {m['load_average_at_start']}. "
        "Signed in as the demo analyst; median of 15 requests after 3 warm-ups, server time "
        "through Django's test client (middleware, resolver, templates; no network). Three "
        "databases: **10k** — 10,000 incidents, all in Sundsvall; **1M, national** — the same "
        "10,000 in Sundsvall plus 990,000 in the other 289 municipalities (a national or "
        "regional installation); **1M, one municipality** — 1,000,000 incidents, all in "
        "Sundsvall (the worst case: the selection itself is 100 times larger). Goal: ratio "
        "to 10k ≤ 2.",
        "",
    ]
    for r in report["results"]:
        inc = r["incidents"]
        lines += [
            f"**{r['database']} {r['version']}** ({inc['small']:,} / {inc['national']:,} / "
            f"{inc['local']:,} incidents; load before the runs {r['load_before']}):",
            "",
            "| Endpoint | 10k | 1M, national | Ratio | Goal | 1M, one municipality | Ratio | Goal |",
            "| --- | --- | --- | --- | --- | --- | --- | --- |",
        ]
        for e in r["endpoints"]:
            lines.append(
                f"| {e['label']} | {e['small_ms']:.1f} ms | {e['national_ms']:.1f} ms | "
                f"{e['national_ratio']:.2f} | {_verdict(e['national_ratio'])} | "
                f"{e['local_ms']:.1f} ms | {e['local_ratio']:.2f} | "
                f"{_verdict(e['local_ratio'])} |"
            )
        lines.append("")
    lines.append(
        "Raw figures: `bench/results/endpoints.json`; run `python bench/bench_endpoints.py`."
    )
    return "\n".join(lines) + "\n"


def write_readme(md: str) -> None:
    text = README.read_text()
    block = f"<!-- ENDPOINTS:START -->\n\n{md}\n<!-- ENDPOINTS:END -->"
    if "<!-- ENDPOINTS:START -->" in text:
        text = re.sub(
            r"<!-- ENDPOINTS:START -->.*?<!-- ENDPOINTS:END -->", lambda _m: block, text, flags=re.S
        )
    else:
        text = text.replace("<!-- IMPORT:END -->", "<!-- IMPORT:END -->\n\n" + block, 1)
    README.write_text(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--large", type=int, default=1_000_000)
    parser.add_argument("--only", choices=["sqlite", "postgresql"])
    parser.add_argument("--child")
    parser.add_argument("--rows", type=int)
    parser.add_argument("--other", type=int, default=0)
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args()
    if args.child:
        {"setup": child_setup, "fill": child_fill, "measure": child_measure}[args.child](args)
        return
    started = time.perf_counter()
    report = {"machine": machine(), "results": []}
    with tempfile.TemporaryDirectory(prefix="brygga-bench-endpoints-") as tmp:
        workdir = Path(tmp)
        for backend in backends(args.only):
            print(f"{backend.name}: {args.small:,} vs {args.large:,} incidents …", flush=True)
            report["results"].append(measure(backend, workdir, args.small, args.large))
    report["wall_seconds"] = round(time.perf_counter() - started, 1)
    md = markdown(report)
    print(md)
    if not args.no_write:
        RESULTS.mkdir(parents=True, exist_ok=True)
        (RESULTS / "endpoints.json").write_text(json.dumps(report, indent=2) + "\n")
        (RESULTS / "endpoints.md").write_text(md)
        write_readme(md)


if __name__ == "__main__":
    main()
