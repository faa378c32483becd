"""Gi* hot spots: equality with esda's G_Local(star=True) and our own checks."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from esda.crand import vec_permutations
from esda.getisord import G_Local
from libpysal.weights import W, lat2W
from scipy import sparse
from statsmodels.stats.multitest import multipletests

from brygga.analysis import (
    AnalysisInputError,
    benjamini_hochberg,
    gi_star,
    gi_star_grid,
    grid_contiguity,
    hotspot_classes,
    neighbours_to_sparse,
)
from brygga.analysis import hotspots as hs

PERMS = 999


def _clustered_counts(nr: int, nc: int, seed: int) -> np.ndarray:
    """Poisson counts with two hot spots and a cold corner (crime-like grid)."""
    rng = np.random.default_rng(seed)
    rr, cc = np.mgrid[0:nr, 0:nc]
    lam = 2.0 + 12.0 * np.exp(-((rr - nr * 0.3) ** 2 + (cc - nc * 0.3) ** 2) / 8.0)
    lam += 8.0 * np.exp(-((rr - nr * 0.75) ** 2 + (cc - nc * 0.7) ** 2) / 5.0)
    lam[: nr // 4, -nc // 4 :] = 0.2
    return rng.poisson(lam).astype(float).ravel()


def _esda(y: np.ndarray, w: W, permutations: int = 0, seed: int = 1) -> G_Local:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return G_Local(
            y,
            w,
            transform="B",
            star=True,
            permutations=permutations,
            seed=seed,
            n_jobs=1,
            keep_simulations=permutations > 0,
        )


@pytest.mark.parametrize("kind", ["queen", "rook"])
@pytest.mark.parametrize("data", ["random", "clustered"])
def test_z_scores_equal_esda(kind: str, data: str) -> None:
    nr, nc = 17, 23
    if data == "random":
        y = np.random.default_rng(11).random(nr * nc) * 10
    else:
        y = _clustered_counts(nr, nc, 12)
    ours = gi_star(y, grid_contiguity(nr, nc, kind), permutations=0)
    ref = _esda(y, lat2W(nr, nc, rook=(kind == "rook")))
    np.testing.assert_allclose(ours.z, ref.Zs, rtol=0, atol=1e-9)
    np.testing.assert_allclose(ours.g, ref.Gs, rtol=1e-12, atol=0)
    # our two-sided normal p is twice esda's one-sided p_norm
    np.testing.assert_allclose(ours.p_norm, 2 * ref.p_norm, rtol=1e-9, atol=1e-15)
    assert np.abs(ours.z).max() > 1.0  # the comparison is not vacuous


def test_z_scores_equal_esda_on_irregular_areas() -> None:
    """Areas with contiguity given as neighbour lists (varying cardinality)."""
    rng = np.random.default_rng(3)
    n = 60
    nb: dict[int, set[int]] = {i: set() for i in range(n)}
    for i in range(n):
        for j in rng.choice(n, size=rng.integers(1, 6), replace=False):
            if j != i:
                nb[i].add(int(j))
                nb[int(j)].add(i)
    lists = [sorted(nb[i]) for i in range(n)]
    y = rng.gamma(2.0, 3.0, n)
    ours = gi_star(y, neighbours_to_sparse(lists), permutations=0)
    ref = _esda(y, W({i: lists[i] for i in range(n)}, silence_warnings=True))
    np.testing.assert_allclose(ours.z, ref.Zs, rtol=0, atol=1e-9)
    # passing the lists directly is equivalent
    np.testing.assert_array_equal(gi_star(y, lists, permutations=0).z, ours.z)


def test_permutation_inference_matches_esda(mc_tol) -> None:
    """One test (so esda's numba engine is compiled once per process) with
    three checks of the conditional permutation against esda."""
    # (1) Fed esda's own permutation matrix, our vectorised conditional
    # randomisation gives exactly esda's exceedance counts and p-values.
    nr, nc = 14, 16
    n = nr * nc
    y = np.random.default_rng(5).random(n)
    w = grid_contiguity(nr, nc, "queen")
    ref = _esda(y, lat2W(nr, nc, rook=False), permutations=PERMS, seed=7)
    kmax = int(np.diff(w.indptr).max())
    pid = vec_permutations(kmax, n, PERMS, 7)  # what esda drew with seed=7
    w_off, _ = hs._prepare_weights(w, n, None)
    plan = hs._make_plan(y, w_off, w_off @ y)
    ge, le = hs._perm_batch(plan, np.asarray(pid, dtype=np.int64))
    sims = ref.rGs  # (n, permutations)
    np.testing.assert_array_equal(ge, (sims >= ref.Gs[:, None]).sum(axis=1))
    np.testing.assert_array_equal(le, (sims <= ref.Gs[:, None]).sum(axis=1))
    np.testing.assert_allclose((np.minimum(ge, le) + 1.0) / (PERMS + 1), ref.p_sim, atol=1e-7)

    # (2) With our own random draws the p-values agree within Monte Carlo error.
    ours = gi_star(y, w, permutations=PERMS, seed=2024)
    d = np.abs(ours.p_sim - ref.p_sim)
    assert (d <= mc_tol(ref.p_sim, PERMS)).all(), d.max()
    # on average the difference is what Monte Carlo error predicts, not more
    expected_mad = np.sqrt(2 / np.pi) * np.sqrt(2 * ref.p_sim * (1 - ref.p_sim) / (PERMS + 1))
    assert d.mean() < 1.6 * expected_mad.mean() + 1e-3
    assert np.corrcoef(ours.p_sim, ref.p_sim)[0, 1] > 0.95

    # (3) The same on a clustered count grid with rook contiguity.
    nr, nc = 12, 12
    yc = _clustered_counts(nr, nc, 8) + np.random.default_rng(1).random(nr * nc) * 1e-3
    ref_c = _esda(yc, lat2W(nr, nc, rook=True), permutations=PERMS, seed=3)
    ours_c = gi_star(yc, grid_contiguity(nr, nc, "rook"), permutations=PERMS, seed=4)
    assert (np.abs(ours_c.p_sim - ref_c.p_sim) <= mc_tol(ref_c.p_sim, PERMS)).all()
    assert (ref_c.p_sim < 0.01).sum() > 5  # there are real hot/cold spots to agree on


def test_general_weights_path_matches_brute_force() -> None:
    """Rows with unequal neighbour weights use the O(n k) path; check it
    against a direct loop over units with the same draws."""
    rng = np.random.default_rng(9)
    n = 40
    dense = np.zeros((n, n))
    for i in range(n):
        js = rng.choice([j for j in range(n) if j != i], size=rng.integers(1, 5), replace=False)
        dense[i, js] = rng.uniform(0.2, 2.0, js.size)
    y = rng.random(n) * 5
    w = sparse.csr_matrix(dense)
    w_off, selfw = hs._prepare_weights(w, n, None)
    obs = w_off @ y
    plan = hs._make_plan(y, w_off, obs)
    assert plan.general_groups  # exercise the general path
    pid = hs._draw_ids(np.random.default_rng(1), n - 1, int(np.diff(w_off.indptr).max()), 300)
    ge, le = hs._perm_batch(plan, pid)
    for i in range(n):
        cols = w_off.indices[w_off.indptr[i] : w_off.indptr[i + 1]]
        wts = w_off.data[w_off.indptr[i] : w_off.indptr[i + 1]]
        others = np.delete(y, i)
        sims = others[pid[:, : cols.size]] @ wts
        assert ge[i] == (sims >= obs[i] - 1e-9).sum()
        assert le[i] == (sims <= obs[i] + 1e-9).sum()
    # z-scores follow Ord & Getis (1995) for general weights
    full = dense + np.diag(selfw)
    wi, s1 = full.sum(1), (full**2).sum(1)
    s = y.std()
    z = (full @ y - y.mean() * wi) / (s * np.sqrt((n * s1 - wi**2) / (n - 1)))
    np.testing.assert_allclose(gi_star(y, w, permutations=0).z, z, atol=1e-10)


def test_draws_are_uniform_without_replacement() -> None:
    rng = np.random.default_rng(0)
    for n_minus_1, k in ((30, 8), (9, 8)):  # rejection path and argpartition path
        ids = hs._draw_ids(rng, n_minus_1, k, 20000)
        assert ids.min() >= 0 and ids.max() < n_minus_1
        assert (np.sort(ids, axis=1)[:, 1:] != np.sort(ids, axis=1)[:, :-1]).all()
        freq = np.bincount(ids[:, 0], minlength=n_minus_1) / ids.shape[0]
        assert np.abs(freq - 1 / n_minus_1).max() < 6 * np.sqrt(1 / n_minus_1 / 20000)
        # first two draws are independent of order (pairs equally likely both ways)
        a, b = ids[:, 0], ids[:, 1]
        assert abs(np.mean(a < b) - 0.5) < 0.02


def test_all_equal_values_do_not_divide_by_zero() -> None:
    w = grid_contiguity(6, 7, "queen")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = gi_star(np.full(42, 3.0), w, permutations=99)
    assert np.array_equal(res.z, np.zeros(42))
    assert np.array_equal(res.p_norm, np.ones(42))
    assert np.array_equal(res.p_sim, np.ones(42))
    assert not res.hotspot_class.any()
    res0 = gi_star(np.zeros(42), w, permutations=9)
    assert np.isnan(res0.g).all() and not res0.hotspot_class.any()


def test_single_unit_and_empty() -> None:
    one = gi_star([5.0], sparse.csr_matrix((1, 1)), permutations=99)
    assert one.z.tolist() == [0.0] and one.p_sim.tolist() == [1.0]
    empty = gi_star([], sparse.csr_matrix((0, 0)), permutations=99)
    assert empty.z.size == 0 and empty.hotspot_class.size == 0


def test_hot_and_cold_spots_are_found() -> None:
    nr = nc = 30
    rr, cc = np.mgrid[0:nr, 0:nc]
    rng = np.random.default_rng(1)
    lam = 3 + 25 * np.exp(-((rr - 8) ** 2 + (cc - 8) ** 2) / 6.0)
    lam[18:, 18:] = 0.05
    y = rng.poisson(lam).astype(float)
    res = gi_star_grid(y, kind="queen", permutations=PERMS, seed=1)
    assert res.hotspot_class.shape == (nr, nc)
    # 999 permutations: smallest two-sided p is 0.002, so after FDR the centre
    # reaches at least 95 %; without FDR it is a 99 % hot spot
    assert res.hotspot_class[8, 8] >= 2
    assert res.hotspot_class[24, 24] < 0
    assert res.hotspot_class[0, 29] == 0 or abs(res.z[0, 29]) > 1.6
    sig = res.hotspot_class != 0
    assert np.array_equal(np.sign(res.hotspot_class[sig]), np.sign(res.z[sig]).astype(np.int8))
    # FDR can only remove significance, never add it
    raw = gi_star_grid(y, kind="queen", permutations=PERMS, seed=1, fdr=False)
    assert raw.hotspot_class[8, 8] == 3
    assert (np.abs(raw.hotspot_class) >= np.abs(res.hotspot_class)).all()
    # analytic inference path
    an = gi_star_grid(y, permutations=0)
    assert an.p_sim is None and an.inference == "analytic" and an.hotspot_class[8, 8] == 3


def test_grid_mask_excludes_cells() -> None:
    y = _clustered_counts(10, 12, 2).reshape(10, 12)
    mask = np.ones((10, 12), dtype=bool)
    mask[:, :3] = False
    y_nan = y.copy()
    y_nan[~mask] = np.nan  # values outside the study area are ignored
    res = gi_star_grid(y_nan, mask=mask, permutations=99, seed=1)
    assert np.isnan(res.z[~mask]).all() and (res.hotspot_class[~mask] == 0).all()
    sub = gi_star(y[:, 3:].ravel(), grid_contiguity(10, 9), permutations=99, seed=1)
    np.testing.assert_allclose(res.z[:, 3:].ravel(), sub.z)
    np.testing.assert_array_equal(res.p_sim[:, 3:].ravel(), sub.p_sim)


def test_seeded_and_thread_independent() -> None:
    y = _clustered_counts(40, 40, 3)
    w = grid_contiguity(40, 40)
    a = gi_star(y, w, permutations=999, seed=5)
    b = gi_star(y, w, permutations=999, seed=5, n_jobs=2)
    c = gi_star(y, w, permutations=999, seed=6)
    np.testing.assert_array_equal(a.p_sim, b.p_sim)
    assert not np.array_equal(a.p_sim, c.p_sim)
    np.testing.assert_array_equal(a.p_sim_two_sided, np.minimum(1, 2 * a.p_sim))


def test_benjamini_hochberg_matches_statsmodels() -> None:
    p = np.random.default_rng(2).random(500) ** 3
    np.testing.assert_allclose(benjamini_hochberg(p), multipletests(p, method="fdr_bh")[1])
    with_nan = p.copy()
    with_nan[[3, 7]] = np.nan
    q = benjamini_hochberg(with_nan)
    assert np.isnan(q[[3, 7]]).all()
    ok = ~np.isnan(with_nan)
    np.testing.assert_allclose(q[ok], multipletests(p[ok], method="fdr_bh")[1])


def test_hotspot_classes() -> None:
    z = np.array([3.0, 2.0, 1.7, 0.5, -1.7, -2.0, -3.0, 2.5])
    p = np.array([0.005, 0.03, 0.08, 0.6, 0.08, 0.03, 0.001, np.nan])
    assert hotspot_classes(z, p).tolist() == [3, 2, 1, 0, -1, -2, -3, 0]


@pytest.mark.parametrize(
    ("values", "weights", "message"),
    [
        ([1.0, np.nan, 2.0], grid_contiguity(1, 3), "non-finite"),
        ([1.0, -2.0, 2.0], grid_contiguity(1, 3), "non-negative"),
        ([1.0, 2.0], grid_contiguity(1, 3), "shape"),
        ([1.0, 2.0, 3.0], sparse.csr_matrix(-np.ones((3, 3))), "non-negative"),
    ],
)
def test_bad_input(values, weights, message) -> None:
    with pytest.raises(AnalysisInputError, match=message):
        gi_star(values, weights)
    with pytest.raises(ValueError):  # AnalysisInputError is a ValueError
        gi_star(values, weights)


def test_contiguity_matches_libpysal() -> None:
    for rook in (True, False):
        ours = grid_contiguity(9, 13, "rook" if rook else "queen")
        ref = lat2W(9, 13, rook=rook).sparse
        assert (ours != ref).nnz == 0
    mask = np.random.default_rng(0).random((9, 13)) > 0.3
    full = grid_contiguity(9, 13, "queen")
    idx = np.flatnonzero(mask.ravel())
    sub = grid_contiguity(9, 13, "queen", mask=mask)
    assert (sub != full[idx][:, idx]).nnz == 0
    with pytest.raises(AnalysisInputError):
        grid_contiguity(3, 3, "bishop")
