"""Benchmark workers, each run in its own fresh Python process.

Usage: ``python bench/_worker.py CASE [options]``; prints one JSON object on
the last line of stdout. Top-level imports are kept to the standard library so
that fresh-process timings only include what each case needs.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import sys
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

T_START = time.perf_counter()


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _emit(obj: dict) -> None:
    obj.setdefault("peak_rss_mb", round(_peak_rss_mb(), 1))
    print(json.dumps(obj))


# --------------------------------------------------------------------------
# Gi*
# --------------------------------------------------------------------------


def gistar_fresh_brygga(args: argparse.Namespace) -> None:
    """Whole fresh process: import, build weights, 999 permutations."""
    from bench._data import grid_counts_80
    from brygga.analysis.contiguity import grid_contiguity
    from brygga.analysis.hotspots import gi_star

    y = grid_counts_80()
    w = grid_contiguity(80, 80, "queen")
    res = gi_star(y, w, permutations=999, seed=1)
    _emit(
        {
            "hot": int((res.hotspot_class > 0).sum()),
            "elapsed_in_process": time.perf_counter() - T_START,
        }
    )


def gistar_fresh_esda(args: argparse.Namespace) -> None:
    warnings.simplefilter("ignore")
    from esda.getisord import G_Local
    from libpysal.weights import lat2W

    from bench._data import grid_counts_80

    y = grid_counts_80()
    w = lat2W(80, 80, rook=False)
    g = G_Local(
        y,
        w,
        transform="B",
        star=True,
        permutations=999,
        seed=1,
        n_jobs=args.n_jobs,
        keep_simulations=args.keep,
    )
    _emit({"sig": int((g.p_sim < 0.05).sum()), "elapsed_in_process": time.perf_counter() - T_START})


def gistar_warm_brygga(args: argparse.Namespace) -> None:
    from bench._data import grid_counts_80
    from brygga.analysis.contiguity import grid_contiguity
    from brygga.analysis.hotspots import gi_star

    y = grid_counts_80()
    w = grid_contiguity(80, 80, "queen")
    times = []
    for k in range(args.repeat + 1):
        t0 = time.perf_counter()
        gi_star(y, w, permutations=999, seed=k)
        times.append(time.perf_counter() - t0)
    t0 = time.perf_counter()
    res = gi_star(y, grid_contiguity(80, 80, "queen"), permutations=999, seed=1)
    with_weights = time.perf_counter() - t0
    _emit(
        {
            "first": times[0],
            "warm": times[1:],
            "warm_median": statistics.median(times[1:]),
            "warm_with_weights": with_weights,
            "z_checksum": float(abs(res.z).sum()),
        }
    )


def gistar_warm_esda(args: argparse.Namespace) -> None:
    warnings.simplefilter("ignore")
    from esda.getisord import G_Local
    from libpysal.weights import lat2W

    from bench._data import grid_counts_80

    y = grid_counts_80()
    w = lat2W(80, 80, rook=False)
    times = []
    for k in range(args.repeat + 1):
        t0 = time.perf_counter()
        g = G_Local(
            y,
            w,
            transform="B",
            star=True,
            permutations=999,
            seed=k + 1,
            n_jobs=args.n_jobs,
            keep_simulations=args.keep,
        )
        times.append(time.perf_counter() - t0)
    _emit(
        {
            "first": times[0],
            "warm": times[1:],
            "second_call": times[1],
            "warm_median": statistics.median(times[1:]),
            "z_checksum": float(abs(g.Zs).sum()),
        }
    )


# --------------------------------------------------------------------------
# Knox
# --------------------------------------------------------------------------

KNOX_DELTA = 200.0  # metres
KNOX_TAU = 14.0  # days


def knox_brygga(args: argparse.Namespace) -> None:
    from bench._data import crime_events, region_events
    from brygga.analysis.knox import knox_test

    t_gen = time.perf_counter()
    if args.n > 100_000:
        x, y, t = region_events(args.n, args.seed)
    else:
        x, y, t = crime_events(args.n, args.seed)
    t_gen = time.perf_counter() - t_gen
    times = []
    res = None
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        res = knox_test(
            x,
            y,
            t,
            space_bands=KNOX_DELTA,
            time_bands=KNOX_TAU,
            permutations=args.permutations,
            seed=1,
            n_jobs=args.n_jobs,
        )
        times.append(time.perf_counter() - t0)
    assert res is not None
    _emit(
        {
            "times": times,
            "median": statistics.median(times),
            "data_seconds": t_gen,
            "total_process_seconds": time.perf_counter() - T_START,
            "n_events": int(res.n_events),
            "n_close_pairs": int(res.n_close_pairs),
            "nst": int(res.observed[0, 0]),
            "expected": float(res.expected[0, 0]),
            "knox_ratio": float(res.knox_ratio[0, 0]),
            "p_value": float(res.p_value[0, 0]),
        }
    )


def knox_pointpats(args: argparse.Namespace) -> None:
    warnings.simplefilter("ignore")
    import numpy as np
    from pointpats.spacetime import Knox

    from bench._data import crime_events

    x, y, t = crime_events(args.n, args.seed)
    np.random.seed(1)
    t0 = time.perf_counter()
    k = Knox(
        np.column_stack([x, y]),
        t[:, None],
        delta=KNOX_DELTA,
        tau=KNOX_TAU,
        permutations=args.permutations,
    )
    elapsed = time.perf_counter() - t0
    _emit({"median": elapsed, "nst": int(k.nst), "p_value": float(k.p_sim)})


# --------------------------------------------------------------------------
# KDE
# --------------------------------------------------------------------------


def kde(args: argparse.Namespace) -> None:
    import numpy as np
    from KDEpy import FFTKDE

    from bench._data import X0, Y0, crime_events
    from brygga.analysis.grid import GridSpec
    from brygga.analysis.kde import kde_grid

    n, size, cell, bw = args.n, 512, 50.0, 200.0
    x, y, _ = crime_events(n, 3, extent_m=size * cell - 2000)
    x += 1000
    y += 1000
    grid = GridSpec(X0, Y0, cell, size, size)
    xc, yc = grid.cell_centers()
    # KDEpy wants explicit grid nodes; built once outside the timing. Coordinates
    # in km so that KDEpy's absolute 1e-4 cut-off truncates its Gaussian at
    # ~4.4 sd (comparable with our 4 sd); in metres it would cut at ~2.4 sd.
    nodes = np.stack(np.meshgrid((xc - X0) / 1000, (yc - Y0) / 1000, indexing="ij"), -1).reshape(
        -1, 2
    )
    data_km = np.column_stack([(x - X0) / 1000, (y - Y0) / 1000])

    def ours() -> np.ndarray:
        return kde_grid(x, y, grid, bandwidth=bw, kernel="gaussian").density

    def peer() -> np.ndarray:
        return FFTKDE(kernel="gaussian", bw=bw / 1000).fit(data_km).evaluate(nodes)

    ours()
    peer()
    t_ours, t_peer = [], []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        d_ours = ours()
        t_ours.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        d_peer = peer()
        t_peer.append(time.perf_counter() - t0)
    ref = d_peer.reshape(size, size).T
    dev = float(np.abs(d_ours / n - ref).max() / ref.max())
    _emit(
        {
            "ours": t_ours,
            "peer": t_peer,
            "ours_median": statistics.median(t_ours),
            "peer_median": statistics.median(t_peer),
            "max_dev_rel_peak": dev,
        }
    )


# --------------------------------------------------------------------------
# Area counts
# --------------------------------------------------------------------------


def _districts():
    import numpy as np
    import shapely

    from bench._data import X0, Y0

    rng = np.random.default_rng(5)
    ang = np.linspace(0, 2 * np.pi, 600, endpoint=False)
    r = 11_000 * (1 + 0.08 * np.sin(5 * ang) + 0.05 * np.sin(13 * ang + 1)) + rng.normal(
        0, 150, ang.size
    )
    border = shapely.Polygon(
        np.column_stack([X0 + 12_500 + r * np.cos(ang), Y0 + 12_500 + r * np.sin(ang)])
    )
    seeds = shapely.multipoints(rng.normal(12_500, 5_000, size=(13, 2)) + [X0, Y0])
    cells = shapely.get_parts(shapely.voronoi_polygons(seeds, extend_to=border.buffer(5000)))
    polys = [c.intersection(border) for c in cells]
    polys = [
        shapely.segmentize(p, 150.0) for p in polys if not p.is_empty
    ]  # realistic vertex counts
    return polys


def areas(args: argparse.Namespace) -> None:
    import numpy as np
    from shapely.geometry import Point

    from bench._data import crime_events
    from brygga.analysis.grid import area_counts, assign_areas

    polys = _districts()
    x, y, _ = crime_events(args.n, 9)
    area_counts(x[:1000], y[:1000], polys)
    t_ours = []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        counts = area_counts(x, y, polys)
        t_ours.append(time.perf_counter() - t0)
    m = args.subset
    t0 = time.perf_counter()
    loop = np.full(m, -1)
    for k in range(m):
        p = Point(x[k], y[k])
        for a, poly in enumerate(polys):
            if poly.covers(p):
                loop[k] = a
                break
    t_loop_subset = time.perf_counter() - t0
    same = bool(np.array_equal(loop, assign_areas(x[:m], y[:m], polys)))
    _emit(
        {
            "ours": t_ours,
            "ours_median": statistics.median(t_ours),
            "n_polygons": len(polys),
            "n_vertices": int(
                sum(len(p.exterior.coords) for p in polys if p.geom_type == "Polygon")
            ),
            "loop_subset_n": m,
            "loop_subset_seconds": t_loop_subset,
            "loop_extrapolated_seconds": t_loop_subset * args.n / m,
            "identical_on_subset": same,
            "counted": int(counts.sum()),
        }
    )


# --------------------------------------------------------------------------
# Survey estimates per area
# --------------------------------------------------------------------------


def surveys(args: argparse.Namespace) -> None:
    import numpy as np
    from statsmodels.stats.weightstats import DescrStatsW

    from brygga.analysis.surveys import weighted_estimates_by_group

    rng = np.random.default_rng(args.seed)
    n, n_groups = args.n, args.groups
    # an index 0-10 from a few ordinal items; ~10 % not scored; unequal design weights
    values = np.round(rng.beta(5, 2, n) * 10 * 6) / 6
    values[rng.random(n) < 0.1] = np.nan
    weights = rng.lognormal(0.0, 0.6, n)
    groups = rng.integers(0, n_groups, n)

    def ours() -> dict:
        return weighted_estimates_by_group(values, groups, weights)

    def peer() -> dict:
        out = {}
        has = ~np.isnan(values)
        x_all, w_all, g_all = values[has], weights[has], groups[has]
        for g in np.unique(g_all):
            sel = g_all == g
            x, w = x_all[sel], w_all[sel]
            n_eff = w.sum() ** 2 / (w * w).sum()
            d = DescrStatsW(x, weights=w * n_eff / w.sum(), ddof=1)
            low, high = d.tconfint_mean(alpha=0.05)
            out[int(g)] = (d.mean, d.std_mean, low, high)
        return out

    ours()
    peer()
    t_ours, t_peer = [], []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        r_ours = ours()
        t_ours.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        r_peer = peer()
        t_peer.append(time.perf_counter() - t0)
    dev = max(
        abs(a - b) / max(abs(b), 1e-300)
        for g, e in r_ours.items()
        for a, b in zip((e.mean, e.se, e.low, e.high), r_peer[g], strict=True)
    )
    _emit(
        {
            "ours": t_ours,
            "peer": t_peer,
            "ours_median": statistics.median(t_ours),
            "peer_median": statistics.median(t_peer),
            "n_groups": len(r_ours),
            "same_groups": sorted(r_ours) == sorted(r_peer),
            "max_rel_dev": dev,
        }
    )


CASES = {
    "gistar-fresh-brygga": gistar_fresh_brygga,
    "gistar-fresh-esda": gistar_fresh_esda,
    "gistar-warm-brygga": gistar_warm_brygga,
    "gistar-warm-esda": gistar_warm_esda,
    "knox-brygga": knox_brygga,
    "knox-pointpats": knox_pointpats,
    "kde": kde,
    "areas": areas,
    "surveys": surveys,
}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("case", choices=sorted(CASES))
    ap.add_argument("--n", type=int, default=20_000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--permutations", type=int, default=99)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--n-jobs", type=int, default=1)
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--subset", type=int, default=20_000)
    ap.add_argument("--groups", type=int, default=30)
    args = ap.parse_args()
    os.environ.setdefault("PYTHONHASHSEED", "0")
    CASES[args.case](args)


if __name__ == "__main__":
    main()
