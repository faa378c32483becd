#!/usr/bin/env python
"""Benchmarks of ``brygga.analysis`` against peer libraries.

Entry point of ``make bench``::

    python bench/run_analysis.py            # full run (~10 min on 2 cores)
    python bench/run_analysis.py --quick    # smaller sizes, smoke test (~2 min)
    python -m bench                         # same as the first line

Each case runs in fresh subprocesses (``bench/_worker.py``), so imports,
numba compilation and memory of one case do not leak into another. Prints a
table, writes ``bench/results/analysis.json`` and rewrites the results section
of ``bench/README.md`` (between the BENCH markers).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
WORKER = BENCH_DIR / "_worker.py"
RESULTS = BENCH_DIR / "results" / "analysis.json"
README = BENCH_DIR / "README.md"
START, END = "<!-- BENCH:START -->", "<!-- BENCH:END -->"

PACKAGES = [
    "numpy",
    "scipy",
    "shapely",
    "pyproj",
    "h3",
    "esda",
    "libpysal",
    "numba",
    "pointpats",
    "KDEpy",
    "statsmodels",
]


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------


def machine_info() -> dict[str, Any]:
    cpu = "unknown"
    mem_gb = None
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem_gb = round(int(line.split()[1]) / 1024 / 1024, 1)
                break
    except OSError:
        pass
    try:
        nproc = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - non-Linux
        nproc = os.cpu_count() or 1
    try:
        load = [round(v, 2) for v in os.getloadavg()]
    except OSError:  # pragma: no cover
        load = None
    return {
        "nproc": nproc,
        "load_average": load,
        "cpu_model": cpu,
        "memory_gb": mem_gb,
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def versions() -> dict[str, str]:
    out = {}
    for p in PACKAGES:
        try:
            out[p] = metadata.version(p)
        except metadata.PackageNotFoundError:
            out[p] = "not installed"
    return out


def run_worker(
    case: str, *args: str, timeout: float = 1800, extra_env: dict[str, str] | None = None
) -> tuple[dict[str, Any], float]:
    """Run a worker in a fresh interpreter; return (its JSON, wall seconds)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    env.update(extra_env or {})
    env.pop("DJANGO_SETTINGS_MODULE", None)
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, str(WORKER), case, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"worker {case} failed:\n{proc.stdout}\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1]), wall


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def entry(
    name: str,
    *,
    ours: float,
    peer_name: str,
    peer: float | None,
    goal: float | None,
    goal_text: str,
    unit_note: str = "",
    details: dict[str, Any] | None = None,
    higher_is_better: bool = True,
) -> dict[str, Any]:
    ratio = (peer / ours) if (peer is not None and ours > 0) else None
    met = None
    if goal is not None and ratio is not None:
        met = ratio >= goal if higher_is_better else ratio <= goal
    return {
        "name": name,
        "ours_s": ours,
        "peer": peer_name,
        "peer_s": peer,
        "speedup": ratio,
        "goal": goal_text,
        "goal_met": met,
        "note": unit_note,
        "details": details or {},
    }


# --------------------------------------------------------------------------
# cases
# --------------------------------------------------------------------------


