"""The lägesbild dashboard with 1,000,000 incidents: all figures against DuckDB, and latency
through gunicorn at 1M against 10k incidents.

For each database (SQLite, PostgreSQL when its binaries are found) the script

1. migrates a fresh database, loads the demo (Sundsvall, its organisations, users and 13 areas)
   and adds a layer of 30 grid areas over the town (``_dashboard_data.setup``);
2. copies it twice and fills one copy with ``--rows`` (1,000,000) and the other with
   ``--small-rows`` (10,000) generated incidents of Sundsvall from 2020 to November 2026 (bulk
   driver inserts: COPY / executemany; 20 categories, four streams, 8 % of the police events
   county-level, some summaries, rejected rows, new public tips and deleted rows, which the
   lägesbild does not count), places them in every layer (``place_municipality``) and builds
   the rollup once (``rebuild_counts``), each step timed;
3. in a fresh process on the large copy: ``figures.dashboard(user, scope)`` plus
   ``figures.as_dict`` for the year 2025 broken down by the grid layer, signed in as the demo
   coordinator — the first call (cold) and the median of 5 warm calls; then loads the raw rows
   into an in-memory DuckDB table (not timed) and times the same aggregates there (cold and the
   median of 5); the dashboard's headline, by-category and by-area counts must equal DuckDB's;
4. starts gunicorn on 127.0.0.1 on each copy and sends ``--requests`` requests from
   ``--clients`` concurrent clients to the dashboard page and to the API, signed in as the
   coordinator (a session cookie), and reports p50 and p95.

Usage::

    python bench/bench_dashboard.py                     # 1M vs 10k, SQLite and PostgreSQL
    python bench/bench_dashboard.py --quick             # 50k vs 5k, 40 requests: a smoke run
    python bench/bench_dashboard.py --backend postgres --requests 200 --clients 8

Writes bench/results/dashboard.json and .md and the DASHBOARD section of bench/README.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.bench_import import backends, machine, run_child  # noqa: E402

RESULTS = ROOT / "bench" / "results"
README = ROOT / "bench" / "README.md"
USER = "samordnare"  # the demo coordinator
YEAR = 2025
REPEAT = 5
WORKERS = 4  # gunicorn sync workers, as deploy/systemd/brygga-web.service
GOAL_DUCK = 1.0
GOAL_RATIO = 1.5
SECTIONS = (
    "headline", "by_category", "by_area", "by_stream", "heat_table", "month_profile",
    "area_context", "weekly_trend", "forecast", "reference_comparison",
)  # fmt: skip


def _django() -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "brygga.config.settings.base"
    os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1")
    import django

    django.setup()


def _child(case: str, database_url: str, *args: str) -> dict:
    return run_child(__file__, case, database_url, *args)


# --- children -------------------------------------------------------------------------------
def child_setup(args) -> None:
    _django()
    from bench._dashboard_data import setup

    print(json.dumps(setup()))


def child_fill(args) -> None:
    _django()
    from bench._dashboard_data import fill

    print(json.dumps(fill(args.rows)))


def _scope(user, layer: int):
    from django.http import QueryDict

    from brygga.core.models import Municipality
    from brygga.situation.scope import scope_from_query

    m = Municipality.objects.get(code="2281")
    return scope_from_query(user, m, QueryDict(f"period={YEAR}&lager={layer}"))


def child_figures(args) -> None:
    """Cold and warm times of ``figures.dashboard`` + ``as_dict`` and of DuckDB's aggregates."""
    _django()
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from bench import _dashboard_data as data
    from bench import _dashboard_duck as duck
    from brygga.core.models import Municipality
    from brygga.situation import figures

    user = get_user_model().objects.get(username=USER)

    def once():
        d = figures.dashboard(user, _scope(user, args.layer))
        figures.as_dict(d)
        return d

    t0 = time.perf_counter()
    d = once()
    cold = time.perf_counter() - t0
    warm = []
    for _ in range(REPEAT):
        t0 = time.perf_counter()
        d = once()
        warm.append(time.perf_counter() - t0)

    # where a warm call spends its time, section by section
    scope = _scope(user, args.layer)
    sections = {}
    for name in SECTIONS:
        t0 = time.perf_counter()
        getattr(figures, name)(user, scope)
        sections[name] = round(time.perf_counter() - t0, 4)

    t0 = time.perf_counter()
    frames = data.export_raw(args.layer)
    con = duck.load(*frames)
    load_seconds = time.perf_counter() - t0
    m = Municipality.objects.get(code="2281")
    sql = duck.queries(YEAR, m.pk, timezone.localdate())
    dk = duck.measure(con, sql, REPEAT)
    mismatches = duck.check(d, dk["results"], frames[2])
    import duckdb

    print(
        json.dumps(
            {
                "dashboard_cold": cold,
                "dashboard_warm": warm,
                "dashboard_warm_median": statistics.median(warm),
                "duckdb_cold": dk["cold"],
                "duckdb_warm": dk["warm"],
                "duckdb_warm_median": dk["warm_median"],
                "duckdb_load_seconds": round(load_seconds, 1),
                "duckdb_rows": len(frames[0]),
                "duckdb_version": duckdb.__version__,
                "queries": len(sql),
                "events": d.headline.events,
                "categories": len([r for r in d.categories.rows if r.events]),
                "areas": len(d.areas.rows),
                "mismatches": mismatches,
                "sections": sections,
            }
        )
    )


