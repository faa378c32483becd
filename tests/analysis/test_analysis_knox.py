"""Knox near-repeat test: equality with pointpats and brute-force checks."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from pointpats.spacetime import Knox

from brygga.analysis import AnalysisInputError, knox_test

PERMS = 999


def _events(n: int, seed: int, *, near_repeat: int = 60) -> tuple[np.ndarray, ...]:
    """Integer metres and integer days (many exact ties at thresholds), with
    some near-repeat pairs planted."""
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 3000, n).astype(float)
    y = rng.integers(0, 3000, n).astype(float)
    t = rng.integers(0, 365, n).astype(float)
    k = near_repeat
    x[:k] = x[k : 2 * k] + rng.integers(-60, 61, k)
    y[:k] = y[k : 2 * k] + rng.integers(-60, 61, k)
    t[:k] = t[k : 2 * k] + rng.integers(0, 8, k)
    return x, y, t


def _pointpats(x, y, t, delta, tau, permutations, seed):
    np.random.seed(seed)  # pointpats uses the global numpy RNG
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return Knox(
            np.column_stack([x, y]), t[:, None], delta=delta, tau=tau, permutations=permutations
        )


@pytest.mark.parametrize(("delta", "tau"), [(100.0, 7.0), (50.0, 3.0), (250.0, 14.0), (5.0, 0.0)])
def test_observed_table_equals_pointpats(delta: float, tau: float) -> None:
    x, y, t = _events(500, 1)
    ref = _pointpats(x, y, t, delta, tau, 0, 0)
    ours = knox_test(x, y, t, space_bands=delta, time_bands=tau, permutations=0)
    assert ours.observed[0, 0] == ref.nst
    np.testing.assert_array_equal(ours.observed, ref.observed)
    np.testing.assert_allclose(ours.expected_analytic, ref.expected, rtol=1e-12)
    assert ours.observed.sum() == 500 * 499 // 2


def test_ties_exactly_at_thresholds_count_as_close() -> None:
    # 3-4-5 triangle: distance exactly 100 m; times exactly 7 days apart
    x = np.array([0.0, 60.0, 1000.0, 5000.0])
    y = np.array([0.0, 80.0, 1000.0, 5000.0])
    t = np.array([0.0, 7.0, 3.0, 100.0])
    ours = knox_test(x, y, t, space_bands=100, time_bands=7, permutations=0)
    ref = _pointpats(x, y, t, 100, 7, 0, 0)
    assert ours.observed[0, 0] == 1 == ref.nst


def test_float_coordinates_and_times_equal_pointpats() -> None:
    rng = np.random.default_rng(4)
    x, y, t = (v + rng.random(v.size) for v in _events(400, 2))
    ref = _pointpats(x, y, t, 120.0, 10.5, 0, 0)
    ours = knox_test(x, y, t, space_bands=120.0, time_bands=10.5, permutations=0)
    np.testing.assert_array_equal(ours.observed, ref.observed)


@pytest.mark.parametrize(
    ("n_planted", "delta", "tau"), [(60, 100.0, 7.0), (8, 150.0, 10.0), (3, 150.0, 10.0)]
)
def test_p_values_agree_with_pointpats(n_planted: int, delta: float, tau: float, mc_tol) -> None:
    x, y, t = _events(350, 3, near_repeat=n_planted)
    ref = _pointpats(x, y, t, delta, tau, PERMS, 11)
    ours = knox_test(x, y, t, space_bands=delta, time_bands=tau, permutations=PERMS, seed=12)
    assert ours.observed[0, 0] == ref.nst
    p_ref, p_ours = ref.p_sim, ours.p_value[0, 0]
    assert abs(p_ours - p_ref) <= mc_tol(np.array(p_ref), PERMS), (p_ours, p_ref)


def test_multi_band_table_matches_brute_force() -> None:
    x, y, t = _events(300, 5)
    s_edges = [0.0, 50.0, 100.0, 200.0]
    t_edges = [0.0, 7.0, 14.0, 28.0]
    res = knox_test(x, y, t, space_bands=s_edges, time_bands=t_edges, permutations=199, seed=1)
    i, j = np.triu_indices(x.size, k=1)
    d = np.hypot(x[i] - x[j], y[i] - y[j])
    dt = np.abs(t[i] - t[j])
    sb = np.searchsorted(s_edges, d, side="left")
    tb = np.searchsorted(t_edges, dt, side="left")
    brute = np.zeros((5, 5), dtype=np.int64)
    np.add.at(brute, (sb, tb), 1)
    np.testing.assert_array_equal(res.observed, brute)
    assert res.n_close_pairs == int((d <= 200).sum())
    # Monte Carlo mean is close to the exact permutation expectation
    assert np.allclose(res.expected.sum(axis=1), res.observed.sum(axis=1))
    assert np.allclose(res.expected.sum(axis=0), res.observed.sum(axis=0))
    close = res.expected_analytic[:4, :4]
    se = np.sqrt(np.maximum(close, 1.0) / 199)
    assert (np.abs(res.expected[:4, :4] - close) <= 6 * se + 0.05).all()
    # the planted near repeats show up in the closest space-time cell
    assert res.knox_ratio[1, 1] > 2 and res.p_value[1, 1] <= 0.01
    assert res.space_labels[-1] == "> 200 m" and res.time_labels[0] == "0 d"


def test_permutations_keep_marginals_and_are_seeded() -> None:
    x, y, t = _events(250, 6)
    kw = {"space_bands": [100, 200], "time_bands": [7, 14], "permutations": 99}
    a = knox_test(x, y, t, seed=3, **kw)
    b = knox_test(x, y, t, seed=3, n_jobs=2, chunk_size=17, **kw)
    c = knox_test(x, y, t, seed=4, **kw)
    np.testing.assert_array_equal(a.p_value, b.p_value)
    np.testing.assert_array_equal(a.expected, b.expected)
    assert not np.array_equal(a.expected, c.expected)


def test_datetime_times_equal_day_numbers() -> None:
    x, y, t = _events(200, 7)
    dt = np.datetime64("2024-01-01T00:00") + (t * 24 * 60).astype("timedelta64[m]")
    a = knox_test(x, y, t, space_bands=100, time_bands=7, permutations=0)
    b = knox_test(x, y, dt, space_bands=100, time_bands=7, permutations=0)
    np.testing.assert_array_equal(a.observed, b.observed)


def test_no_pairs_and_tiny_inputs() -> None:
    empty = knox_test([], [], [], space_bands=100, time_bands=7)
    assert empty.observed.sum() == 0 and empty.n_pairs == 0
    one = knox_test([1.0], [2.0], [3.0], space_bands=100, time_bands=7)
    assert one.observed.sum() == 0 and (one.p_value == 1).all()
    far = knox_test(
        [0.0, 1e6], [0.0, 0.0], [0.0, 1.0], space_bands=100, time_bands=7, permutations=9
    )
    assert far.observed.tolist() == [[0, 0], [1, 0]] and far.n_close_pairs == 0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"x": [0.0, np.nan], "y": [0, 1], "t": [0, 1]}, "non-finite"),
        ({"x": [0.0, 1.0], "y": [0, np.inf], "t": [0, 1]}, "non-finite"),
        ({"x": [0.0, 1.0], "y": [0, 1], "t": [0, 1, 2]}, "length mismatch"),
        ({"x": [0.0, 1.0], "y": [0, 1], "t": [0, 1], "space_bands": -5}, ">= 0"),
        ({"x": [0.0, 1.0], "y": [0, 1], "t": [0, 1], "time_bands": [14, 7]}, "increasing"),
        ({"x": [0.0, 1.0], "y": [0, 1], "t": [0, 1], "permutations": -1}, "permutations"),
    ],
)
def test_bad_input(kwargs, message) -> None:
    args = {"space_bands": 100, "time_bands": 7, **kwargs}
    x, y, t = args.pop("x"), args.pop("y"), args.pop("t")
    with pytest.raises(AnalysisInputError, match=message):
        knox_test(x, y, t, **args)