def bench_gistar(vers: dict[str, str], quick: bool) -> list[dict[str, Any]]:
    rep = "3" if quick else "7"
    log("Gi* warm: brygga")
    ours, _ = run_worker("gistar-warm-brygga", "--repeat", rep)
    esda_cfgs = [("1", False), ("-1", True)]  # fastest and esda's defaults
    warm = {}
    for nj, keep in esda_cfgs:
        log(f"Gi* warm: esda n_jobs={nj} keep_simulations={keep} (compiles numba first)")
        args = ["--repeat", "3", "--n-jobs", nj] + (["--keep"] if keep else [])
        warm[(nj, keep)], _ = run_worker("gistar-warm-esda", *args)
    best_key = min(warm, key=lambda k: warm[k]["warm_median"])
    peer_v = f"esda {vers['esda']} + numba {vers['numba']}"
    res = [
        entry(
            "Gi* 80x80 queen, 999 perm., warm call",
            ours=ours["warm_median"],
            peer_name=f"{peer_v} (n_jobs={best_key[0]}, keep_simulations={best_key[1]}; fastest config)",
            peer=warm[best_key]["warm_median"],
            goal=5.0,
            goal_text=">= 5x",
            details={
                "ours": ours,
                "esda": {f"n_jobs={k[0]},keep={k[1]}": v for k, v in warm.items()},
            },
        )
    ]
    default = warm[("-1", True)]
    res.append(
        entry(
            "Gi* 80x80 queen, 999 perm., warm call (esda defaults)",
            ours=ours["warm_median"],
            peer_name=f"{peer_v} (n_jobs=-1, keep_simulations=True; defaults)",
            peer=default["warm_median"],
            goal=None,
            goal_text="(info)",
        )
    )
    # fresh processes: the whole python process, imports and compilation included
    n_ours = 3 if quick else 5
    log(f"Gi* fresh process: brygga x{n_ours}")
    ours_fresh = [run_worker("gistar-fresh-brygga")[1] for _ in range(n_ours)]
    esda_fresh = {}
    for nj, keep in esda_cfgs:
        log(f"Gi* fresh process: esda n_jobs={nj} keep_simulations={keep}")
        args = ["--n-jobs", nj] + (["--keep"] if keep else [])
        esda_fresh[(nj, keep)] = run_worker("gistar-fresh-esda", *args)[1]
    best_fresh = min(esda_fresh, key=lambda k: esda_fresh[k])
    res.append(
        entry(
            "Gi* 80x80 queen, 999 perm., fresh process",
            ours=statistics.median(ours_fresh),
            peer_name=f"{peer_v} (n_jobs={best_fresh[0]}, keep_simulations={best_fresh[1]}; fastest config)",
            peer=esda_fresh[best_fresh],
            goal=20.0,
            goal_text=">= 20x",
            unit_note=(
                "wall time of a new python process: imports, weights, numba compilation, "
                f"999 permutations; brygga runs {min(ours_fresh):.2f}-{max(ours_fresh):.2f} s, "
                "esda with its defaults (n_jobs=-1, keep_simulations=True) "
                f"{esda_fresh[('-1', True)]:.1f} s"
            ),
            details={
                "ours_runs": ours_fresh,
                "esda_runs": {f"n_jobs={k[0]},keep={k[1]}": v for k, v in esda_fresh.items()},
            },
        )
    )
    return res


def bench_knox(vers: dict[str, str], quick: bool) -> list[dict[str, Any]]:
    n = 5_000 if quick else 20_000
    log(f"Knox {n} events, 99 perm.: brygga")
    ours, _ = run_worker("knox-brygga", "--n", str(n), "--permutations", "99", "--repeat", "5")
    log(f"Knox {n} events, 99 perm.: pointpats (slow)")
    peer, _ = run_worker("knox-pointpats", "--n", str(n), "--permutations", "99")
    res = [
        entry(
            f"Knox {n:,} events, 99 perm., 200 m / 14 d",
            ours=ours["median"],
            peer_name=f"pointpats {vers['pointpats']} Knox",
            peer=peer["median"],
            goal=50.0,
            goal_text=">= 50x",
            unit_note=(
                f"observed pairs equal: {ours['nst'] == peer['nst']} ({ours['nst']}); "
                f"close pairs {ours['n_close_pairs']:,}; p {ours['p_value']:.3f} vs {peer['p_value']:.3f}; "
                f"peak RSS {ours['peak_rss_mb']:.0f} MB vs {peer['peak_rss_mb']:.0f} MB"
            ),
            details={"ours": ours, "pointpats": peer},
        )
    ]
    n_big = 100_000 if quick else 1_000_000
    perms = 99 if quick else 999
    nproc = str(machine_info()["nproc"])
    log(f"Knox {n_big:,} events, {perms} perm. (n_jobs={nproc})")
    big, wall = run_worker(
        "knox-brygga",
        "--n",
        str(n_big),
        "--permutations",
        str(perms),
        "--repeat",
        "1",
        "--n-jobs",
        nproc,
        timeout=3600,
    )
    res.append(
        entry(
            f"Knox {n_big:,} events, {perms} perm., 200 m / 14 d",
            ours=big["median"],
            peer_name="(no peer run: pointpats would hold ~8e10 temporal-neighbour set entries)",
            peer=None,
            goal=None,
            goal_text="finishes on 2 cores / 24 GB",
            unit_note=(
                f"{wall:.0f} s whole process; peak RSS {big['peak_rss_mb']:.0f} MB; "
                f"{big['n_close_pairs']:,} close pairs; Knox ratio {big['knox_ratio']:.3f}, "
                f"p {big['p_value']:.3f}"
            ),
            details={"ours": big, "process_wall_s": wall},
        )
    )
    res[-1]["goal_met"] = True
    return res


