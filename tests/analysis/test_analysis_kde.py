"""Kernel density: equality with KDEpy's FFTKDE, mass, edges, bandwidth rules."""

from __future__ import annotations

import math

import numpy as np
import pytest
from KDEpy import FFTKDE

from brygga.analysis import AnalysisInputError, GridSpec, kde_grid, linear_binning, select_bandwidth


def _points(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = np.concatenate([rng.normal(5000, 700, n // 2), rng.uniform(1500, 8500, n - n // 2)])
    y = np.concatenate([rng.normal(4000, 450, n // 2), rng.uniform(1500, 6500, n - n // 2)])
    return x, y


GRID = GridSpec(x0=0.0, y0=0.0, cell_size=50.0, nx=200, ny=160)


def _kdepy(x, y, kernel: str, bw_m: float, weights=None) -> np.ndarray:
    """KDEpy on the same grid nodes (cell centres). Coordinates are passed in
    km: KDEpy truncates the Gaussian where its value drops below an absolute
    1e-4, which in metre units would cut it at ~2.5 sd."""
    xc, yc = GRID.cell_centers()
    nodes = np.stack(np.meshgrid(xc, yc, indexing="ij"), -1).reshape(-1, 2) / 1000.0
    data = np.column_stack([x, y]) / 1000.0
    dens = FFTKDE(kernel=kernel, bw=bw_m / 1000.0).fit(data, weights=weights).evaluate(nodes)
    return dens.reshape(xc.size, yc.size).T  # per km², normalised to integrate to 1


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize(
    ("kernel", "kdepy_kernel", "kdepy_bw"),
    [
        ("gaussian", "gaussian", 200.0),
        ("gaussian", "gaussian", 90.0),
        # KDEpy's biweight has bw = sd of the 1-D kernel: radius = sqrt(7) * bw
        ("quartic", "biweight", 400.0 / math.sqrt(7)),
    ],
)
def test_matches_kdepy_fftkde(
    kernel: str, kdepy_kernel: str, kdepy_bw: float, weighted: bool
) -> None:
    x, y = _points(4000, 1)
    w = np.random.default_rng(2).uniform(0.5, 2.0, x.size) if weighted else None
    ref = _kdepy(x, y, kdepy_kernel, kdepy_bw, w)
    bw = kdepy_bw * math.sqrt(7) if kernel == "quartic" else kdepy_bw
    res = kde_grid(x, y, GRID, bandwidth=bw, kernel=kernel, weights=w)
    total = x.size if w is None else w.sum()
    ours = res.density / total
    assert np.abs(ours - ref).max() < 1e-3 * ref.max()
    assert res.total_weight == pytest.approx(total)


def test_mass_is_conserved_and_units_are_per_km2() -> None:
    x, y = _points(3000, 3)
    for kernel in ("gaussian", "quartic"):
        res = kde_grid(x, y, GRID, bandwidth=150.0, kernel=kernel)
        assert res.density.sum() * GRID.cell_area_km2 == pytest.approx(3000, rel=1e-9)
    # 100 events spread uniformly over 1 km² -> about 100 per km² in the middle
    g = GridSpec(0, 0, 20.0, 150, 150)
    gx, gy = np.meshgrid(
        np.linspace(1000, 2000, 10, endpoint=False) + 50,
        np.linspace(1000, 2000, 10, endpoint=False) + 50,
    )
    res = kde_grid(gx.ravel(), gy.ravel(), g, bandwidth=60.0)
    assert res.density[75, 75] == pytest.approx(100.0, rel=0.02)


def test_points_outside_the_grid_contribute_near_edges() -> None:
    x, y = _points(2000, 4)
    big = GridSpec(0.0, 0.0, 50.0, 200, 160)
    sub = GridSpec(2000.0, 2000.0, 50.0, 80, 60)  # window inside 'big'
    a = kde_grid(x, y, big, bandwidth=180.0).density
    b = kde_grid(x, y, sub, bandwidth=180.0).density
    np.testing.assert_allclose(b, a[40:100, 40:120], rtol=1e-9, atol=1e-9 * a.max())


def test_single_point_is_centred_and_symmetric() -> None:
    g = GridSpec(0.0, 0.0, 10.0, 41, 41)
    res = kde_grid([205.0], [205.0], g, bandwidth=40.0, kernel="quartic")
    d = res.density
    assert np.unravel_index(d.argmax(), d.shape) == (20, 20)
    np.testing.assert_allclose(d, d[::-1, :], atol=1e-12 * d.max())
    np.testing.assert_allclose(d, d.T, atol=1e-12 * d.max())
    assert d[20, 25] == 0.0  # outside the 40 m radius (50 m away)
    assert d.sum() * g.cell_area_km2 == pytest.approx(1.0)


def test_empty_input_gives_zero_density() -> None:
    res = kde_grid([], [], GRID, bandwidth=100.0)
    assert res.density.shape == GRID.shape and not res.density.any()


def test_linear_binning_preserves_weight_and_centroid() -> None:
    x, y = _points(1000, 5)
    w = np.random.default_rng(0).random(1000)
    b = linear_binning(x, y, GRID, weights=w)
    assert b.sum() == pytest.approx(w.sum())
    xc, yc = GRID.cell_centers()
    assert (b.sum(axis=0) @ xc) / b.sum() == pytest.approx((w @ x) / w.sum())
    assert (b.sum(axis=1) @ yc) / b.sum() == pytest.approx((w @ y) / w.sum())


def test_bandwidth_rules() -> None:
    x, y = _points(2000, 6)
    n = x.size
    s = math.sqrt((x.var() + y.var()) / 2)
    assert select_bandwidth(x, y, "scott") == pytest.approx(s * n ** (-1 / 6))
    assert select_bandwidth(x, y, "scott", kernel="quartic") == pytest.approx(
        2 * math.sqrt(2) * s * n ** (-1 / 6)
    )
    assert select_bandwidth(x, y, "silverman") <= select_bandwidth(x, y, "scott")
    sd = math.sqrt(x.var() + y.var())
    dm = np.median(np.hypot(x - x.mean(), y - y.mean()))
    expected = 0.9 * min(sd, math.sqrt(1 / math.log(2)) * dm) * n ** (-0.2)
    assert select_bandwidth(x, y, "arcgis", kernel="quartic") == pytest.approx(expected, rel=1e-3)
    # equal weights change nothing
    assert select_bandwidth(x, y, "scott", weights=np.full(n, 3.0)) == pytest.approx(
        select_bandwidth(x, y, "scott")
    )
    res = kde_grid(x, y, GRID, bandwidth="silverman")
    assert res.bandwidth_rule == "silverman" and res.bandwidth == pytest.approx(
        select_bandwidth(x, y, "silverman")
    )


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        (([0.0, np.nan], [0.0, 1.0]), {"bandwidth": 100.0}, "non-finite"),
        (([0.0, 1.0], [0.0, np.inf]), {"bandwidth": 100.0}, "non-finite"),
        (([0.0, 1.0], [0.0]), {"bandwidth": 100.0}, "length mismatch"),
        (([0.0, 1.0], [0.0, 1.0]), {"bandwidth": -5.0}, "> 0"),
        (([0.0, 1.0], [0.0, 1.0]), {"bandwidth": 0.0}, "> 0"),
        (([0.0, 1.0], [0.0, 1.0]), {"bandwidth": float("nan")}, "finite"),
        (([0.0, 1.0], [0.0, 1.0]), {"bandwidth": 100.0, "kernel": "box"}, "kernel"),
        (([0.0, 1.0], [0.0, 1.0]), {"bandwidth": "guess"}, "rule"),
        (([5.0], [5.0]), {"bandwidth": "scott"}, "two events"),
        (([5.0, 5.0], [5.0, 5.0]), {"bandwidth": "scott"}, "spread"),
        (([0.0, 1.0], [0.0, 1.0]), {"bandwidth": 10.0, "weights": [1.0, -1.0]}, "non-negative"),
    ],
)
def test_bad_input(args, kwargs, message) -> None:
    with pytest.raises(AnalysisInputError, match=message):
        kde_grid(*args, GRID, **kwargs)