def child_session(args) -> None:
    """A session cookie of the coordinator (stored in the database gunicorn reads)."""
    _django()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    user = get_user_model().objects.get(username=USER)
    client = Client()
    client.force_login(user)
    # the coordinator's role requires the second factor: a session verified with its device
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.get(user=user).persistent_id
    session.save()
    name = settings.SESSION_COOKIE_NAME
    print(json.dumps({"cookie": f"{name}={client.cookies[name].value}"}))


# --- the server -----------------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """gunicorn on 127.0.0.1 with ``WORKERS`` sync workers on ``database_url``."""

    def __init__(self, database_url: str):
        self.port = _free_port()
        env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "DJANGO_SETTINGS_MODULE": "brygga.config.settings.base",
            "ALLOWED_HOSTS": "127.0.0.1",
        }
        self.log = tempfile.NamedTemporaryFile(prefix="brygga-bench-gunicorn-", suffix=".log")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "gunicorn"),
                "brygga.config.wsgi",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(WORKERS),
                "--timeout",
                "300",
                "--no-control-socket",
            ],
            env=env,
            cwd=ROOT,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                if self.proc.poll() is not None:
                    break
                time.sleep(0.3)
        self.stop()
        raise SystemExit("gunicorn did not start")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def _get(port: int, path: str, cookie: str) -> tuple[int, int, float]:
    import http.client

    t0 = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    conn.request("GET", path, headers={"Cookie": cookie, "Accept": "*/*"})
    response = conn.getresponse()
    body = response.read()
    elapsed = time.perf_counter() - t0
    conn.close()
    return response.status, len(body), elapsed