def bench_kde(vers: dict[str, str], quick: bool) -> list[dict[str, Any]]:
    n = 200_000 if quick else 1_000_000
    log(f"KDE {n:,} points on 512x512")
    r, _ = run_worker("kde", "--n", str(n), "--repeat", "7")
    e = entry(
        f"KDE {n:,} points -> 512x512, Gaussian",
        ours=r["ours_median"],
        peer_name=f"KDEpy {vers['KDEpy']} FFTKDE",
        peer=r["peer_median"],
        goal=1.0,
        goal_text="<= 1.0x KDEpy's time",
        unit_note=f"max |difference| {r['max_dev_rel_peak']:.1e} of peak",
        details=r,
    )
    return [e]


def bench_areas(vers: dict[str, str], quick: bool) -> list[dict[str, Any]]:
    n = 200_000 if quick else 1_000_000
    log(f"Area counts {n:,} points in 13 polygons")
    r, _ = run_worker("areas", "--n", str(n), "--repeat", "5", "--subset", "20000")
    e = entry(
        f"Area counts {n:,} points, {r['n_polygons']} polygons",
        ours=r["ours_median"],
        peer_name=f"per-point shapely {vers['shapely']} loop (covers)",
        peer=r["loop_extrapolated_seconds"],
        goal=None,
        goal_text="(report ratio)",
        unit_note=(
            f"loop timed on {r['loop_subset_n']:,} points and extrapolated x"
            f"{n / r['loop_subset_n']:.0f}; identical assignment: {r['identical_on_subset']}; "
            f"{r['n_vertices']:,} polygon vertices"
        ),
        details=r,
    )
    return [e]


def bench_surveys(vers: dict[str, str], quick: bool) -> list[dict[str, Any]]:
    # BLAS threads: statsmodels' DescrStatsW uses np.dot, which on a loaded 2-core
    # machine can be many times slower with 2 OpenBLAS threads than with 1; both
    # sides run under both settings and each is judged by its faster one.
    blas = {"default": {}, "1 thread": {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}}
    res = []
    for n in (4_000, 40_000) if quick else (4_000, 400_000):
        runs = {}
        for label, extra in blas.items():
            log(f"Survey estimates {n:,} respondents x 30 groups (BLAS {label})")
            rep = "25" if n < 100_000 else "9"
            runs[label], _ = run_worker(
                "surveys", "--n", str(n), "--groups", "30", "--repeat", rep, extra_env=extra
            )
        ours_cfg = min(runs, key=lambda k: runs[k]["ours_median"])
        peer_cfg = min(runs, key=lambda k: runs[k]["peer_median"])
        r = runs[peer_cfg]
        res.append(
            entry(
                f"Survey estimates {n:,} respondents, 30 groups, weighted, 95 % CI",
                ours=runs[ours_cfg]["ours_median"],
                peer_name=(
                    f"statsmodels {vers['statsmodels']} DescrStatsW looped per group "
                    f"(mean, std_mean, tconfint_mean; BLAS {peer_cfg})"
                ),
                peer=r["peer_median"],
                goal=None,
                goal_text="(report ratio)",
                unit_note=(
                    f"weighted_estimates_by_group vs a per-group loop (boolean mask, weights "
                    f"rescaled to n_eff, ddof=1); {r['n_groups']} groups, max relative "
                    f"difference {max(v['max_rel_dev'] for v in runs.values()):.0e}; medians "
                    + "; ".join(
                        f"BLAS {k}: {fmt_s(v['ours_median'])} vs {fmt_s(v['peer_median'])}"
                        for k, v in runs.items()
                    )
                ),
                details=runs,
            )
        )
    return res


# --------------------------------------------------------------------------
# output
# --------------------------------------------------------------------------


def fmt_s(v: float | None) -> str:
    if v is None:
        return "—"
    if v < 0.01:
        return f"{v * 1000:.2f} ms"
    return f"{v * 1000:.0f} ms" if v < 1 else f"{v:.2f} s"


def fmt_ratio(e: dict[str, Any]) -> str:
    r = e["speedup"]
    if r is None:
        return "—"
    if "<=" in e["goal"]:
        return f"{1 / r:.2f}x of peer's time"
    return f"{r:.1f}x faster"


