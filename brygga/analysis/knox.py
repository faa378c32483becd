"""Near-repeat analysis: the Knox space-time interaction test with bands.

Every unordered pair of events is classified by its spatial distance into a
*space band* and by its time difference into a *time band*. The observed
table of pair counts is compared with the tables obtained when the event
times are randomly permuted among the event locations (Monte Carlo, as in the
Near Repeat Calculator, Ratcliffe 2009). Near repeats show up as
more-than-expected pairs that are close in both space and time.

Bands
-----
``space_bands`` / ``time_bands`` are ascending upper edges ``e_0 < e_1 < ...``.
Band 0 is ``0 <= d <= e_0``, band ``b`` is ``e_(b-1) < d <= e_b``, and one
extra last band holds all pairs beyond the last edge ("more than e_last"). An
edge of 0 gives a "same location" / "same day" band. Distances are Euclidean
in the units of the coordinates (metres for SWEREF 99 TM); times are in days
(numbers, or ``datetime64`` values which are converted to days).

Outputs, per cell of the (space bands + 1) x (time bands + 1) table:
observed pair counts; the Monte Carlo mean (``expected``, the Near Repeat
Calculator's expected value); the exact permutation expectation
``N_space * N_time / C(n, 2)`` (``expected_analytic``, the classical Knox
expectation); the Knox ratio ``observed / expected``; and the Monte Carlo
p-values ``(1 + #{sim >= obs}) / (P + 1)`` (upper tail, near repeats) and
``(1 + #{sim <= obs}) / (P + 1)`` (lower tail).

Method: close pairs (distance <= last space edge) are found once with a
k-d tree (``scipy.spatial.cKDTree.query_pairs``), so memory grows with the
number of close pairs, not with n^2. Permuting times does not change the
space band of any pair, nor the total number of pairs in each time band (the
multiset of time differences over *all* pairs is permutation invariant), so
each permutation only needs the time differences of the close pairs:
O(close pairs) vectorised work, done in chunks to bound memory; the
"beyond the last space edge" row follows by subtraction from time-band totals
computed in O(n log n) by sorting. With one space and one time band this is
exactly the global Knox statistic of pointpats' ``Knox``.

References:
    Knox E.G. (1964), The detection of space-time interactions, JRSS C
    13(1):25-30.
    Johnson S.D., Bowers K.J. (2004), The burglary as clue to the future,
    European Journal of Criminology 1(2):237-255.
    Ratcliffe J.H. (2009), Near Repeat Calculator (version 1.3), Temple
    University and the National Institute of Justice.
    Besag J., Diggle P.J. (1977), Simple Monte Carlo tests for spatial pattern,
    JRSS C 26(3):327-333.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._validation import AnalysisInputError, as_1d_float, check_int, check_same_length

__all__ = ["KnoxResult", "knox_test"]


@dataclass(frozen=True)
class KnoxResult:
    """Result of :func:`knox_test`.

    Tables have shape ``(len(space_edges) + 1, len(time_edges) + 1)``; the
    last row/column is "beyond the last edge".

    Attributes:
        space_edges, time_edges: band upper edges (metres, days).
        space_labels, time_labels: human-readable band labels.
        observed: observed pair counts (int64).
        expected: mean of the Monte Carlo tables (as the Near Repeat
            Calculator reports); equals ``expected_analytic`` without
            permutations.
        expected_analytic: exact expectation under random permutation of times.
        knox_ratio: ``observed / expected`` (NaN where expected is 0).
        p_value: upper-tail Monte Carlo p-values (more pairs than chance).
        p_value_lower: lower-tail Monte Carlo p-values (fewer pairs).
        n_events: number of events.
        n_pairs: ``n (n - 1) / 2``.
        n_close_pairs: pairs within the last space edge.
        permutations, seed: settings used.
    """

    space_edges: NDArray[np.float64]
    time_edges: NDArray[np.float64]
    space_labels: list[str]
    time_labels: list[str]
    observed: NDArray[np.int64]
    expected: NDArray[np.float64]
    expected_analytic: NDArray[np.float64]
    knox_ratio: NDArray[np.float64]
    p_value: NDArray[np.float64]
    p_value_lower: NDArray[np.float64]
    n_events: int
    n_pairs: int
    n_close_pairs: int
    permutations: int
    seed: int | None


def _edges(bands: float | Sequence[float], name: str) -> NDArray[np.float64]:
    e = np.atleast_1d(np.asarray(bands, dtype=np.float64))
    if e.ndim != 1 or e.size == 0:
        raise AnalysisInputError(f"{name} must be a number or a non-empty list of band edges")
    if not np.isfinite(e).all():
        raise AnalysisInputError(f"{name} must be finite")
    if (e < 0).any():
        raise AnalysisInputError(f"{name} must be >= 0 (they are distances/durations)")
    if (np.diff(e) <= 0).any():
        raise AnalysisInputError(f"{name} must be strictly increasing, got {e.tolist()}")
    return e


def _as_days(t: ArrayLike) -> NDArray[np.float64]:
    arr = np.asarray(t)
    if np.issubdtype(arr.dtype, np.datetime64):
        if arr.ndim != 1:
            raise AnalysisInputError(f"t must be one-dimensional, got shape {arr.shape}")
        if np.isnat(arr).any():
            raise AnalysisInputError(f"t contains {int(np.isnat(arr).sum())} missing (NaT) time(s)")
        secs = arr.astype("datetime64[s]").astype(np.int64)
        return (secs - secs.min()).astype(np.float64) / 86400.0 if secs.size else secs.astype(float)
    return as_1d_float(arr, "t")


def _fmt(v: float) -> str:
    return f"{v:g}"


def _labels(edges: NDArray[np.float64], unit: str) -> list[str]:
    out = []
    prev = None
    for e in edges:
        if prev is None:
            out.append(f"0–{_fmt(e)} {unit}" if e > 0 else f"0 {unit}")
        else:
            out.append(f"{_fmt(prev)}–{_fmt(e)} {unit}")
        prev = e
    out.append(f"> {_fmt(edges[-1])} {unit}")
    return out


def _time_band_totals(ts: NDArray[Any], edges: NDArray[Any]) -> NDArray[np.int64]:
    """Number of all unordered pairs whose |dt| is in each time band (+ beyond).

    ``ts`` must be sorted. The predicate is ``ts[j] - ts[i] <= e`` evaluated
    exactly as in the pair loop (floating-point subtraction is monotone, so a
    searchsorted guess is corrected to the exact boundary).
    """
    n = ts.size
    idx = np.arange(n)
    cum = []
    for e in edges:
        pos = np.searchsorted(ts, ts + e, side="right")
        # correct possible rounding in ts + e against the predicate ts[j]-ts[i] <= e
        while True:
            inb = pos < n
            fwd = np.zeros(n, dtype=bool)
            fwd[inb] = (ts[pos[inb]] - ts[inb]) <= e
            if not fwd.any():
                break
            pos[fwd] += 1
        while True:
            back = (pos - 1 > idx) & ((ts[np.maximum(pos - 1, 0)] - ts) > e)
            if not back.any():
                break
            pos[back] -= 1
        cum.append(int((pos - idx - 1).sum()))
    total = n * (n - 1) // 2
    c = np.array(cum + [total], dtype=np.int64)
    return np.diff(np.concatenate([[0], c]))


class _PairCounter:
    """Counts close pairs per (space band, time band) for permuted times."""

    def __init__(
        self,
        i: NDArray[Any],
        j: NDArray[Any],
        sband: NDArray[np.int8] | None,
        n_space: int,
        t_edges: NDArray[Any],
        chunk: int,
    ) -> None:
        self.i, self.j, self.sband = i, j, sband
        self.n_space = n_space
        self.t_edges = t_edges
        self.n_time = t_edges.size + 1
        self.chunk = chunk
        self._local = threading.local()

    def _buffers(self, dtype: Any) -> tuple[NDArray[Any], NDArray[Any], NDArray[np.bool_]]:
        buf = getattr(self._local, "buf", None)
        if buf is None or buf[0].dtype != dtype:
            m = min(self.chunk, max(self.i.size, 1))
            buf = (np.empty(m, dtype=dtype), np.empty(m, dtype=dtype), np.empty(m, dtype=bool))
            self._local.buf = buf
        return buf

    def count(self, tp: NDArray[Any]) -> NDArray[np.int64]:
        """(n_space, n_time) table of close-pair counts for times ``tp``."""
        ns, nt = self.n_space, self.n_time
        out = np.zeros(ns * nt, dtype=np.int64)
        m = self.i.size
        if m == 0:
            return out.reshape(ns, nt)
        a_buf, b_buf, m_buf = self._buffers(tp.dtype)
        single = ns == 1 and nt == 2
        e0 = self.t_edges[0]
        for s in range(0, m, self.chunk):
            e = min(m, s + self.chunk)
            a = a_buf[: e - s]
            b = b_buf[: e - s]
            np.take(tp, self.i[s:e], out=a)
            np.take(tp, self.j[s:e], out=b)
            np.subtract(a, b, out=a)
            np.abs(a, out=a)
            if single:
                mk = m_buf[: e - s]
                np.less_equal(a, e0, out=mk)
                c = int(np.count_nonzero(mk))
                out[0] += c
                out[1] += (e - s) - c
                continue
            tb = np.searchsorted(self.t_edges, a, side="left")
            if self.sband is None:
                out += np.bincount(tb, minlength=nt)
            else:
                out += np.bincount(self.sband[s:e].astype(np.int64) * nt + tb, minlength=ns * nt)
        return out.reshape(ns, nt)


def _full_table(
    within: NDArray[np.int64], space_tot: NDArray[np.int64], time_tot: NDArray[np.int64]
) -> NDArray[np.int64]:
    ns, nt = within.shape
    table = np.zeros((ns + 1, nt), dtype=np.int64)
    table[:ns] = within
    table[ns, : nt - 1] = time_tot[: nt - 1] - within[:, : nt - 1].sum(axis=0)
    table[ns, nt - 1] = space_tot[ns] - table[ns, : nt - 1].sum()
    return table


def knox_test(
    x: ArrayLike,
    y: ArrayLike,
    t: ArrayLike,
    *,
    space_bands: float | Sequence[float],
    time_bands: float | Sequence[float],
    permutations: int = 999,
    seed: int | None = 0,
    n_jobs: int = 1,
    chunk_size: int = 1 << 18,
) -> KnoxResult:
    """Knox near-repeat test with space and time bands and Monte Carlo p-values.

    Args:
        x, y: event coordinates in metres (SWEREF 99 TM).
        t: event times in days (float) or ``datetime64``.
        space_bands: upper edge(s) of the distance bands, e.g. ``200`` or
            ``[100, 200, 300, 400]`` (metres).
        time_bands: upper edge(s) of the time bands, e.g. ``14`` or
            ``[7, 14, 21, 28]`` (days).
        permutations: Monte Carlo permutations of the times (0 = none).
        seed: random seed; results are identical for equal seeds (whatever
            ``n_jobs``).
        n_jobs: threads for the permutations (numpy releases the GIL).
        chunk_size: number of pairs processed at once (bounds temporary memory).

    Returns:
        :class:`KnoxResult`.

    See the module docstring for the method and references.
    """
    from scipy.spatial import cKDTree

    xa = as_1d_float(x, "x")
    ya = as_1d_float(y, "y")
    ta = _as_days(t)
    n = check_same_length((xa, "x"), (ya, "y"), (ta, "t"))
    s_edges = _edges(space_bands, "space_bands")
    t_edges = _edges(time_bands, "time_bands")
    permutations = check_int(permutations, "permutations", minimum=0)
    check_int(n_jobs, "n_jobs", minimum=1)
    check_int(chunk_size, "chunk_size", minimum=1)
    ns = s_edges.size
    n_pairs = n * (n - 1) // 2

    # Spatial sort (cells of the largest band) for memory locality of pair indices.
    if n:
        cell = max(float(s_edges[-1]), 1e-9)
        cx = np.floor((xa - xa.min()) / cell)
        cy = np.floor((ya - ya.min()) / cell)
        order = np.lexsort((cx, cy))
        xa, ya, ta = xa[order], ya[order], ta[order]

    # Exact integer arithmetic for integer times (days) when possible.
    tdt: Any = np.float64
    t_edges_work: NDArray[Any] = t_edges
    if n and np.all(ta == np.round(ta)) and np.abs(ta).max() < 2**30:
        tdt = np.int32
        t_edges_work = np.minimum(np.floor(t_edges), 2**31 - 1).astype(np.int32)
    tw = ta.astype(tdt)

    if n >= 2:
        tree = cKDTree(np.column_stack([xa, ya]))
        pairs = tree.query_pairs(r=float(s_edges[-1]), output_type="ndarray")
        del tree
    else:
        pairs = np.empty((0, 2), dtype=np.intp)
    idt = np.int32 if n < 2**31 else np.int64
    pi = np.ascontiguousarray(pairs[:, 0], dtype=idt)
    pj = np.ascontiguousarray(pairs[:, 1], dtype=idt)
    del pairs
    n_close = int(pi.size)

    sband: NDArray[np.int8] | None = None
    space_tot = np.zeros(ns + 1, dtype=np.int64)
    if ns > 1 and n_close:
        sb_parts = []
        e2 = s_edges**2
        for s in range(0, n_close, chunk_size):
            e = min(n_close, s + chunk_size)
            dx = xa[pi[s:e]] - xa[pj[s:e]]
            dy = ya[pi[s:e]] - ya[pj[s:e]]
            b = np.searchsorted(e2, dx * dx + dy * dy, side="left")
            sb_parts.append(np.minimum(b, ns - 1).astype(np.int8))
        sband = np.concatenate(sb_parts)
        space_tot[:ns] = np.bincount(sband, minlength=ns)
    else:
        space_tot[0] = n_close
    space_tot[ns] = n_pairs - n_close

    ts_sorted = np.sort(tw)
    if np.issubdtype(ts_sorted.dtype, np.integer):
        time_tot = _time_band_totals(ts_sorted.astype(np.int64), t_edges_work.astype(np.int64))
    else:
        time_tot = _time_band_totals(ts_sorted, t_edges_work)

    counter = _PairCounter(pi, pj, sband, ns, t_edges_work, chunk_size)
    observed = _full_table(counter.count(tw), space_tot, time_tot)
    with np.errstate(invalid="ignore", divide="ignore"):
        expected_analytic = (
            np.outer(space_tot, time_tot) / n_pairs if n_pairs else np.zeros(observed.shape)
        )

    if permutations > 0 and n >= 2:
        children = np.random.SeedSequence(seed).spawn(permutations)

        def one(ss: Any) -> NDArray[np.int64]:
            rng = np.random.default_rng(ss)
            tp = rng.permutation(tw)
            return _full_table(counter.count(tp), space_tot, time_tot)

        sum_tab = np.zeros(observed.shape, dtype=np.float64)
        ge = np.zeros(observed.shape, dtype=np.int64)
        le = np.zeros(observed.shape, dtype=np.int64)

        def accumulate(tab: NDArray[np.int64]) -> None:
            nonlocal sum_tab
            sum_tab += tab
            ge[...] += tab >= observed
            le[...] += tab <= observed

        if n_jobs > 1:
            with ThreadPoolExecutor(max_workers=n_jobs) as ex:
                for tab in ex.map(one, children):
                    accumulate(tab)
        else:
            for ss in children:
                accumulate(one(ss))
        expected = sum_tab / permutations
        p_upper = (ge + 1.0) / (permutations + 1.0)
        p_lower = (le + 1.0) / (permutations + 1.0)
    else:
        expected = expected_analytic.copy()
        p_upper = np.ones(observed.shape)
        p_lower = np.ones(observed.shape)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where(expected > 0, observed / np.where(expected > 0, expected, 1.0), np.nan)
    return KnoxResult(
        space_edges=s_edges,
        time_edges=t_edges,
        space_labels=_labels(s_edges, "m"),
        time_labels=_labels(t_edges, "d"),
        observed=observed,
        expected=expected,
        expected_analytic=expected_analytic,
        knox_ratio=ratio,
        p_value=np.asarray(p_upper, dtype=np.float64),
        p_value_lower=np.asarray(p_lower, dtype=np.float64),
        n_events=n,
        n_pairs=n_pairs,
        n_close_pairs=n_close,
        permutations=permutations,
        seed=seed,
    )