def load_test(port: int, path: str, cookie: str, requests: int, clients: int) -> dict:
    """``requests`` GETs of ``path`` from ``clients`` threads (after one warm-up request per
    client); p50 and p95 of the wall time per request."""
    errors: list[str] = []

    def warm() -> None:
        status, _size, _t = _get(port, path, cookie)
        if status != 200:
            errors.append(f"{path}: HTTP {status}")

    threads = [threading.Thread(target=warm) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise SystemExit(errors[0])
    times: list[float] = []
    sizes: list[int] = []
    lock = threading.Lock()
    left = [requests]

    def client() -> None:
        while True:
            with lock:
                if left[0] <= 0:
                    return
                left[0] -= 1
            status, size, elapsed = _get(port, path, cookie)
            with lock:
                if status != 200:
                    errors.append(f"{path}: HTTP {status}")
                times.append(elapsed)
                sizes.append(size)

    t0 = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    if errors:
        raise SystemExit(errors[0])
    q = statistics.quantiles(times, n=100, method="inclusive")
    return {
        "requests": len(times),
        "p50_ms": round(statistics.median(times) * 1000, 1),
        "p95_ms": round(q[94] * 1000, 1),
        "max_ms": round(max(times) * 1000, 1),
        "throughput_rps": round(len(times) / wall, 2),
        "bytes": statistics.median(sizes),
    }


def latency(url: str, layer: int, requests: int, clients: int) -> dict:
    cookie = _child("session", url)["cookie"]
    paths = {
        "page": f"/kommuner/2281/lagesbild/?period={YEAR}&lager={layer}",
        "api": f"/api/v1/situation/2281/dashboard/?period={YEAR}&lager={layer}",
    }
    server = Server(url)
    try:
        return {k: load_test(server.port, p, cookie, requests, clients) for k, p in paths.items()}
    finally:
        server.stop()


# --- driver ---------------------------------------------------------------------------------
def measure(db_class, workdir: Path, args) -> dict:
    db = db_class(workdir)
    try:
        template = db.create_template()
        layer = _child("setup", template)["layer"]
        fills, urls = {}, {}
        for name, rows in (("large", args.rows), ("small", args.small_rows)):
            urls[name] = db.copy(f"dash_{name}")
            t0 = time.perf_counter()
            fills[name] = _child("fill", urls[name], "--rows", str(rows))
            f = fills[name]
            print(
                f"  {name}: {f['incidents']:,} incidents in {time.perf_counter() - t0:.0f} s "
                f"(insert {f['insert_seconds']} s, place {f['place_seconds']} s, "
                f"rollup {f['rebuild_seconds']} s: {f['rollup_rows']:,} rows)",
                flush=True,
            )
        db.settle()
        load = os.getloadavg()[0]
        figs = _child("figures", urls["large"], "--layer", str(layer))
        figs["load_before"] = round(load, 2)
        print(
            f"  figures: dashboard cold {figs['dashboard_cold']:.2f} s, warm "
            f"{figs['dashboard_warm_median']:.3f} s; DuckDB cold {figs['duckdb_cold']:.3f} s, "
            f"warm {figs['duckdb_warm_median']:.3f} s; mismatches {figs['mismatches']}",
            flush=True,
        )
        lat = {}
        if not args.no_latency:
            for name in ("small", "large"):
                db.settle()
                load = os.getloadavg()[0]
                lat[name] = latency(urls[name], layer, args.requests, args.clients)
                lat[name]["load_before"] = round(load, 2)
                print(f"  latency {name}: {lat[name]}", flush=True)
        return {
            "database": db.name,
            "version": db.version,
            "fill": fills,
            "figures": figs,
            "latency": lat,
        }
    finally:
        db.stop()


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f} ms" if seconds < 10 else f"{seconds:,.1f} s"


def _verdict(ok: bool) -> str:
    return "met" if ok else "missed"


