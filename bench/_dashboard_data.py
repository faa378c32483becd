"""Data for the lägesbild dashboard benchmark (``bench_dashboard.py``): the demo municipality
with a 30-area grid layer, a bulk fill of generated incidents of Sundsvall over seven years,
their placements and the rollup, and the export of the raw rows for DuckDB.

Run inside a child process with Django set up (see ``bench_dashboard._django``).
"""

from __future__ import annotations

import datetime as dt
import time

SEED = 20261206
CHUNK = 20_000
CODE = "2281"
LAYER = "Bench grid (30 areas)"
GRID = (6, 5)  # columns x rows of the grid layer
BBOX = (17.05, 62.30, 17.55, 62.48)  # lon/lat box over Sundsvall's town and surroundings
CENTRE = (17.31, 62.39)
FIRST = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
LAST = dt.datetime(2026, 11, 30, tzinfo=dt.UTC)
N_CATEGORIES = 20


def setup() -> dict:
    """The demo (organisations, users, the 13 demo areas) plus a grid layer of 30 areas."""
    import shapely

    from brygga.audit.context import acting_as
    from brygga.core.demo import load_demo
    from brygga.core.geo import as_geojson
    from brygga.core.models import Area, AreaLayer, LayerKind, Municipality

    load_demo()
    m = Municipality.objects.get(code=CODE)
    with acting_as(label="bench"):
        layer = AreaLayer.objects.create(municipality=m, name=LAYER, kind=LayerKind.OTHER)
        x0, y0, x1, y1 = BBOX
        nx, ny = GRID
        w, h = (x1 - x0) / nx, (y1 - y0) / ny
        for j in range(ny):
            for i in range(nx):
                geom = shapely.box(x0 + i * w, y0 + j * h, x0 + (i + 1) * w, y0 + (j + 1) * h)
                area = Area(municipality=m, layer=layer, name=f"Ruta {j + 1}:{i + 1}")
                area.geometry = as_geojson(geom)
                area.set_bounds_from(geom)
                area.save()
    return {"layer": layer.pk, "areas": Area.objects.filter(layer=layer).count()}


def _times(rng, n: int):
    """``n`` UTC datetimes from FIRST to LAST: more in summer and at weekends, more in the
    evening than at night, a slow growth over the years."""
    import numpy as np

    days = (LAST - FIRST).days
    d = np.arange(days)
    weekday = (d + FIRST.weekday()) % 7
    w = (1 + 0.25 * np.sin(2 * np.pi * (d - 80) / 365.25)) * (1 + 0.3 * (weekday >= 4))
    w *= 1 + 0.05 * d / 365.25
    day = rng.choice(days, size=n, p=w / w.sum())
    hw = np.array([3, 2, 2, 1, 1, 1, 2, 3, 4, 4, 4, 5, 5, 5, 5, 6, 6, 7, 7, 8, 8, 7, 6, 4], float)
    hour = rng.choice(24, size=n, p=hw / hw.sum())
    seconds = day * 86400 + hour * 3600 + rng.integers(0, 3600, n)
    return [FIRST + dt.timedelta(seconds=int(s)) for s in seconds]


