"""Getis-Ord Gi* hot-spot analysis with analytic and permutation inference.

For values ``y`` (e.g. crime counts per grid cell or per area) and spatial
weights ``w`` (a sparse matrix, see :mod:`brygga.analysis.contiguity`), the
Gi* statistic of unit ``i`` compares the weighted sum over ``i`` *and* its
neighbours with what would be expected if values were spatially random:

    G*_i = sum_j w_ij y_j / sum_j y_j                     (self included, w_ii > 0)

    z_i  = (sum_j w_ij y_j - ybar W_i) / (s * sqrt((n S1_i - W_i^2) / (n - 1)))

with ``W_i = sum_j w_ij``, ``S1_i = sum_j w_ij^2``, ``ybar`` the mean and ``s``
the population standard deviation of ``y`` (Ord & Getis 1995, eq. 9). For
binary weights this is exactly esda's ``G_Local(y, w, transform="B",
star=True).Zs``.

Inference
---------
* analytic: two-sided normal p-value ``2 * (1 - Phi(|z|))``;
* conditional permutation (Anselin 1995): ``y_i`` is held fixed and the
  ``k_i`` neighbour values are replaced by a random draw without replacement
  from the other ``n - 1`` values. As in esda, one matrix of random draws
  (permutations x max k) is shared by all units, the draw for unit ``i``
  being taken from the values with ``y_i`` removed. The one-sided ("folded")
  pseudo p-value is ``(min(#{R >= O}, #{R <= O}) + 1) / (P + 1)`` where ``O`` is
  the observed neighbour sum and ``R`` the permuted ones; for continuous data
  this is esda's ``p_sim``. Ties (common with counts) are counted in both
  tails, which is conservative; esda counts them only in the upper tail. The
  two-sided p-value is ``min(1, 2 * p_sim)``.

  Implementation: with ``y_(-i)[j] = y[j] + [j >= i] * (y[j+1] - y[j])`` the
  permuted sum for every unit is a shared per-permutation base sum plus a
  suffix sum of scattered differences, so each permutation costs O(n) numpy
  work per distinct neighbour count instead of O(n * k) gathers; rows whose
  neighbour weights differ fall back to an O(n * k) vectorised path.

Multiple testing: Benjamini-Hochberg false discovery rate (step-up) on the
p-values used for classification. Classes: +3/+2/+1 hot spot at 99/95/90 %
confidence, -3/-2/-1 cold spot, 0 not significant (the ArcGIS ``Gi_Bin``
convention); with ``fdr=True`` the thresholds apply to BH-adjusted p-values.

References:
    Getis A., Ord J.K. (1992), The analysis of spatial association by use of
    distance statistics, Geographical Analysis 24(3):189-206.
    Ord J.K., Getis A. (1995), Local spatial autocorrelation statistics:
    distributional issues and an application, Geographical Analysis
    27(4):286-306.
    Anselin L. (1995), Local indicators of spatial association - LISA,
    Geographical Analysis 27(2):93-115.
    Benjamini Y., Hochberg Y. (1995), Controlling the false discovery rate,
    JRSS B 57(1):289-300.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._validation import AnalysisInputError, as_1d_float, check_int

__all__ = [
    "GiStarResult",
    "benjamini_hochberg",
    "gi_star",
    "gi_star_grid",
    "hotspot_classes",
]

# Elements of a (permutations x units) work array processed at once.
_BATCH_ELEMENTS = 1 << 21


@dataclass(frozen=True)
class GiStarResult:
    """Result of :func:`gi_star` / :func:`gi_star_grid`.

    All arrays have one entry per unit (``(n,)``), or the grid shape for
    :func:`gi_star_grid` (cells outside the mask are NaN / class 0).

    Attributes:
        z: analytic Gi* z-scores (positive = high values cluster).
        p_norm: two-sided normal p-values of ``z``.
        p_sim: one-sided folded permutation pseudo p-values (esda's
            ``p_sim`` convention), or None without permutations.
        p_sim_two_sided: ``min(1, 2 * p_sim)``, or None.
        q_values: the p-values the classes are based on (two-sided
            permutation p if permutations were run, else ``p_norm``),
            Benjamini-Hochberg adjusted when ``fdr`` is True.
        hotspot_class: int8 classes -3..3 (see module docstring).
        g: the G*_i ratio ``sum_j w_ij y_j / sum(y)`` (NaN if ``sum(y) == 0``).
        n_neighbours: number of neighbours of each unit, self excluded.
        permutations, seed, fdr: the settings used.
        inference: ``"permutation"`` or ``"analytic"``.
    """

    z: NDArray[np.float64]
    p_norm: NDArray[np.float64]
    p_sim: NDArray[np.float64] | None
    p_sim_two_sided: NDArray[np.float64] | None
    q_values: NDArray[np.float64]
    hotspot_class: NDArray[np.int8]
    g: NDArray[np.float64]
    n_neighbours: NDArray[np.int64]
    permutations: int
    seed: int | None
    inference: str
    fdr: bool


def benjamini_hochberg(p_values: ArrayLike) -> NDArray[np.float64]:
    """Benjamini-Hochberg adjusted p-values (q-values), NaN-aware.

    ``q_(i) = min_{j >= i} min(1, m p_(j) / j)`` over the ``m`` non-NaN
    p-values sorted ascending; NaNs stay NaN. Rejecting ``q <= alpha``
    controls the false discovery rate at ``alpha`` for independent or
    positively dependent tests (Benjamini & Hochberg 1995).
    """
    p = np.asarray(p_values, dtype=np.float64)
    out = np.full(p.shape, np.nan)
    flat = p.ravel()
    ok = np.flatnonzero(~np.isnan(flat))
    m = ok.size
    if m == 0:
        return out
    pv = flat[ok]
    if (pv < 0).any() or (pv > 1).any():
        raise AnalysisInputError("p-values must lie in [0, 1]")
    order = np.argsort(pv, kind="mergesort")
    ranked = pv[order] * m / np.arange(1, m + 1)
    q = np.minimum.accumulate(ranked[::-1])[::-1]
    q = np.minimum(q, 1.0)
    res = np.empty(m)
    res[order] = q
    out_flat = out.ravel()
    out_flat[ok] = res
    return out_flat.reshape(p.shape)


def hotspot_classes(
    z: ArrayLike,
    p_values: ArrayLike,
    levels: Sequence[float] = (0.10, 0.05, 0.01),
) -> NDArray[np.int8]:
    """Hot/cold-spot classes from z-scores (direction) and p-values.

    Returns ``sign(z) * c`` where ``c`` is the number of ``levels`` (alpha
    values, default 90/95/99 % confidence) with ``p <= alpha``. NaN p-values
    give class 0.
    """
    za = np.asarray(z, dtype=np.float64)
    pa = np.asarray(p_values, dtype=np.float64)
    if za.shape != pa.shape:
        raise AnalysisInputError(f"z has shape {za.shape} but p_values has shape {pa.shape}")
    lv = sorted(float(a) for a in levels)
    if not lv or lv[0] <= 0 or lv[-1] >= 1:
        raise AnalysisInputError("levels must be alpha values strictly between 0 and 1")
    with np.errstate(invalid="ignore"):
        c = np.zeros(za.shape, dtype=np.int8)
        for a in lv:
            c += (pa <= a).astype(np.int8)
    return (np.sign(np.nan_to_num(za)).astype(np.int8) * c).astype(np.int8)


def _prepare_weights(
    weights: Any, n: int, self_weight: float | None
) -> tuple[Any, NDArray[np.float64]]:
    """Validate weights; return (off-diagonal CSR, self-weights)."""
    from scipy import sparse

    if isinstance(weights, list | tuple | dict):
        from .contiguity import neighbours_to_sparse

        w = neighbours_to_sparse(weights, n)  # type: ignore[arg-type]
    elif sparse.issparse(weights):
        w = sparse.csr_matrix(weights, dtype=np.float64, copy=True)
    else:
        arr = np.asarray(weights, dtype=np.float64)
        if arr.ndim != 2:
            raise AnalysisInputError(
                "weights must be a scipy.sparse matrix, a dense (n, n) array or neighbour lists"
            )
        w = sparse.csr_matrix(arr)
    if w.shape != (n, n):
        raise AnalysisInputError(
            f"weights must have shape ({n}, {n}) to match values, got {w.shape}"
        )
    w.sum_duplicates()
    if w.nnz and (not np.isfinite(w.data).all() or (w.data < 0).any()):
        raise AnalysisInputError("weights must be finite and non-negative")
    diag = w.diagonal().astype(np.float64)
    w.setdiag(0.0)
    w.eliminate_zeros()
    w.sort_indices()
    if self_weight is not None:
        sw = float(self_weight)
        if not np.isfinite(sw) or sw <= 0:
            raise AnalysisInputError(f"self_weight must be > 0, got {self_weight}")
        selfw = np.full(n, sw)
    elif (diag > 0).any():
        selfw = diag
    else:
        # esda's Gi* convention for binary weights: self-weight 1 (the row's
        # largest weight, which is 1 for 0/1 weights).
        rowmax = np.zeros(n)
        if w.nnz:
            rowmax = np.asarray(w.max(axis=1).todense()).ravel()
        selfw = np.where(rowmax > 0, rowmax, 1.0)
    return w, selfw


def _draw_ids(rng: np.random.Generator, n_minus_1: int, kmax: int, rows: int) -> NDArray[np.int64]:
    """``rows`` independent uniformly random ordered draws of ``kmax`` distinct
    integers from ``0 .. n_minus_1 - 1``."""
    if kmax * (kmax - 1) / 2.0 / n_minus_1 < 0.25:
        ids = rng.integers(0, n_minus_1, size=(rows, kmax), dtype=np.int64)
        if kmax > 1:
            while True:
                s = np.sort(ids, axis=1)
                bad = np.flatnonzero((s[:, 1:] == s[:, :-1]).any(axis=1))
                if bad.size == 0:
                    break
                ids[bad] = rng.integers(0, n_minus_1, size=(bad.size, kmax), dtype=np.int64)
        return ids
    keys = rng.random((rows, n_minus_1))
    part = np.argpartition(keys, kmax - 1, axis=1)[:, :kmax]
    order = np.argsort(np.take_along_axis(keys, part, axis=1), axis=1)
    return np.take_along_axis(part, order, axis=1).astype(np.int64)


@dataclass
class _PermPlan:
    """Precomputed per-unit data for the conditional permutation."""

    y: NDArray[Any]
    d: NDArray[Any]
    kmax: int
    # (k, cells, lo, hi, use_scan) for rows whose neighbour weights are all equal;
    # lo/hi are the observed neighbour sums divided by that weight, minus/plus a
    # tiny tolerance so that exact ties are counted in both tails.
    const_groups: list[tuple[int, NDArray[np.int64], NDArray[Any], NDArray[Any], bool]]
    # (k, cells, weight matrix (cells x k), lo, hi) for rows with unequal weights
    general_groups: list[
        tuple[int, NDArray[np.int64], NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]
    ]


def _make_plan(y64: NDArray[np.float64], w: Any, observed: NDArray[np.float64]) -> _PermPlan:
    n = y64.size
    k = np.diff(w.indptr).astype(np.int64)
    kmax = int(k.max()) if n else 0
    scale = float(np.abs(y64).max()) if n else 0.0
    # Integer-valued data with small sums are exact in float32: half the memory traffic.
    exact32 = bool(np.all(y64 == np.round(y64))) and scale * max(kmax, 1) < 2**23
    dtype = np.float32 if exact32 else np.float64
    y = y64.astype(dtype)
    d = np.zeros(n, dtype=dtype)
    d[: n - 1] = np.diff(y)
    starts = w.indptr[:-1]
    first = np.zeros(n)
    has = k > 0
    first[has] = w.data[starts[has]]
    const_row = np.ones(n, dtype=bool)
    if w.nnz:
        row_of = np.repeat(np.arange(n), k)
        diff = w.data != first[row_of]
        const_row[np.unique(row_of[diff])] = False
    const_groups = []
    general_groups = []
    for kv in np.unique(k[has]):
        kv = int(kv)
        tol_base = 1e-9 * max(scale, 1e-300) * kv
        cells_c = np.flatnonzero(has & const_row & (k == kv))
        if cells_c.size:
            target = observed[cells_c] / first[cells_c]
            if exact32:
                # sums are exact integers: compare against integer thresholds
                lo = np.ceil(target - 1e-6).astype(dtype)
                hi = np.floor(target + 1e-6).astype(dtype)
            else:
                tol = tol_base + 1e-12 * np.abs(target)
                lo, hi = target - tol, target + tol
            # a prefix scan over all units costs ~n per batch column; the direct
            # formula costs ~4 k per unit of the group
            use_scan = 4 * kv * cells_c.size > n
            const_groups.append((kv, cells_c, lo, hi, use_scan))
        cells_g = np.flatnonzero(has & ~const_row & (k == kv))
        if cells_g.size:
            wmat = np.stack([w.data[w.indptr[c] : w.indptr[c + 1]] for c in cells_g])
            tol = tol_base * wmat.max(axis=1) + 1e-12 * np.abs(observed[cells_g])
            general_groups.append(
                (kv, cells_g, wmat, observed[cells_g] - tol, observed[cells_g] + tol)
            )
    return _PermPlan(y=y, d=d, kmax=kmax, const_groups=const_groups, general_groups=general_groups)


def _scan_rows(a: NDArray[Any]) -> None:
    """In-place inclusive cumulative sum along axis 0 of a C-contiguous 2-D array.

    numpy's ``cumsum`` along an axis is a scalar loop; a blocked scan with
    whole-row vector additions is several times faster for ``(n, batch)``
    arrays.
    """
    n = a.shape[0]
    if n < 2:
        return
    blk = max(1, int(np.sqrt(n)))
    nb = n // blk
    main = nb * blk
    v = a[:main].reshape(nb, blk, a.shape[1])
    for j in range(1, blk):
        v[:, j] += v[:, j - 1]
    if nb > 1:
        tot = v[:, blk - 1, :].copy()
        for b in range(1, nb):
            tot[b] += tot[b - 1]
        v[1:] += tot[:-1][:, None, :]
    for r in range(main, n):
        a[r] += a[r - 1]


def _count_dtype(b: int) -> Any:
    return np.uint16 if b < 65535 else np.uint32


def _perm_batch(
    plan: _PermPlan, pid: NDArray[np.int64]
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Count permuted neighbour sums >= / <= the observed ones for one batch.

    ``pid`` is a ``(b, kmax)`` matrix of draws from ``0 .. n-2``; for unit ``i``
    draw ``j`` means value ``y[j]`` if ``j < i`` else ``y[j + 1]`` (the values
    with ``y_i`` removed), exactly as esda's conditional randomisation.
    """
    y, d = plan.y, plan.d
    n = y.size
    b = pid.shape[0]
    cdt = _count_dtype(b)
    ge = np.zeros(n, dtype=np.int64)
    le = np.zeros(n, dtype=np.int64)
    pid_t = np.ascontiguousarray(pid.T)  # (kmax, b)
    yp = y[pid_t]  # value of each draw for units above the drawn index
    dp = d[pid_t]  # correction for units at or below the drawn index
    base = np.cumsum(yp, axis=0)  # (kmax, b) sums of the first k draws
    cols = np.arange(b)
    for kv, cells, lo, hi, use_scan in plan.const_groups:
        if use_scan:
            # Row r of s holds unit i = n-1-r; a forward scan over rows then
            # gives, for every unit, base + sum of corrections of draws >= i.
            s = np.zeros((n, b), dtype=y.dtype)
            s[(n - 1) - pid_t[:kv], cols[None, :]] = dp[:kv]
            s[0] += base[kv - 1]
            _scan_rows(s)
            rows = (n - 1) - cells
            if 2 * cells.size > n:
                # compare every row (cheaper than gathering most of them)
                lo_all = np.zeros(n, dtype=s.dtype)
                hi_all = np.zeros(n, dtype=s.dtype)
                lo_all[rows] = lo
                hi_all[rows] = hi
                ge[cells] = (s >= lo_all[:, None]).view(np.uint8).sum(axis=1, dtype=cdt)[rows]
                le[cells] = (s <= hi_all[:, None]).view(np.uint8).sum(axis=1, dtype=cdt)[rows]
                continue
            rsel = s[rows]
        else:
            rsel = np.repeat(base[kv - 1][None, :], cells.size, axis=0)
            cc = cells[:, None]
            for c in range(kv):
                rsel += np.where(pid_t[c][None, :] >= cc, dp[c][None, :], 0)
        ge[cells] = (rsel >= lo[:, None]).view(np.uint8).sum(axis=1, dtype=cdt)
        le[cells] = (rsel <= hi[:, None]).view(np.uint8).sum(axis=1, dtype=cdt)
    for kv, cells, wmat, lo, hi in plan.general_groups:
        acc = np.zeros((cells.size, b))
        cc = cells[:, None]
        for c in range(kv):
            vals = yp[c][None, :] + np.where(pid_t[c][None, :] >= cc, dp[c][None, :], 0)
            acc += vals * wmat[:, c : c + 1]
        ge[cells] = (acc >= lo[:, None]).view(np.uint8).sum(axis=1, dtype=cdt)
        le[cells] = (acc <= hi[:, None]).view(np.uint8).sum(axis=1, dtype=cdt)
    return ge, le