def markdown(report: dict) -> str:
    m, a = report["machine"], report["args"]
    lines = [
        "### Lägesbild dashboard: all figures against DuckDB, and latency (1M vs 10k)",
        "",
        f"Measured {m['date']} on {m['cores']} cores ({m['cpu']}), {m['ram_gb']} GB RAM, "
        f"Python {m['python']}, load average at start {m['load_average_at_start']}. "
        f"{a['rows']:,} generated incidents of Sundsvall from January 2020 to November 2026 "
        "(20 categories, four streams; rejected rows, police summaries, county-level police "
        "events, new public tips and deleted rows among them, which the lägesbild does not "
        "count), placed in the demo's 13 areas and a grid layer of 30 areas; the dashboard is "
        f"the year {YEAR} of the whole municipality broken down by the grid layer, signed in as "
        "the demo coordinator.",
        "",
        "**All figures** — `figures.dashboard(user, scope)` + `figures.as_dict` (headline with "
        "the previous year and three earlier years, by category, area and stream with rates and "
        "intervals, weekday × hour, month profile, seasonal-baseline trend with CUSUM/EWMA, "
        "forecast, reference comparison, area context), read from the rollup, against DuckDB "
        "computing the same aggregates from the raw rows in an in-memory table (headline for "
        "five periods, by main category, area and stream for two, weekday × hour, month "
        "profile over four years, weekly series over five years to today, police events per "
        "municipality; loading the table is not timed). Cold: the first call in a fresh "
        f"process; warm: the median of {REPEAT}. Goal: ≤ {GOAL_DUCK:g}× DuckDB's time.",
        "",
        "| Database | Rows loaded (insert / place / rollup rebuild) | Rollup rows | Dashboard "
        "cold | Dashboard warm | DuckDB cold | DuckDB warm | Ratio warm (cold) | Goal ≤ 1× | "
        "Counts equal |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in report["results"]:
        f, g = r["fill"]["large"], r["figures"]
        ratio = g["dashboard_warm_median"] / g["duckdb_warm_median"]
        ratio_cold = g["dashboard_cold"] / g["duckdb_cold"]
        lines.append(
            f"| {r['database']} {r['version']} | {f['incidents']:,} ({f['insert_seconds']} s / "
            f"{f['place_seconds']} s / {f['rebuild_seconds']} s) | {f['rollup_rows']:,} | "
            f"{_ms(g['dashboard_cold'])} | {_ms(g['dashboard_warm_median'])} | "
            f"{_ms(g['duckdb_cold'])} | {_ms(g['duckdb_warm_median'])} | {ratio:.2f} "
            f"({ratio_cold:.2f}) | {_verdict(ratio <= GOAL_DUCK)} | "
            f"{'yes' if not g['mismatches'] else 'NO'} |"
        )
    if any(r["latency"] for r in report["results"]):
        lines += [
            "",
            f"**Latency** — gunicorn ({WORKERS} sync workers) on 127.0.0.1, {a['requests']} "
            f"requests per row from {a['clients']} concurrent clients (after one warm-up request "
            "each), signed in as the coordinator by a session cookie; wall time per request at "
            f"the client. Goal: p95 at {a['rows']:,} / p95 at {a['small_rows']:,} ≤ "
            f"{GOAL_RATIO:g}.",
            "",
            f"| Database | Request | p50 {a['small_rows']:,} | p95 {a['small_rows']:,} | "
            f"p50 {a['rows']:,} | p95 {a['rows']:,} | Ratio p95 | Goal ≤ {GOAL_RATIO:g} |",
            "| --- | --- | --- | --- | --- | --- | --- | --- |",
        ]
        labels = {"page": "Dashboard page", "api": "API `situation/2281/dashboard/`"}
        for r in report["results"]:
            if not r["latency"]:
                continue
            s, big = r["latency"]["small"], r["latency"]["large"]
            for key, label in labels.items():
                ratio = big[key]["p95_ms"] / s[key]["p95_ms"]
                lines.append(
                    f"| {r['database']} | {label} | {s[key]['p50_ms']:,.0f} ms | "
                    f"{s[key]['p95_ms']:,.0f} ms | {big[key]['p50_ms']:,.0f} ms | "
                    f"{big[key]['p95_ms']:,.0f} ms | {ratio:.2f} | "
                    f"{_verdict(ratio <= GOAL_RATIO)} |"
                )
    lines += [
        "",
        "| PDF of the demo lägesbild | time | size |",
        "| --- | --- | --- |",
        "| PDF: measured by the lead | — | — |",
        "",
    ]
    for r in report["results"]:
        g, rm, ra = r["figures"], r["machine"], r["args"]
        lines.append(
            f"- **{r['database']}** (measured {rm['date']}, load average at start "
            f"{rm['load_average_at_start']}; {ra['rows']:,} vs {ra['small_rows']:,} incidents, "
            f"{ra['requests']} requests): {g['events']:,} events in {YEAR} over "
            f"{g['categories']} main categories and {g['areas']} areas; DuckDB ran "
            f"{g['queries']} queries over {g['duckdb_rows']:,} raw rows (DuckDB "
            f"{g['duckdb_version']}; loading them took {g['duckdb_load_seconds']} s); dashboard "
            f"warm runs {', '.join(_ms(t) for t in g['dashboard_warm'])}; load average before "
            f"{g['load_before']}."
        )
        if g.get("sections"):
            parts = ", ".join(f"`{k}` {_ms(v)}" for k, v in g["sections"].items())
            lines.append(f"  Warm call by section: {parts}.")
    lines.append(
        "\nRaw figures: `bench/results/dashboard.json`; run `python bench/bench_dashboard.py`."
    )
    return "\n".join(lines) + "\n"


def write_readme(md: str) -> None:
    text = README.read_text()
    block = f"<!-- DASHBOARD:START -->\n\n{md}\n<!-- DASHBOARD:END -->"
    if "<!-- DASHBOARD:START -->" in text:
        text = re.sub(
            r"<!-- DASHBOARD:START -->.*?<!-- DASHBOARD:END -->",
            lambda _m: block,
            text,
            flags=re.S,
        )
    elif "<!-- CITUS:START -->" in text:
        text = text.replace("<!-- CITUS:START -->", block + "\n\n<!-- CITUS:START -->", 1)
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    README.write_text(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--small-rows", type=int, default=10_000)
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--quick", action="store_true", help="50k vs 5k, 40 requests")
    parser.add_argument("--no-latency", action="store_true")
    parser.add_argument("--no-write", action="store_true", help="print only")
    parser.add_argument("--child")
    parser.add_argument("--layer", type=int)
    args = parser.parse_args()
    if args.child:
        cases = {
            "setup": child_setup,
            "fill": child_fill,
            "figures": child_figures,
            "session": child_session,
        }
        cases[args.child](args)
        return
    if args.quick:
        args.rows, args.small_rows, args.requests = 50_000, 5_000, 40
        args.no_write = True
    only = {"sqlite": "sqlite", "postgres": "postgresql", "both": None}[args.backend]
    started = time.perf_counter()
    report = {
        "machine": machine(),
        "args": {k: getattr(args, k) for k in ("rows", "small_rows", "requests", "clients")},
        "results": [],
    }
    failed = []
    with tempfile.TemporaryDirectory(prefix="brygga-bench-dashboard-") as tmp:
        for backend in backends(only):
            print(f"{backend.name}: {args.rows:,} and {args.small_rows:,} incidents …", flush=True)
            result = measure(backend, Path(tmp), args)
            result["machine"] = machine()
            result["args"] = report["args"]
            report["results"].append(result)
            if result["figures"]["mismatches"]:
                failed.append(f"{backend.name}: {result['figures']['mismatches']}")
    report["wall_seconds"] = round(time.perf_counter() - started, 1)
    report["date"] = dt.datetime.now(dt.UTC).isoformat(timespec="minutes")
    if not args.no_write and (RESULTS / "dashboard.json").exists():
        # a database not measured in this run keeps the figures of its own run
        done = {r["database"] for r in report["results"]}
        old = json.loads((RESULTS / "dashboard.json").read_text())
        report["results"] += [r for r in old["results"] if r["database"] not in done]
    md = markdown(report)
    print(md)
    if not args.no_write:
        RESULTS.mkdir(parents=True, exist_ok=True)
        (RESULTS / "dashboard.json").write_text(json.dumps(report, indent=2) + "\n")
        (RESULTS / "dashboard.md").write_text(md)
        write_readme(md)
    if failed:
        raise SystemExit("the dashboard's counts differ from DuckDB's: " + "; ".join(failed))


if __name__ == "__main__":
    main()