def fill(n: int) -> dict:
    """Insert ``n`` incidents of Sundsvall with the driver's bulk path (COPY on PostgreSQL,
    ``executemany`` on SQLite), place them in every layer and build the rollup; returns the
    seconds of each step."""
    import numpy as np
    from django.db import connection, transaction
    from django.utils import timezone

    from brygga.core.geo import wgs84_to_sweref
    from brygga.core.models import Area, AreaLayer, Membership, Municipality, Organisation
    from brygga.incidents.models import Category, Incident, IncidentCount, IncidentPlacement
    from brygga.incidents.services.placements import place_municipality
    from brygga.incidents.services.rollups import rebuild_counts

    rng = np.random.default_rng(SEED)
    m = Municipality.objects.get(code=CODE)
    grid = list(
        Area.objects.filter(layer__name=LAYER, layer__municipality=m)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    orgs = list(
        Organisation.objects.filter(
            pk__in=Membership.objects.filter(municipality=m).values("organisation_id")
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    cats = list(
        Category.objects.filter(municipality__isnull=True)
        .order_by("pk")
        .values_list("pk", flat=True)[:N_CATEGORIES]
    )
    t0 = time.perf_counter()
    when = _times(rng, n)
    # places: most around the town centre, a quarter anywhere in the box, 5 % only an area
    lon = np.where(
        rng.random(n) < 0.75,
        rng.normal(CENTRE[0], 0.04, n),
        rng.uniform(BBOX[0], BBOX[2], n),
    )
    lat = np.where(
        rng.random(n) < 0.75,
        rng.normal(CENTRE[1], 0.015, n),
        rng.uniform(BBOX[1], BBOX[3], n),
    )
    lon, lat = np.clip(lon, BBOX[0], BBOX[2] - 1e-6), np.clip(lat, BBOX[1], BBOX[3] - 1e-6)
    e, nn = wgs84_to_sweref(lon, lat)
    only_area = rng.random(n) < 0.05
    area_pick = rng.choice(grid, size=n)
    source = rng.choice(
        ["manual", "import", "api", "open311", "police"], size=n, p=[0.5, 0.2, 0.05, 0.05, 0.2]
    )
    status = rng.choice(["new", "reviewed", "rejected"], size=n, p=[0.3, 0.67, 0.03])
    visibility = rng.choice(["shared", "organisation"], size=n, p=[0.95, 0.05])
    cat = rng.choice(cats, size=n)
    org = rng.choice(orgs, size=n)
    count = np.where(rng.random(n) < 0.05, rng.integers(2, 20, n), 1)
    special = rng.random(n)  # police: 2 % summaries, 8 % county-level; 0.5 % deleted
    deleted = rng.random(n) < 0.005
    now = timezone.now()
    defaults = {
        f.column: f.get_default()
        for f in Incident._meta.concrete_fields
        if not f.primary_key and f.has_default()
    }
    columns = [f for f in Incident._meta.concrete_fields if not f.primary_key]
    names = [f.column for f in columns]
    base = dict.fromkeys(names) | {
        "created_at": now,
        "updated_at": now,
        "place_description": "",
        "source_url": "",
        "source_type": "",
        "source_register": "",
    }
    base |= {k: v for k, v in defaults.items() if k not in base or base[k] is None}
    if "attributes" in base:
        base["attributes"] = "{}"

    def row(i: int) -> tuple:
        src = str(source[i])
        police = src == "police"
        # plain bools: SQLite's driver would store numpy's as BLOBs, which its SQL reads as false
        county = bool(police and 0.02 <= special[i] < 0.10)
        point = not only_area[i] and not county
        v = {
            **base,
            "municipality_id": m.pk,
            "county_id": m.county_id,
            "category_id": int(cat[i]),
            "occurred_from": when[i],
            "lat": float(lat[i]) if point else None,
            "lon": float(lon[i]) if point else None,
            "sweref_e": float(e[i]) if point else None,
            "sweref_n": float(nn[i]) if point else None,
            "area_id": int(area_pick[i]) if only_area[i] and not county else None,
            "description": f"Genererad händelse {i}",
            "count": int(count[i]),
            "reporting_organisation_id": None if police else int(org[i]),
            "source": src,
            "source_id": f"b{i}" if src in ("police", "import") else "",
            "status": "reviewed" if police else str(status[i]),
            "visibility": "shared" if police else str(visibility[i]),
            "has_personal_data": False,
            "is_summary": bool(police and special[i] < 0.02),
            "county_event": county,
            "deleted_at": now if bool(deleted[i]) else None,
        }
        return tuple(v[c] for c in names)

    generated = time.perf_counter() - t0
    qn = connection.ops.quote_name
    cols = ", ".join(qn(c) for c in names)
    sql = f"INSERT INTO incidents_incident ({cols}) VALUES ({', '.join(['%s'] * len(names))})"  # noqa: S608
    t0 = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        for start in range(0, n, CHUNK):
            rows = [row(k) for k in range(start, min(n, start + CHUNK))]
            if connection.vendor == "postgresql":
                with cursor.cursor.copy(f"COPY incidents_incident ({cols}) FROM STDIN") as copy:
                    for r in rows:
                        copy.write_row(r)
            else:
                cursor.executemany(sql, rows)
    inserted = time.perf_counter() - t0
    _analyze()
    t0 = time.perf_counter()
    placed = place_municipality(municipality_id=m.pk)
    placing = time.perf_counter() - t0
    _analyze()
    t0 = time.perf_counter()
    written = rebuild_counts(municipality_id=m.pk)
    rebuilding = time.perf_counter() - t0
    _analyze()
    return {
        "incidents": Incident.objects.filter(municipality=m).count(),
        "placements": IncidentPlacement.objects.filter(municipality=m).count(),
        "layers": AreaLayer.objects.filter(municipality=m).count(),
        "placed": placed,
        "rollup_rows": IncidentCount.objects.filter(municipality=m).count(),
        "rollup_written": written,
        "generate_seconds": round(generated, 1),
        "insert_seconds": round(inserted, 1),
        "place_seconds": round(placing, 1),
        "rebuild_seconds": round(rebuilding, 1),
    }


def _analyze() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("VACUUM ANALYZE")
        else:
            cursor.execute("ANALYZE")
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def export_raw(layer_id: int):
    """The municipality's raw incident rows (every row, counted or not), its placements in
    ``layer_id`` and the categories, as pandas frames for DuckDB. The local clock time
    (Europe/Stockholm) is computed here, before loading, as an analyst's export would hold it."""
    import pandas as pd
    from django.db import connection

    from brygga.core.models import Municipality

    m = Municipality.objects.get(code=CODE)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, occurred_from, category_id, source, status, is_summary, county_event, "
            "deleted_at IS NOT NULL, count, municipality_id FROM incidents_incident "
            "WHERE municipality_id = %s",
            [m.pk],
        )
        inc = pd.DataFrame(
            cursor.fetchall(),
            columns=[
                "id", "occurred_from", "category_id", "source", "status", "is_summary",
                "county_event", "deleted", "count", "municipality_id",
            ],
        )  # fmt: skip
        cursor.execute(
            "SELECT incident_id, area_id FROM incidents_incidentplacement "
            "WHERE municipality_id = %s AND layer_id = %s",
            [m.pk, layer_id],
        )
        placements = pd.DataFrame(cursor.fetchall(), columns=["incident_id", "area_id"])
        cursor.execute("SELECT id, parent_id, code FROM incidents_category")
        categories = pd.DataFrame(cursor.fetchall(), columns=["id", "parent_id", "code"])
    local = pd.to_datetime(inc["occurred_from"], utc=True, format="ISO8601")
    inc["ts_local"] = local.dt.tz_convert("Europe/Stockholm").dt.tz_localize(None)
    inc = inc.drop(columns=["occurred_from"])
    for col in ("is_summary", "county_event", "deleted"):
        inc[col] = inc[col].astype(bool)
    categories["parent_id"] = categories["parent_id"].astype("Int64")
    return inc, placements, categories
