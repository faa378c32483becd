"""One municipality on a two-worker Citus cluster vs the same data on single-node PostgreSQL.

Issue #11 ("Measure"): a national installation with N incidents (default 10,000,000) in 290
municipalities. The script

1. sets up both databases as an installation would: ``brygga migrate`` (the reference
   migrations load the 290 municipalities with their population and the national categories);
   on the cluster also ``brygga citus distribute``. Then, for the benchmark (bulk_create, not
   timed): one organisation and four areas (the quadrants of the bounding box) per
   municipality, an analyst in Sundsvall (2281) with a confirmed TOTP device, and the import
   profile of ``bench/bench_import.py``;
2. loads N incidents with one server-side ``INSERT … SELECT … FROM generate_series`` per
   chunk (on the cluster after ``distribute``, so the rows land on the shards), timed: spread
   over the municipalities in proportion to their population, over ten years, points uniform
   in the municipality's bounding box (SWEREF 99 TM by a local linear fit), the national
   categories, a mix of sources, statuses, visibility and personal data. The values come from
   ``hashint8extended(row, k)``, not ``random()``: both databases get exactly the same rows;
   then ``VACUUM ANALYZE``;
3. times, signed in as the analyst (``django.test.Client`` against the real URLs: middleware,
   resolver, templates, DRF; TOTP device verified in the session as ``tests/conftest.py``
   does), one long-lived process per database, requests interleaved between the two
   databases (warm-up first): the incident list ``/kommuner/2281/handelser/`` (first page,
   newest first), the map page ``…/karta/`` (its data are in the page), the API list
   ``/api/v1/incidents/?municipality=2281`` and the API GeoJSON of the municipality; median
   and p95; then captures each endpoint's SQL once and runs ``EXPLAIN`` on the cluster for
   the queries that read incidents (the Citus "Task Count": 1 = routed to one shard);
4. imports ``--import-rows`` (default 200,000) generated CSV rows into Sundsvall through
   ``brygga import-incidents`` (``bench/bench_import.py``'s child: validation, then the
   ``IncidentBulkWriter`` COPY) on both databases, and, as the named peer, ``COPY … FROM
   STDIN`` of the same rows (pre-rendered text, only the COPY and commit timed) on
   single-node PostgreSQL (and on the cluster, for information); rows/s, best of
   ``--import-repeat`` interleaved rounds, imported rows deleted after each round;
5. prints a table: latency ratio Citus / single node (goal ≤ 1.5) and throughput ratio
   Citus import / single-node COPY (goal ≥ 0.5).

Usage::

    python bench/bench_citus.py                          # 10 M incidents (an hour or more on 2 cores)
    python bench/bench_citus.py --rows 2000000           # smaller
    python bench/bench_citus.py --rows 100000 --repeat 10 --import-rows 20000   # smoke test
    python bench/bench_citus.py --citus-url URL --pg-url URL   # servers already running
    python bench/bench_citus.py … --write-readme         # also rewrite the CITUS section

Without ``--citus-url``/``--pg-url`` it starts its own servers: a cluster with
``scripts/citus-cluster`` (coordinator port ``BRYGGA_BENCH_CITUS_PORT``, default 55460, and
the next two; the cluster of the test suite uses 55440) and a throwaway PostgreSQL on a free
port, and stops both at the end. When Citus is not installed it says so and exits 0. Nothing
is written into the repository unless ``--write-readme`` is given; ``--json PATH`` keeps the
raw figures.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.bench_import import PG_BIN, Postgres, machine, run_child  # noqa: E402
from bench.bench_import import generate as generate_csv  # noqa: E402

README = ROOT / "bench" / "README.md"
CLUSTER = ROOT / "scripts" / "citus-cluster"
CODE = "2281"  # Sundsvall: a mid-sized municipality (about 1 % of the population)
USER = "bench-analytiker"
PROFILE = "bench"  # the profile name bench_import's import child uses
LATENCY_GOAL = 1.5
THROUGHPUT_GOAL = 0.5
CHUNK = 1_000_000
YEARS = 10


def _django() -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "brygga.config.settings.base"
    os.environ.setdefault("ALLOWED_HOSTS", "testserver")
    import django

    django.setup()


def _child(case: str, url: str, *args: str) -> dict:
    return run_child(__file__, case, url, *args)


# --- children: setup and load ---------------------------------------------------------------
def child_setup(args) -> None:
    """One organisation and four areas per municipality, the analyst, the import profile."""
    _django()
    from django.contrib.auth import get_user_model
    from django.db import transaction
    from django_otp.plugins.otp_totp.models import TOTPDevice
    from shapely.geometry import box, mapping

    from brygga.core.models import Area, Membership, Municipality, Organisation
    from brygga.incidents.imports import tabular
    from brygga.incidents.models import Category, ImportProfile

    munis = list(Municipality.objects.defer("boundary").order_by("code"))
    with transaction.atomic():
        orgs = Organisation.objects.bulk_create(
            [
                Organisation(municipality=m, name=f"{m.name} kommun", kind="municipal_other")
                for m in munis
            ]
        )
        areas = []
        for m in munis:
            mid_lon, mid_lat = (m.min_lon + m.max_lon) / 2, (m.min_lat + m.max_lat) / 2
            for q, (x0, y0, x1, y1) in enumerate(
                [
                    (m.min_lon, m.min_lat, mid_lon, mid_lat),
                    (mid_lon, m.min_lat, m.max_lon, mid_lat),
                    (m.min_lon, mid_lat, mid_lon, m.max_lat),
                    (mid_lon, mid_lat, m.max_lon, m.max_lat),
                ]
            ):
                g = box(x0, y0, x1, y1)
                a = Area(
                    municipality=m,
                    name=f"{m.name} {('SV', 'SO', 'NV', 'NO')[q]}",
                    kind="district",
                    geometry=json.loads(json.dumps(mapping(g))),
                )
                a.set_bounds_from(g)
                areas.append(a)
        Area.objects.bulk_create(areas)
        # bulk_create's returned keys are not used: on Citus a multi-row INSERT … RETURNING
        # is split by shard and the keys come back in another order (counted below)
        stored = dict(Organisation.objects.values_list("name", "pk"))
        mismatched = sum(1 for o in orgs if stored[o.name] != o.pk)
        sundsvall = next(m for m in munis if m.code == CODE)
        org = Organisation.objects.get(municipality=sundsvall)
        user = get_user_model().objects.create_user(USER, password=None)
        Membership(user=user, organisation=org, role="analyst").save()
        TOTPDevice.objects.create(user=user, name="bench", confirmed=True)
        ImportProfile.objects.create(
            municipality=sundsvall,
            name=PROFILE,
            mapping=tabular.Mapping(
                columns={
                    "source_id": "Id",
                    "occurred_at": "Tidpunkt",
                    "category": "Kategori",
                    "lat": "Lat",
                    "lon": "Lon",
                    "count": "Antal",
                    "description": "Beskrivning",
                }
            ).to_json(),
        )
    print(
        json.dumps(
            {
                "municipalities": len(munis),
                "with_population": sum(1 for m in munis if m.population),
                "organisations": len(orgs),
                "bulk_create_keys_mismatched": mismatched,
                "areas": len(areas),
                "categories": Category.objects.filter(municipality__isnull=True).count(),
            }
        )
    )


def _fill_sql(n: int, start: int, stop: int) -> tuple[str, list]:
    """``INSERT … SELECT`` of rows ``start``..``stop`` (1-based, inclusive) of ``n``."""
    import datetime as dt

    from django.db import connection

    from brygga.core.geo import wgs84_to_sweref
    from brygga.core.models import Area, Municipality, Organisation
    from brygga.incidents.models import Category, Incident

    munis = list(
        Municipality.objects.defer("boundary")
        .order_by("code")
        .values_list("pk", "county_id", "population", "min_lat", "max_lat", "min_lon", "max_lon")
    )
    org = dict(Organisation.objects.values_list("municipality_id", "pk"))
    quads: dict[int, list[int]] = {}
    for mid, pk in Area.objects.order_by("municipality_id", "name").values_list(
        "municipality_id", "pk"
    ):
        quads.setdefault(mid, []).append(pk)
    cats = list(
        Category.objects.filter(municipality__isnull=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    total = sum((m[2] or 1) for m in munis)
    values, thresholds, acc = [], [], 0.0
    for i, (pk, county, pop, lat0, lat1, lon0, lon1) in enumerate(munis, start=1):
        acc += (pop or 1) / total
        thresholds.append(acc)
        # SWEREF 99 TM by a linear fit around the centre of the box (good to a few metres
        # within a municipality; the benchmark needs plausible numbers, not survey quality)
        clat, clon = (lat0 + lat1) / 2, (lon0 + lon1) / 2
        e0, n0 = wgs84_to_sweref(clon, clat)
        e1, n1 = wgs84_to_sweref(clon + 0.01, clat)
        e2, n2 = wgs84_to_sweref(clon, clat + 0.01)
        q = (quads.get(pk, []) + [None] * 4)[:4]
        # the order of the names: NO, NV, SO, SV; quadrant index 2*(north) + (east)
        sv, so, nv, no = q[3], q[2], q[1], q[0]
        values.append(
            f"({i}, {pk}, {county}, {lat0!r}, {lat1!r}, {lon0!r}, {lon1!r}, {clat!r}, {clon!r}, "
            f"{e0!r}, {n0!r}, {(e1 - e0) / 0.01!r}, {(n1 - n0) / 0.01!r}, "
            f"{(e2 - e0) / 0.01!r}, {(n2 - n0) / 0.01!r}, {org.get(pk, 'NULL')}, "
            f"ARRAY[{sv}, {so}, {nv}, {no}]::bigint[])"
        )
    thresholds[-1] = 1.0 + 1e-9
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    t_start = (now - dt.timedelta(days=365 * YEARS)).timestamp()
    span = (now - dt.timedelta(hours=1)).timestamp() - t_start

    def u(k: int) -> str:
        return f"((hashint8extended(g, {k}) & 2147483647)::float8 / 2147483648.0)"

    expr = {
        "municipality_id": "m.id",
        "county_id": "m.county",
        "category_id": f"(ARRAY{cats}::bigint[])[1 + floor(r.u6 * {len(cats)})::int]",
        "occurred_from": f"to_timestamp({t_start} + (r.g - 1 + r.u1) * {span / n!r})",
        "created_at": f"to_timestamp({t_start} + (r.g - 1 + r.u1) * {span / n!r} + 3600)",
        "updated_at": f"to_timestamp({t_start} + (r.g - 1 + r.u1) * {span / n!r} + 3600)",
        "lat": "CASE WHEN r.u5 >= 0.05 THEN r.lat END",
        "lon": "CASE WHEN r.u5 >= 0.05 THEN r.lon END",
        "sweref_e": "CASE WHEN r.u5 >= 0.05 THEN m.e0 + (r.lon - m.clon) * m.de_lon"
        " + (r.lat - m.clat) * m.de_lat END",
        "sweref_n": "CASE WHEN r.u5 >= 0.05 THEN m.n0 + (r.lon - m.clon) * m.dn_lon"
        " + (r.lat - m.clat) * m.dn_lat END",
        "area_id": "m.areas[1 + 2 * (r.lat > m.clat)::int + (r.lon > m.clon)::int]",
        "description": "'Genererad händelse ' || r.g",
        "count": "CASE WHEN r.u11 < 0.05 THEN 2 + floor(r.u11 * 1000)::int %% 10 ELSE 1 END",
        "reporting_organisation_id": "CASE WHEN r.src = 'police' THEN NULL ELSE m.org END",
        "source": "r.src",
        "source_id": "CASE WHEN r.src IN ('police', 'import') THEN 'b' || r.g ELSE '' END",
        "status": "CASE WHEN r.src = 'police' OR (r.u8 >= 0.3 AND r.u8 < 0.97) THEN 'reviewed'"
        " WHEN r.u8 < 0.3 THEN 'new' ELSE 'rejected' END",
        "visibility": "CASE WHEN r.src <> 'police' AND r.u9 < 0.05 THEN 'organisation'"
        " ELSE 'shared' END",
        "has_personal_data": "(r.src <> 'police' AND r.u10 < 0.02)",
        "is_summary": "false",
        "county_event": "false",
    }
    columns, selects, params = [], [], []
    for f in Incident._meta.concrete_fields:
        if f.primary_key:
            continue
        columns.append(connection.ops.quote_name(f.column))
        if f.attname in expr:
            selects.append(expr[f.attname])
        else:
            selects.append("%s")
            params.append(f.get_db_prep_save(f.get_default(), connection))
    sql = f"""
        INSERT INTO incidents_incident ({", ".join(columns)})
        WITH m(idx, id, county, lat0, lat1, lon0, lon1, clat, clon, e0, n0,
               de_lon, dn_lon, de_lat, dn_lat, org, areas) AS (VALUES {", ".join(values)})
        SELECT {", ".join(selects)}
        FROM (
            SELECT s.*,
                   s.lat0 + s.u3 * (s.lat1 - s.lat0) AS lat,
                   s.lon0 + s.u4 * (s.lon1 - s.lon0) AS lon
            FROM (
                SELECT g, {u(1)} AS u1, {u(3)} AS u3, {u(4)} AS u4, {u(5)} AS u5, {u(6)} AS u6,
                       {u(8)} AS u8, {u(9)} AS u9, {u(10)} AS u10, {u(11)} AS u11,
                       CASE WHEN {u(7)} < 0.10 THEN 'police' WHEN {u(7)} < 0.60 THEN 'import'
                            WHEN {u(7)} < 0.95 THEN 'manual' ELSE 'api' END AS src,
                       m.idx, m.lat0, m.lat1, m.lon0, m.lon1
                FROM generate_series({start}, {stop}) g
                JOIN m ON m.idx = width_bucket({u(0)}, ARRAY{[0.0, *thresholds]}::float8[])
            ) s
        ) r
        JOIN m ON m.idx = r.idx
    """  # noqa: S608 (numbers and names of our own)
    return sql, params


def child_fill(args) -> None:
    """Insert ``args.rows`` incidents with server-side SQL, in chunks; timed."""
    _django()
    from django.db import connection, transaction

    n = args.rows
    t0 = time.perf_counter()
    done = 0
    while done < n:
        stop = min(n, done + CHUNK)
        sql, params = _fill_sql(n, done + 1, stop)
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, params)
        done = stop
        print(f"    {done:,} rows, {time.perf_counter() - t0:.0f} s", file=sys.stderr, flush=True)
    load = time.perf_counter() - t0
    t1 = time.perf_counter()
    connection.ensure_connection()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE incidents_incident")
    analyse = time.perf_counter() - t1
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM incidents_incident")
        total = cursor.fetchone()[0]
        cursor.execute(
            "SELECT count(*) FROM incidents_incident i JOIN core_municipality m "
            "ON m.id = i.municipality_id WHERE m.code = %s",
            [CODE],
        )
        local = cursor.fetchone()[0]
    print(
        json.dumps(
            {
                "seconds": round(load, 1),
                "vacuum_analyze_seconds": round(analyse, 1),
                "rows": total,
                "rows_in_municipality": local,
            }
        )
    )


# --- children: latency ----------------------------------------------------------------------
def _endpoints() -> list[tuple[str, str, str]]:
    base = f"/kommuner/{CODE}/handelser/"
    return [
        ("list", "List page (first page, newest first)", base),
        ("map", "Map page (counts per area, newest 5,000 points)", f"{base}karta/"),
        ("api", "API list (JSON, first page)", f"/api/v1/incidents/?municipality={CODE}"),
        (
            "api_geojson",
            "API GeoJSON (first page)",
            f"/api/v1/incidents/?municipality={CODE}&format=geojson",
        ),
    ]


def child_serve(args) -> None:
    """A long-lived client: reads an endpoint key per line, answers with the time as JSON."""
    out = sys.stdout
    sys.stdout = sys.stderr
    _django()
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from brygga.core.citus import is_citus

    user = get_user_model().objects.get(username=USER)
    client = Client()
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.get(user=user).persistent_id
    session.save()
    paths = {key: path for key, _label, path in _endpoints()}
    citus = is_citus()

    def reply(obj) -> None:
        out.write(json.dumps(obj) + "\n")
        out.flush()

    reply({"ready": True, "citus": citus})
    for line in sys.stdin:
        key = line.strip()
        if key == "quit":
            break
        if key.startswith("explain "):
            key = key.split(" ", 1)[1]
            with CaptureQueriesContext(connection) as ctx:
                response = client.get(paths[key])
                response.content  # noqa: B018
            queries = []
            for q in ctx.captured_queries:
                sql = q["sql"]
                entry = {"ms": round(float(q["time"]) * 1000, 2), "sql": sql[:3000]}
                select = re.sub(r"^DECLARE .*? CURSOR WITH HOLD FOR ", "", sql, flags=re.S)
                if select.lstrip().upper().startswith("SELECT"):
                    entry["table"] = (re.findall(r'FROM "(\w+)"', select) or [""])[0]
                    if citus:
                        with connection.cursor() as cursor:
                            cursor.execute("EXPLAIN " + select)
                            plan = "\n".join(r[0] for r in cursor.fetchall())
                        tasks = [int(x) for x in re.findall(r"Task Count: (\d+)", plan)]
                        entry["task_count"] = tasks or None
                        entry["plan_head"] = plan.splitlines()[:8]
                queries.append(entry)
            reply({"queries": queries})
            continue
        t0 = time.perf_counter()
        response = client.get(paths[key])
        body = response.content
        elapsed = time.perf_counter() - t0
        reply({"ms": elapsed * 1000, "status": response.status_code, "bytes": len(body)})


# --- children: import -----------------------------------------------------------------------
def _columns() -> list[str]:
    from brygga.incidents.models import Incident

    return [f.column for f in Incident._meta.concrete_fields if not f.primary_key]


def child_copy(args) -> None:
    """The rows import job ``args.job`` wrote, deleted and written again with a bare ``COPY``
    of pre-rendered text (only the COPY and the commit are timed), then deleted."""
    _django()
    from django.db import connection, transaction

    from bench.bench_import import _copy_text
    from brygga.core.models import Municipality

    m = Municipality.objects.get(code=CODE)
    qn = connection.ops.quote_name
    columns = _columns()
    cols = ", ".join(qn(c) for c in columns)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {cols} FROM incidents_incident "  # noqa: S608
            "WHERE municipality_id = %s AND import_job_id = %s ORDER BY id",
            [m.pk, args.job],
        )
        rows = cursor.fetchall()
        cursor.execute(
            "DELETE FROM incidents_incident WHERE municipality_id = %s AND import_job_id = %s",
            [m.pk, args.job],
        )
    chunks = []
    for i in range(0, len(rows), 10_000):
        chunks.append(
            "".join(
                "\t".join(_copy_text(v) for v in r) + "\n" for r in rows[i : i + 10_000]
            ).encode()
        )
    del rows
    timed = 0.0
    with transaction.atomic(), connection.cursor() as cursor:
        for payload in chunks:
            t0 = time.perf_counter()
            with cursor.cursor.copy(f"COPY incidents_incident ({cols}) FROM STDIN") as copy:
                copy.write(payload)
            timed += time.perf_counter() - t0
        t0 = time.perf_counter()
    timed += time.perf_counter() - t0
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM incidents_incident WHERE municipality_id = %s AND import_job_id = %s",
            [m.pk, args.job],
        )
        n = cursor.rowcount
    print(json.dumps({"seconds": timed, "rows": n}))


def child_cleanup(args) -> None:
    """Delete the rows of the imports (the generated rows have no import job)."""
    _django()
    from django.db import connection

    from brygga.core.models import Municipality

    m = Municipality.objects.get(code=CODE)
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM incidents_incident WHERE municipality_id = %s "
            "AND import_job_id IS NOT NULL",
            [m.pk],
        )
        n = cursor.rowcount
    print(json.dumps({"deleted": n}))


# --- servers ---------------------------------------------------------------------------------
def _citus_available() -> bool:
    try:
        libdir = subprocess.run(
            [str(PG_BIN / "pg_config"), "--pkglibdir"], capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        libdir = ""
    if not libdir:
        # Debian's pg_config may belong to another version; the binaries' own lib directory
        libdir = str(PG_BIN.parent / "lib")
    return (Path(libdir) / "citus.so").exists()


class CitusCluster:
    def __init__(self, port: int):
        self.dir = Path(tempfile.mkdtemp(prefix="brygga-bench-citus-"))
        self.env = {**os.environ, "BRYGGA_CITUS_PORT": str(port), "PG_BIN": str(PG_BIN)}
        subprocess.run([str(CLUSTER), "start", str(self.dir)], env=self.env, check=True)
        self.url = subprocess.run(
            [str(CLUSTER), "url", str(self.dir)],
            env=self.env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()

    def stop(self) -> None:
        subprocess.run([str(CLUSTER), "stop", str(self.dir)], env=self.env, check=False)
        shutil.rmtree(self.dir, ignore_errors=True)


class SingleNode(Postgres):
    def __init__(self):
        super().__init__(Path(tempfile.gettempdir()))
        self._sql("postgres", "CREATE DATABASE brygga")
        self.url = self.url("brygga")


def _brygga(url: str, *args: str) -> float:
    t0 = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "brygga.manage", *args],
        env={**os.environ, "DATABASE_URL": url},
        cwd=ROOT,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return time.perf_counter() - t0


def _server_version(url: str) -> str:
    import psycopg

    with psycopg.connect(url.replace("postgres://", "postgresql://")) as conn:
        version = conn.execute("SHOW server_version").fetchone()[0]
        row = conn.execute("SELECT extversion FROM pg_extension WHERE extname = 'citus'").fetchone()
        workers = 0
        if row:
            workers = conn.execute(
                "SELECT count(*) FROM pg_dist_node WHERE groupid <> 0"
            ).fetchone()[0]
    return version + (f", Citus {row[0]}, {workers} workers" if row else "")


# --- driver ---------------------------------------------------------------------------------
def _pct(values: list[float], p: float) -> float:
    s = sorted(values)
    k = (len(s) - 1) * p
    lo, hi = math.floor(k), math.ceil(k)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


class Server:
    def __init__(self, url: str):
        self.proc = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), "--child", "serve"],
            env={**os.environ, "DATABASE_URL": url, "PYTHONHASHSEED": "0"},
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.hello = self._read()

    def _read(self) -> dict:
        line = self.proc.stdout.readline()
        if not line:
            raise SystemExit("the measuring child ended early")
        return json.loads(line)

    def ask(self, command: str) -> dict:
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()
        return self._read()

    def close(self) -> None:
        try:
            self.proc.stdin.write("quit\n")
            self.proc.stdin.flush()
        except BrokenPipeError:
            pass
        self.proc.wait(timeout=60)


def measure_latency(urls: dict[str, str], warmup: int, repeat: int) -> dict:
    servers = {name: Server(url) for name, url in urls.items()}
    try:
        times = {name: {key: [] for key, *_ in _endpoints()} for name in servers}
        sizes = {name: {} for name in servers}
        names = list(servers)
        for rep in range(warmup + repeat):
            for key, *_ in _endpoints():
                for name in names if rep % 2 == 0 else names[::-1]:
                    r = servers[name].ask(key)
                    if r["status"] != 200:
                        raise SystemExit(f"{name} {key}: HTTP {r['status']}")
                    if rep >= warmup:
                        times[name][key].append(r["ms"])
                    sizes[name][key] = r["bytes"]
        explain = {
            name: {key: servers[name].ask(f"explain {key}")["queries"] for key, *_ in _endpoints()}
            for name in servers
        }
    finally:
        for s in servers.values():
            s.close()
    rows = []
    for key, label, path in _endpoints():
        row = {"key": key, "label": label, "path": path}
        for name in names:
            t = times[name][key]
            row[name] = {
                "median_ms": round(statistics.median(t), 2),
                "p95_ms": round(_pct(t, 0.95), 2),
                "min_ms": round(min(t), 2),
                "bytes": sizes[name][key],
            }
        row["ratio_median"] = round(row["citus"]["median_ms"] / row["pg"]["median_ms"], 2)
        row["ratio_p95"] = round(row["citus"]["p95_ms"] / row["pg"]["p95_ms"], 2)
        rows.append(row)
    return {"endpoints": rows, "explain": explain}


def measure_import(urls: dict[str, str], rows: int, rounds: int, workdir: Path) -> dict:
    csv_path = workdir / "import.csv"
    generated = generate_csv(csv_path, rows)
    names = list(urls)
    imports = {n: [] for n in names}
    copies = {n: [] for n in names}
    for rep in range(rounds):
        for name in names if rep % 2 == 0 else names[::-1]:
            load = os.getloadavg()[0]
            r = run_child(
                str(ROOT / "bench" / "bench_import.py"),
                "import",
                urls[name],
                "--file",
                str(csv_path),
            )
            r["load_before"] = round(load, 2)
            imports[name].append(r)
            print(
                f"  {name} import round {rep + 1}: {r['created']:,} rows in "
                f"{r['seconds']:.1f} s (write {r['write_seconds']:.1f} s)",
                flush=True,
            )
        for name in names if rep % 2 == 0 else names[::-1]:
            load = os.getloadavg()[0]
            c = _child("copy", urls[name], "--job", str(imports[name][-1]["job"]))
            c["load_before"] = round(load, 2)
            copies[name].append(c)
            print(
                f"  {name} COPY round {rep + 1}: {c['rows']:,} rows in {c['seconds']:.1f} s",
                flush=True,
            )
        for name in names:
            _child("cleanup", urls[name])
    csv_path.unlink()
    out = {"file": generated, "rounds": {"import": imports, "copy": copies}}
    for name in names:
        bi = min(imports[name], key=lambda r: r["seconds"])
        bc = min(copies[name], key=lambda r: r["seconds"])
        out[name] = {
            "import_seconds": round(bi["seconds"], 2),
            "import_rows_per_second": round(bi["created"] / bi["seconds"]),
            "import_write_seconds": bi["write_seconds"],
            "import_validate_seconds": bi["validate_seconds"],
            "copy_seconds": round(bc["seconds"], 2),
            "copy_rows_per_second": round(bc["rows"] / bc["seconds"]),
            "rows": bi["created"],
        }
    out["ratio_citus_import_to_pg_copy"] = round(
        out["citus"]["import_rows_per_second"] / out["pg"]["copy_rows_per_second"], 3
    )
    out["ratio_pg_import_to_pg_copy"] = round(
        out["pg"]["import_rows_per_second"] / out["pg"]["copy_rows_per_second"], 3
    )
    out["ratio_citus_import_to_pg_import"] = round(
        out["citus"]["import_rows_per_second"] / out["pg"]["import_rows_per_second"], 3
    )
    return out


def _verdict(ok: bool) -> str:
    return "met" if ok else "missed"


def _s(seconds: float) -> str:
    return f"{seconds / 60:.1f} min" if seconds >= 120 else f"{seconds:.1f} s"


def markdown(report: dict) -> str:
    m, setup = report["machine"], report["setup"]
    lat, imp = report.get("latency"), report.get("import")
    n = report["rows"]
    lines = [
        f"### One municipality on Citus vs single-node PostgreSQL ({n:,} incidents)",
        "",
        f"Measured {m['date']} on {m['cores']} cores ({m['cpu']}), {m['ram_gb']} GB RAM, "
        f"Python {m['python']}, load average at start {m['load_average_at_start']}. "
        f"**Citus**: {setup['citus']['version']}, coordinator and both workers on this "
        f"machine; **single node**: PostgreSQL {setup['pg']['version']}; both with "
        "`shared_buffers` 128 MB, `fsync`/`synchronous_commit` off (throwaway servers). "
        f"{n:,} incidents in 290 municipalities in proportion to population, ten years "
        f"({setup['pg']['fill']['rows_in_municipality']:,} in Sundsvall, 2281), the same rows "
        "on both (generated in the database from a hash of the row number).",
        "",
        "| Setup | Single node | Citus (2 workers) |",
        "| --- | --- | --- |",
        f"| `brygga migrate` | {_s(setup['pg']['migrate_seconds'])} | "
        f"{_s(setup['citus']['migrate_seconds'])} |",
        f"| `brygga citus distribute` (empty tables) | — | "
        f"{_s(setup['citus']['distribute_seconds'])} |",
        f"| Load {n:,} incidents (`INSERT … SELECT`, chunks of {CHUNK:,}) | "
        f"{_s(setup['pg']['fill']['seconds'])} | {_s(setup['citus']['fill']['seconds'])} |",
        f"| `VACUUM ANALYZE` | {_s(setup['pg']['fill']['vacuum_analyze_seconds'])} | "
        f"{_s(setup['citus']['fill']['vacuum_analyze_seconds'])} |",
        "",
    ]
    if lat:
        lines += [
            f"Latency of Sundsvall's pages for an analyst there (server time through Django's "
            f"test client, {report['repeat']} requests each after {report['warmup']} warm-ups, "
            "interleaved between the two databases). Goal: Citus ≤ 1.5 × single node.",
            "",
            "| Endpoint | Single node median / p95 | Citus median / p95 | Ratio (median) | "
            "Ratio (p95) | Goal ≤ 1.5 |",
            "| --- | --- | --- | --- | --- | --- |",
        ]
        for e in lat["endpoints"]:
            lines.append(
                f"| {e['label']} | {e['pg']['median_ms']:.1f} / {e['pg']['p95_ms']:.1f} ms | "
                f"{e['citus']['median_ms']:.1f} / {e['citus']['p95_ms']:.1f} ms | "
                f"{e['ratio_median']:.2f} | {e['ratio_p95']:.2f} | "
                f"{_verdict(e['ratio_median'] <= LATENCY_GOAL)} |"
            )
        lines.append("")
        tc = report.get("task_counts", {})
        if tc:
            lines.append(
                "Citus `EXPLAIN` of every query each endpoint sends (Task Count 1 = the query "
                "runs on the one shard that holds Sundsvall; times from one captured request):"
            )
            lines.append("")
            lines += [f"- **{k}**: {v}." for k, v in tc.items()]
            lines.append("")
    if imp:
        lines += [
            f"Import of {imp['file']['rows']:,} CSV rows into Sundsvall (`brygga "
            "import-incidents`: validation, then `IncidentBulkWriter`'s COPY), best of "
            f"{len(imp['rounds']['import']['pg'])} interleaved rounds, vs a bare `COPY … FROM "
            "STDIN` of the same rows (pre-rendered text; only COPY and commit timed). Goal: "
            "Citus import ≥ 0.5 × single-node COPY.",
            "",
            "| | Single node | Citus (2 workers) |",
            "| --- | --- | --- |",
            f"| `brygga import-incidents` | {imp['pg']['import_seconds']:.1f} s, "
            f"{imp['pg']['import_rows_per_second']:,} rows/s (write pass "
            f"{imp['pg']['import_write_seconds']:.1f} s) | {imp['citus']['import_seconds']:.1f} s, "
            f"{imp['citus']['import_rows_per_second']:,} rows/s (write pass "
            f"{imp['citus']['import_write_seconds']:.1f} s) |",
            f"| bare `COPY` of the same rows | {imp['pg']['copy_seconds']:.1f} s, "
            f"{imp['pg']['copy_rows_per_second']:,} rows/s (the peer) | "
            f"{imp['citus']['copy_seconds']:.1f} s, {imp['citus']['copy_rows_per_second']:,} "
            "rows/s (information) |",
            "",
            f"Citus import / single-node COPY: **{imp['ratio_citus_import_to_pg_copy']:.2f}** "
            f"(goal ≥ 0.5: {_verdict(imp['ratio_citus_import_to_pg_copy'] >= THROUGHPUT_GOAL)}"
            f"); single-node import / single-node COPY {imp['ratio_pg_import_to_pg_copy']:.2f}; "
            f"Citus import / single-node import {imp['ratio_citus_import_to_pg_import']:.2f}.",
            "",
        ]
    return "\n".join(lines)


def write_readme(md: str) -> None:
    text = README.read_text()
    block = f"<!-- CITUS:START -->\n\n{md}\n<!-- CITUS:END -->"
    if "<!-- CITUS:START -->" in text:
        text = re.sub(
            r"<!-- CITUS:START -->.*?<!-- CITUS:END -->", lambda _m: block, text, flags=re.S
        )
    else:
        text = text.replace("\n## How to run", "\n" + block + "\n\n## How to run", 1)
    README.write_text(text)


def _task_counts(explain: dict) -> dict[str, str]:
    """Per endpoint: how many of its queries Citus runs on one shard, and which not."""
    out = {}
    for key, queries in explain.get("citus", {}).items():
        planned = [q for q in queries if q.get("task_count")]
        incidents = [max(q["task_count"]) for q in planned if q["table"] == "incidents_incident"]
        wide = [
            f"{q['table']} ({max(q['task_count'])} tasks, {q['ms']:.0f} ms)"
            for q in planned
            if max(q["task_count"]) > 1
        ]
        out[key] = (
            f"{len(queries)} queries, {len(planned)} planned by Citus (the rest are coordinator-only tables); on incidents "
            f"Task Count {', '.join(map(str, incidents)) or '—'}; more than one shard: "
            + (", ".join(wide) or "none")
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=10_000_000, help="incidents (default 10 M)")
    parser.add_argument("--import-rows", type=int, default=200_000)
    parser.add_argument("--import-repeat", type=int, default=2)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=40)
    parser.add_argument("--citus-url", help="a running coordinator's empty database")
    parser.add_argument("--pg-url", help="a running single-node PostgreSQL's empty database")
    parser.add_argument(
        "--skip-setup", action="store_true", help="the databases are set up and loaded already"
    )
    parser.add_argument("--skip-import", action="store_true")
    parser.add_argument("--setup-only", action="store_true", help="set up and load, then stop")
    parser.add_argument("--json", help="write the raw figures to this file")
    parser.add_argument("--write-readme", action="store_true")
    parser.add_argument("--render", help="print (and with --write-readme write) a saved JSON")
    parser.add_argument("--child")
    parser.add_argument("--job", type=int)
    args = parser.parse_args()
    if args.render:
        report = json.loads(Path(args.render).read_text())
        report["task_counts"] = _task_counts(report["latency"]["explain"])
        if args.json:
            Path(args.json).write_text(json.dumps(report, indent=2) + "\n")
        md = markdown(report)
        print(md)
        if args.write_readme:
            write_readme(md)
        return
    if args.child:
        {
            "setup": child_setup,
            "fill": child_fill,
            "serve": child_serve,
            "copy": child_copy,
            "cleanup": child_cleanup,
        }[args.child](args)
        return
    if not args.citus_url and not _citus_available():
        print(f"Citus is not installed for {PG_BIN} (no citus.so): benchmark skipped.")
        return
    started = time.perf_counter()
    report = {
        "machine": machine(),
        "rows": args.rows,
        "warmup": args.warmup,
        "repeat": args.repeat,
        "setup": {"pg": {}, "citus": {}},
    }
    own: list = []
    try:
        if args.citus_url:
            citus_url = args.citus_url
        else:
            cluster = CitusCluster(int(os.environ.get("BRYGGA_BENCH_CITUS_PORT", "55460")))
            own.append(cluster)
            citus_url = cluster.url
        if args.pg_url:
            pg_url = args.pg_url
        else:
            single = SingleNode()
            own.append(single)
            pg_url = single.url
        urls = {"pg": pg_url, "citus": citus_url}
        for name, url in urls.items():
            report["setup"][name]["version"] = _server_version(url)
        if args.skip_setup:
            # the setup figures of the run that loaded the databases, when it kept them
            if args.json and Path(args.json).exists():
                report["setup"] = json.loads(Path(args.json).read_text())["setup"]
                report["rows"] = json.loads(Path(args.json).read_text())["rows"]
        else:
            for name, url in urls.items():
                s = report["setup"][name]
                print(f"{name}: migrate …", flush=True)
                s["migrate_seconds"] = round(_brygga(url, "migrate", "--no-input", "-v", "0"), 1)
                if name == "citus":
                    print(f"{name}: distribute …", flush=True)
                    s["distribute_seconds"] = round(_brygga(url, "citus", "distribute"), 1)
                s["objects"] = _child("setup", url)
                print(f"  {s['objects']}", flush=True)
            for name, url in urls.items():
                print(f"{name}: loading {args.rows:,} incidents …", flush=True)
                report["setup"][name]["fill"] = _child("fill", url, "--rows", str(args.rows))
                print(f"  {report['setup'][name]['fill']}", flush=True)
            if args.json:
                Path(args.json).write_text(json.dumps(report, indent=2) + "\n")
        if args.setup_only:
            return
        print("latency …", flush=True)
        report["latency"] = measure_latency(urls, args.warmup, args.repeat)
        report["task_counts"] = _task_counts(report["latency"]["explain"])
        if args.json:
            Path(args.json).write_text(json.dumps(report, indent=2) + "\n")
        if not args.skip_import:
            print("import …", flush=True)
            with tempfile.TemporaryDirectory(prefix="brygga-bench-citus-import-") as tmp:
                report["import"] = measure_import(
                    urls, args.import_rows, args.import_repeat, Path(tmp)
                )
    finally:
        for server in own:
            server.stop()
    report["wall_seconds"] = round(time.perf_counter() - started, 1)
    md = markdown(report) if "fill" in report["setup"]["pg"] else json.dumps(report, indent=2)
    print(md)
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2) + "\n")
    if args.write_readme:
        write_readme(md)


if __name__ == "__main__":
    main()
