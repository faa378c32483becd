"""Property-based tests (hypothesis) for invariants of the analysis library."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import sparse

from brygga.analysis import (
    AnalysisInputError,
    GridSpec,
    area_counts,
    benjamini_hochberg,
    garwood_interval,
    gi_star,
    gi_star_grid,
    grid_counts,
    h3_counts,
    kde_grid,
    knox_test,
    suppress_small_counts,
    wgs84_to_sweref99tm,
)

# derandomize: the same examples on every run (no flaky CI), still broad coverage
FAST = settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)

coord = st.floats(min_value=0.0, max_value=2000.0, allow_nan=False, allow_infinity=False)
points = st.lists(st.tuples(coord, coord), min_size=0, max_size=120)
GRID = GridSpec(0.0, 0.0, 100.0, 20, 20)
AREAS = [
    shapely.box(0, 0, 1000, 1000),
    shapely.box(1000, 0, 2000, 2000),
    shapely.box(0, 1000, 1000, 2000),
]


def _xy(pts: list[tuple[float, float]]) -> tuple[np.ndarray, np.ndarray]:
    arr = np.array(pts, dtype=float).reshape(-1, 2)
    return arr[:, 0], arr[:, 1]


@FAST
@given(pts=points, seed=st.integers(0, 2**32 - 1))
def test_counts_are_invariant_under_point_order(pts, seed) -> None:
    x, y = _xy(pts)
    perm = np.random.default_rng(seed).permutation(x.size)
    a = grid_counts(x, y, GRID)
    b = grid_counts(x[perm], y[perm], GRID)
    np.testing.assert_array_equal(a.counts, b.counts)
    assert a.counts.sum() + a.n_outside == x.size
    np.testing.assert_array_equal(area_counts(x, y, AREAS), area_counts(x[perm], y[perm], AREAS))
    assert area_counts(x, y, AREAS).sum() == x.size  # the three boxes cover the square


@FAST
@given(
    # points stay 4 sd + a cell from the grid edge, so no kernel mass leaves the grid
    pts=st.lists(
        st.tuples(st.floats(900.0, 1100.0), st.floats(900.0, 1100.0)), min_size=1, max_size=80
    ),
    bw=st.floats(30.0, 150.0),
    kernel=st.sampled_from(["gaussian", "quartic"]),
    weighted=st.booleans(),
)
def test_kde_total_mass_equals_total_weight(pts, bw, kernel, weighted) -> None:
    x, y = _xy(pts)
    w = np.linspace(0.5, 2.0, x.size) if weighted else None
    res = kde_grid(x, y, GRID, bandwidth=bw, kernel=kernel, weights=w)
    total = x.size if w is None else w.sum()
    assert (res.density >= 0).all()
    assert res.density.sum() * GRID.cell_area_km2 == pytest.approx(total, rel=1e-9)


@FAST
@given(
    pts=st.lists(
        st.tuples(st.integers(0, 500), st.integers(0, 500), st.integers(0, 60)),
        min_size=0,
        max_size=60,
    ),
    seed=st.integers(0, 2**32 - 1),
)
def test_knox_observed_is_invariant_under_event_order(pts, seed) -> None:
    arr = np.array(pts, dtype=float).reshape(-1, 3)
    x, y, t = arr[:, 0], arr[:, 1], arr[:, 2]
    perm = np.random.default_rng(seed).permutation(x.size)
    kw = {"space_bands": [50, 100], "time_bands": [3, 7], "permutations": 0}
    a = knox_test(x, y, t, **kw)
    b = knox_test(x[perm], y[perm], t[perm], **kw)
    np.testing.assert_array_equal(a.observed, b.observed)
    assert a.observed.sum() == x.size * (x.size - 1) // 2
    assert (a.observed >= 0).all()


@FAST
@given(
    nr=st.integers(1, 8),
    nc=st.integers(1, 8),
    value=st.floats(0.0, 1e6),
    kind=st.sampled_from(["queen", "rook"]),
)
def test_gi_star_all_equal_values_never_divide_by_zero(nr, nc, value, kind) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any RuntimeWarning (0/0) fails the test
        res = gi_star_grid(np.full((nr, nc), value), kind=kind, permutations=19, seed=1)
    assert np.array_equal(res.z, np.zeros((nr, nc)))
    assert np.array_equal(res.p_sim, np.ones((nr, nc)))
    assert not res.hotspot_class.any()


@FAST
@given(values=st.lists(st.floats(0.0, 100.0), min_size=2, max_size=40), seed=st.integers(0, 1000))
def test_gi_star_p_values_are_valid(values, seed) -> None:
    y = np.array(values)
    n = y.size
    w = sparse.diags([np.ones(n - 1), np.ones(n - 1)], [-1, 1], format="csr")  # a chain
    res = gi_star(y, w, permutations=49, seed=seed)
    assert np.isfinite(res.z).all()
    assert ((res.p_sim >= 1 / 50) & (res.p_sim <= 1)).all()
    assert ((res.q_values >= 0) & (res.q_values <= 1)).all()


@FAST
@given(p=st.lists(st.floats(0.0, 1.0), min_size=1, max_size=60))
def test_bh_q_values_are_monotone_and_not_below_p(p) -> None:
    pa = np.array(p)
    q = benjamini_hochberg(pa)
    assert (q >= pa - 1e-15).all() and (q <= 1).all()
    order = np.argsort(pa, kind="mergesort")
    assert (np.diff(q[order]) >= -1e-15).all()


@FAST
@given(x=st.lists(st.integers(0, 10_000), min_size=1, max_size=30), level=st.floats(0.5, 0.999))
def test_garwood_interval_brackets_the_count(x, level) -> None:
    xa = np.array(x, dtype=float)
    lo, hi = garwood_interval(xa, level)
    assert (lo <= xa).all() and (xa <= hi).all() and (lo[xa == 0] == 0).all()


@FAST
@given(counts=st.lists(st.integers(0, 50), min_size=1, max_size=30), k=st.integers(1, 10))
def test_suppression_labels(counts, k) -> None:
    c = np.array(counts)
    res = suppress_small_counts(c, k=k)
    for v, label, s in zip(c, res.labels, res.suppressed, strict=True):
        assert s == (v < k)
        assert label == (f"<{k}" if v < k else str(v))


def test_empty_and_single_point_inputs() -> None:
    e = np.array([])
    assert grid_counts(e, e, GRID).counts.sum() == 0
    assert area_counts(e, e, AREAS).tolist() == [0, 0, 0]
    assert kde_grid(e, e, GRID, bandwidth=50.0).density.sum() == 0
    assert knox_test(e, e, e, space_bands=10, time_bands=1).n_pairs == 0
    assert h3_counts(e, e, 8).counts.size == 0
    one = np.array([1234.5])
    assert grid_counts(one, one, GRID).counts[12, 12] == 1
    assert (
        area_counts(one, one, AREAS).tolist() == [0, 0, 0]
        or area_counts(one, one, AREAS).sum() == 1
    )
    single = kde_grid(one, one, GRID, bandwidth=80.0)
    assert single.density.sum() * GRID.cell_area_km2 == pytest.approx(1.0)
    assert np.unravel_index(single.density.argmax(), GRID.shape) == (12, 12)


BAD = st.sampled_from([np.nan, np.inf, -np.inf])


@FAST
@given(
    n=st.integers(1, 20),
    data=st.data(),
    which=st.sampled_from(["x", "y"]),
    fn=st.sampled_from(["grid", "kde", "knox", "areas", "project", "h3"]),
)
def test_nonfinite_coordinates_are_rejected_with_a_clear_message(n, data, which, fn) -> None:
    x = np.linspace(100, 900, n)
    y = np.linspace(200, 800, n)
    pos = data.draw(st.integers(0, n - 1))
    bad = data.draw(BAD)
    (x if which == "x" else y)[pos] = bad
    calls = {
        "grid": lambda: grid_counts(x, y, GRID),
        "kde": lambda: kde_grid(x, y, GRID, bandwidth=50.0),
        "knox": lambda: knox_test(x, y, np.arange(n), space_bands=100, time_bands=7),
        "areas": lambda: area_counts(x, y, AREAS),
        "project": lambda: wgs84_to_sweref99tm(x / 100, y / 20),
        "h3": lambda: h3_counts(x / 100, y / 20, 7),
    }
    with pytest.raises(AnalysisInputError, match=rf"non-finite .*first at index {pos}"):
        calls[fn]()