def _permutation_p(
    y: NDArray[np.float64],
    w: Any,
    observed: NDArray[np.float64],
    permutations: int,
    seed: int | None,
    n_jobs: int,
) -> NDArray[np.float64]:
    n = y.size
    plan = _make_plan(y, w, observed)
    p = np.ones(n)
    if plan.kmax == 0:
        return p
    batch = max(1, min(permutations, _BATCH_ELEMENTS // max(n, 1)))
    sizes = [batch] * (permutations // batch)
    if permutations % batch:
        sizes.append(permutations % batch)
    children = np.random.SeedSequence(seed).spawn(len(sizes))

    def run(job: tuple[int, Any]) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        size, ss = job
        rng = np.random.default_rng(ss)
        pid = _draw_ids(rng, n - 1, plan.kmax, size)
        return _perm_batch(plan, pid)

    jobs = list(zip(sizes, children, strict=True))
    ge = np.zeros(n, dtype=np.int64)
    le = np.zeros(n, dtype=np.int64)
    if n_jobs > 1 and len(jobs) > 1:
        with ThreadPoolExecutor(max_workers=n_jobs) as ex:
            results = list(ex.map(run, jobs))
    else:
        results = [run(j) for j in jobs]
    for g, lq in results:
        ge += g
        le += lq
    k = np.diff(w.indptr)
    p = (np.minimum(ge, le) + 1.0) / (permutations + 1.0)
    p[k == 0] = 1.0
    return p


def gi_star(
    values: ArrayLike,
    weights: Any,
    *,
    permutations: int = 999,
    seed: int | None = 0,
    fdr: bool = True,
    levels: Sequence[float] = (0.10, 0.05, 0.01),
    self_weight: float | None = None,
    n_jobs: int = 1,
) -> GiStarResult:
    """Getis-Ord Gi* hot-spot statistic for ``n`` units (cells or areas).

    Args:
        values: ``(n,)`` non-negative values (counts, rates), all finite.
        weights: ``(n, n)`` scipy.sparse matrix (or dense array, or neighbour
            lists) of non-negative spatial weights, e.g. from
            :func:`~brygga.analysis.contiguity.grid_contiguity`. The diagonal is
            the self-weight; if it is all zero each unit gets self-weight 1
            (the largest weight in its row, i.e. 1 for binary weights), which
            is esda's ``star=True`` convention for binary weights.
        permutations: number of conditional permutations (0 = analytic only).
        seed: seed for the permutations; results are identical for the same
            seed (also with ``n_jobs > 1``).
        fdr: apply Benjamini-Hochberg before classifying.
        levels: alpha levels for the classes (default 90/95/99 %).
        self_weight: override the self-weight for every unit.
        n_jobs: threads for the permutation batches (numpy releases the GIL).

    Returns:
        :class:`GiStarResult`.

    If all values are equal (zero variance) there is no spatial pattern to
    test: z is 0 and all p-values are 1 (no division by zero).

    See the module docstring for formulas and references.
    """
    from scipy.special import ndtr

    y = as_1d_float(values, "values")
    n = y.size
    permutations = check_int(permutations, "permutations", minimum=0)
    check_int(n_jobs, "n_jobs", minimum=1)
    if (y < 0).any():
        raise AnalysisInputError(
            "Gi* values must be non-negative (counts or rates); "
            f"found {int((y < 0).sum())} negative value(s)"
        )
    w_off, selfw = _prepare_weights(weights, n, self_weight)
    n_nb = np.diff(w_off.indptr).astype(np.int64)
    inference = "permutation" if permutations > 0 else "analytic"
    if n == 0:
        empty = np.empty(0)
        return GiStarResult(
            z=empty,
            p_norm=empty,
            p_sim=empty if permutations else None,
            p_sim_two_sided=empty if permutations else None,
            q_values=empty,
            hotspot_class=np.empty(0, dtype=np.int8),
            g=empty,
            n_neighbours=n_nb,
            permutations=permutations,
            seed=seed,
            inference=inference,
            fdr=fdr,
        )
    neigh_sum = w_off @ y
    lag = neigh_sum + selfw * y
    wi = np.asarray(w_off.sum(axis=1)).ravel() + selfw
    s1 = np.asarray(w_off.multiply(w_off).sum(axis=1)).ravel() + selfw**2
    ybar = y.mean()
    s2 = float(np.mean((y - ybar) ** 2))
    scale = float(np.abs(y).max())
    degenerate = n < 2 or s2 <= (1e-13 * scale) ** 2
    total = float(y.sum())
    with np.errstate(invalid="ignore", divide="ignore"):
        g = lag / total if total > 0 else np.full(n, np.nan)
    if degenerate:
        z = np.zeros(n)
    else:
        var_term = (n * s1 - wi**2) / (n - 1)
        den = np.sqrt(s2) * np.sqrt(np.maximum(var_term, 0.0))
        num = lag - ybar * wi
        ok = den > 1e-12 * np.sqrt(s2) * np.maximum(wi, 1e-300)
        z = np.zeros(n)
        z[ok] = num[ok] / den[ok]
    p_norm = 2.0 * ndtr(-np.abs(z))
    p_sim: NDArray[np.float64] | None = None
    p_two: NDArray[np.float64] | None = None
    if permutations > 0:
        if degenerate:
            p_sim = np.ones(n)
        else:
            p_sim = _permutation_p(y, w_off, neigh_sum, permutations, seed, n_jobs)
        p_two = np.minimum(1.0, 2.0 * p_sim)
        base_p = p_two
    else:
        base_p = p_norm
    q = benjamini_hochberg(base_p) if fdr else base_p.copy()
    classes = hotspot_classes(z, q, levels)
    return GiStarResult(
        z=z,
        p_norm=p_norm,
        p_sim=p_sim,
        p_sim_two_sided=p_two,
        q_values=q,
        hotspot_class=classes,
        g=g,
        n_neighbours=n_nb,
        permutations=permutations,
        seed=seed,
        inference=inference,
        fdr=fdr,
    )


def gi_star_grid(
    grid_values: ArrayLike,
    *,
    kind: str = "queen",
    mask: ArrayLike | None = None,
    **kwargs: Any,
) -> GiStarResult:
    """Gi* on a 2-D grid of values (e.g. ``GridCounts.counts``).

    Builds rook/queen contiguity with
    :func:`~brygga.analysis.contiguity.grid_contiguity` over the cells where
    ``mask`` is True (default: all cells) and returns arrays of the grid's
    shape; cells outside the mask get NaN statistics and class 0. Other
    keyword arguments go to :func:`gi_star`.
    """
    from .contiguity import grid_contiguity

    arr = np.asarray(grid_values, dtype=np.float64)
    if arr.ndim != 2:
        raise AnalysisInputError(f"grid_values must be 2-D, got shape {arr.shape}")
    keep = np.ones(arr.shape, dtype=bool) if mask is None else np.asarray(mask, dtype=bool)
    if keep.shape != arr.shape:
        raise AnalysisInputError(f"mask must have shape {arr.shape}, got {keep.shape}")
    w = grid_contiguity(arr.shape[0], arr.shape[1], kind, mask=keep)
    res = gi_star(arr[keep], w, **kwargs)

    def expand(v: NDArray[Any] | None, fill: Any, dtype: Any) -> Any:
        if v is None:
            return None
        out = np.full(arr.shape, fill, dtype=dtype)
        out[keep] = v
        return out

    return GiStarResult(
        z=expand(res.z, np.nan, np.float64),
        p_norm=expand(res.p_norm, np.nan, np.float64),
        p_sim=expand(res.p_sim, np.nan, np.float64),
        p_sim_two_sided=expand(res.p_sim_two_sided, np.nan, np.float64),
        q_values=expand(res.q_values, np.nan, np.float64),
        hotspot_class=expand(res.hotspot_class, 0, np.int8),
        g=expand(res.g, np.nan, np.float64),
        n_neighbours=expand(res.n_neighbours, 0, np.int64),
        permutations=res.permutations,
        seed=res.seed,
        inference=res.inference,
        fdr=res.fdr,
    )