def goal_cell(e: dict[str, Any]) -> str:
    if e["goal_met"] is None:
        return e["goal"]
    return f"{e['goal']}: {'met' if e['goal_met'] else 'NOT met'}"


def markdown(results: dict[str, Any]) -> str:
    m = results["machine"]
    v = results["versions"]
    lines = [
        START,
        "",
        f"Measured {results['date']} on {m['nproc']} cores ({m['cpu_model']}), "
        f"{m['memory_gb']} GB RAM, Python {m['python']}, load average at start {m['load_average']}"
        + (" — **quick mode (reduced sizes)**" if results.get("quick") else "")
        + ".",
        "",
        "| Benchmark | brygga.analysis | Peer | Peer time | Ratio | Goal |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for e in results["benchmarks"]:
        lines.append(
            f"| {e['name']} | {fmt_s(e['ours_s'])} | {e['peer']} | {fmt_s(e['peer_s'])} | "
            f"{fmt_ratio(e)} | {goal_cell(e)} |"
        )
    earlier: dict[str, list[str]] = {}
    for e in results["benchmarks"]:
        meas = e.get("measured") or {}
        if meas and meas.get("date") != results["date"]:
            key = f"{meas['date']} (load average at start {meas['load_average']})"
            earlier.setdefault(key, []).append(e["name"])
    if earlier:
        lines += ["", "Rows not re-run in the run above keep the figures of their own run:", ""]
        lines += [f"- {when}: {'; '.join(names)}" for when, names in earlier.items()]
    lines += ["", "Notes per benchmark:", ""]
    for e in results["benchmarks"]:
        if e["note"]:
            lines.append(f"- **{e['name']}**: {e['note']}")
    lines += [
        "",
        "Versions: " + ", ".join(f"{k} {v[k]}" for k in PACKAGES) + ".",
        "",
        "Raw figures: `bench/results/analysis.json`. "
        + ("Wall time of the run above " if earlier else "Total benchmark wall time ")
        + f"{results['total_seconds']:.0f} s.",
        "",
        END,
    ]
    return "\n".join(lines)


README_TEMPLATE = """# Benchmarks

Benchmarks for `brygga.analysis` (the numeric library behind hot spots,
near-repeat analysis, kernel density and area statistics). Every figure is a
ratio against a peer library measured in the same run on the same machine.

## Results

{results}

## How to run

```sh
make bench                              # = .venv/bin/python bench/run_analysis.py
python bench/run_analysis.py --quick    # reduced sizes, a 2-minute smoke test
python bench/run_analysis.py --only kde areas   # selected cases
python -m bench                         # same as bench/run_analysis.py
```

The peers (esda, libpysal, numba, pointpats, KDEpy) are in the `dev`/`bench`
extras (`pip install -e '.[dev,bench]'`). A full run takes about 10 minutes
on 2 cores, most of it in the peers (esda's numba compilation, pointpats'
pure-Python Knox). The script prints a table, writes
`bench/results/analysis.json` and rewrites the section between the
`BENCH:START`/`BENCH:END` markers above; text outside the markers is kept.

Each case runs in fresh subprocesses (`bench/_worker.py CASE`), so one case's
imports, numba compilation and memory cannot help or hurt another. Synthetic
data come from `bench/_data.py` (seeded, crime-like: urban background, hot
spots, near-repeat follow-ups; SWEREF 99 TM metres; times in days over a
year).

What is measured:

- **Gi\\*** — 80 x 80 grid of 250 m cells (6,400 cells, queen contiguity),
  counts from 60,000 synthetic events, 999 conditional permutations. *Warm*:
  median of repeated calls in one process after a first (compiling) call;
  esda is run both with its fastest settings (`n_jobs=1`,
  `keep_simulations=False`) and with its defaults, and the goal is judged
  against the fastest. *Fresh process*: wall time of a new `python` process
  that imports the library, builds the weights and runs the analysis once
  (esda: `libpysal.weights.lat2W` + `G_Local(..., transform="B", star=True)`,
  numba compilation included; numba does not cache esda's functions on disk).
- **Knox** — one space band (200 m) and one time band (14 days), 99
  permutations, 20,000 events in a 25 km x 25 km municipality over one year,
  vs `pointpats.spacetime.Knox`; both count the same pairs (checked). The
  1,000,000-event run (999 permutations, both cores) spreads the events over
  40 neighbouring 25 km municipalities (a 200 km x 125 km region: one
  municipality-sized area would put ~10^8 pairs within 200 m, which is not a
  realistic crime density); its time, close-pair count and peak RSS
  (`resource.getrusage` in the subprocess) are reported.
- **KDE** — 1,000,000 points onto a 512 x 512 grid of 50 m cells, Gaussian
  kernel with sd 200 m, vs KDEpy `FFTKDE.fit(...).evaluate(grid)` with the
  same grid nodes and bandwidth (KDEpy's grid array is built outside the
  timing; coordinates passed to KDEpy in km so that its kernel truncation,
  an absolute 1e-4 cut-off, is comparable with ours). Median of 7.
- **Area counts** — 1,000,000 points in 13 district polygons (Voronoi cells
  clipped to an irregular municipal border, ~2,600 vertices) with
  `area_counts` vs a per-point loop over `polygon.covers(Point)`. The loop is
  timed on 20,000 points and extrapolated linearly; the assignment is checked
  to be identical on that subset.

Timings are never asserted in the test suite; correctness against the same
peers is tested in `tests/analysis/`.
"""


def write_readme(md: str) -> None:
    if README.exists():
        text = README.read_text(encoding="utf-8")
        if START in text and END in text:
            head, rest = text.split(START, 1)
            _, tail = rest.split(END, 1)
            README.write_text(head + md + tail, encoding="utf-8")
            return
    README.write_text(README_TEMPLATE.format(results=md), encoding="utf-8")


def print_table(results: dict[str, Any]) -> None:
    rows = [
        (e["name"], fmt_s(e["ours_s"]), e["peer"], fmt_s(e["peer_s"]), fmt_ratio(e), goal_cell(e))
        for e in results["benchmarks"]
    ]
    header = ("Benchmark", "brygga", "Peer", "Peer time", "Ratio", "Goal")
    try:
        from rich.console import Console
        from rich.table import Table

        table = Table(title="brygga.analysis benchmarks")
        for h in header:
            table.add_column(h)
        for r in rows:
            table.add_row(*r)
        Console(width=200).print(table)
    except ImportError:  # pragma: no cover
        widths = [max(len(str(x)) for x in col) for col in zip(header, *rows, strict=True)]
        for r in (header, *rows):
            print("  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)))


CASES = {
    "gistar": bench_gistar,
    "knox": bench_knox,
    "kde": bench_kde,
    "areas": bench_areas,
    "surveys": bench_surveys,
}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--quick", action="store_true", help="reduced sizes (smoke test)")
    ap.add_argument("--only", nargs="+", choices=sorted(CASES), help="run only these cases")
    ap.add_argument("--no-write", action="store_true", help="do not write JSON/README")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    machine = machine_info()  # load average before the benchmarks start
    vers = versions()
    missing = [p for p in ("esda", "libpysal", "pointpats", "KDEpy") if vers[p] == "not installed"]
    if missing:
        print(
            f"peer libraries missing: {', '.join(missing)}; install the dev/bench extras",
            file=sys.stderr,
        )
        return 2
    benchmarks: list[dict[str, Any]] = []
    for name in args.only or list(CASES):
        benchmarks += CASES[name](vers, args.quick)
    date = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    for e in benchmarks:
        e["measured"] = {"date": date, "load_average": machine["load_average"]}
    results = {
        "date": date,
        "quick": args.quick,
        "machine": machine,
        "versions": vers,
        "benchmarks": benchmarks,
        "total_seconds": time.perf_counter() - t0,
    }
    print_table(results)
    if not args.no_write:
        if args.only and RESULTS.exists():
            # merge with earlier figures for the cases not run now
            old = json.loads(RESULTS.read_text(encoding="utf-8"))
            names = {e["name"] for e in benchmarks}
            prefixes = {n.split(" ")[0] for n in names}
            kept = [e for e in old.get("benchmarks", []) if e["name"].split(" ")[0] not in prefixes]
            for e in kept:  # rows not re-run keep the date and load of their own run
                e.setdefault(
                    "measured",
                    {"date": old["date"], "load_average": old["machine"]["load_average"]},
                )
            results["benchmarks"] = kept + benchmarks
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
        write_readme(markdown(results))
        log(f"wrote {RESULTS.relative_to(ROOT)} and {README.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
