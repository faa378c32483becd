"""Synthetic, crime-like test data shared by the benchmarks (numpy only).

Events are generated in SWEREF 99 TM-like metres around a municipality
centre: a diffuse urban background, many small hot spots (streets, centres,
stations) of different strength, and near-repeat follow-ups close in space and
time to earlier events. Times are days (with fractional hours) over one year
with weekly and seasonal variation. Everything is seeded.
"""

from __future__ import annotations

import numpy as np

X0, Y0 = 600_000.0, 6_600_000.0  # a plausible SWEREF 99 TM origin (central Sweden)


def crime_events(
    n: int,
    seed: int,
    *,
    extent_m: float = 25_000.0,
    days: float = 365.0,
    n_hotspots: int = 120,
    x0: float = X0,
    y0: float = Y0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``n`` events ``(x, y, t)`` in a square municipality of side ``extent_m``."""
    rng = np.random.default_rng(seed)
    n_bg = int(0.40 * n)
    n_nr = int(0.12 * n)
    n_hs = n - n_bg - n_nr
    c = extent_m / 2
    # urban background: a broad core plus uniform rural scatter
    core = rng.normal(c, extent_m / 7, size=(int(n_bg * 0.8), 2))
    rural = rng.uniform(0, extent_m, size=(n_bg - core.shape[0], 2))
    bg = np.vstack([core, rural])
    # hot spots: centres in the urban area, Zipf-like sizes, 80-350 m spread
    centres = rng.normal(c, extent_m / 6, size=(n_hotspots, 2))
    size = 1.0 / np.arange(1, n_hotspots + 1) ** 0.8
    which = rng.choice(n_hotspots, size=n_hs, p=size / size.sum())
    spread = rng.uniform(80, 350, n_hotspots)[which]
    hs = centres[which] + rng.normal(0, 1, size=(n_hs, 2)) * spread[:, None]
    xy = np.vstack([bg, hs])
    # times: seasonal (summer peak) and weekly (weekend peak) variation
    m = xy.shape[0]
    t = rng.uniform(0, days, m * 2)
    keep = (
        rng.random(m * 2)
        < ((1 + 0.25 * np.sin(2 * np.pi * (t - 80) / 365)) * (1 + 0.3 * (np.floor(t) % 7 >= 5)))
        / 1.65
    )
    t = t[keep][:m]
    # near repeats: follow-ups within ~100 m and ~a week of a parent event
    parent = rng.integers(0, m, n_nr)
    nr_xy = xy[parent] + rng.normal(0, 60, size=(n_nr, 2))
    nr_t = t[parent] + rng.exponential(6.0, n_nr)
    xy = np.vstack([xy, nr_xy])
    t = np.concatenate([t, nr_t])
    xy = np.clip(xy, 0, extent_m)
    t = np.clip(t, 0, days)
    order = rng.permutation(n)
    return xy[order, 0] + x0, xy[order, 1] + y0, t[order]


def region_events(
    n: int, seed: int, *, tiles: tuple[int, int] = (8, 5), extent_m: float = 25_000.0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``n`` events over a region of ``tiles`` neighbouring municipalities
    (each ``extent_m`` wide), e.g. 8 x 5 municipalities of 25 km = 200 x 125 km."""
    nt = tiles[0] * tiles[1]
    per = np.full(nt, n // nt)
    per[: n - per.sum()] += 1
    xs, ys, ts = [], [], []
    for k in range(nt):
        i, j = divmod(k, tiles[1])
        x, y, t = crime_events(
            int(per[k]),
            seed + 1000 * k,
            extent_m=extent_m,
            x0=X0 + i * extent_m,
            y0=Y0 + j * extent_m,
        )
        xs.append(x)
        ys.append(y)
        ts.append(t)
    return np.concatenate(xs), np.concatenate(ys), np.concatenate(ts)


def grid_counts_80(seed: int = 1) -> np.ndarray:
    """Counts of 250 m cells on an 80 x 80 grid (20 km x 20 km) from crime_events."""
    x, y, _ = crime_events(60_000, seed, extent_m=20_000.0)
    ix = np.clip(((x - X0) // 250).astype(int), 0, 79)
    iy = np.clip(((y - Y0) // 250).astype(int), 0, 79)
    return np.bincount(iy * 80 + ix, minlength=6400).astype(float)
