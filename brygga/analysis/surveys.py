"""Survey estimates: design-weighted means, confidence intervals, index scores.

Serves the yearly safety survey (trygghetsmätning): one row per respondent,
answers on ordinal scales, optional design weights. Answers are scored into
indices (:func:`score_mean_index`, :func:`score_share_index`), estimated per
area with confidence intervals (:func:`weighted_estimate`,
:func:`weighted_estimates_by_group`) and compared between survey waves
(:func:`difference`).

Variance. Design weights are treated as in ``statsmodels``'
``DescrStatsW(x, weights=w * n_eff / sum(w), ddof=1)``: the weights are
rescaled to sum to the Kish effective sample size
``n_eff = (sum w)^2 / sum w^2`` (Kish 1965, sec. 11.7), so that

    mean   m   = sum(w x) / sum(w)
    se^2       = sum(w (x - m)^2) / sum(w) / (n_eff - 1)
    interval   = m +- t(df = n_eff - 1) * se

With equal weights this is the classic t-interval (``n_eff = n``). It is an
approximation that ignores strata and clusters of the sampling design; it
accounts for the loss of precision from unequal weights only (Kish's design
effect ``n / n_eff``). Change between two independent waves uses the Welch
standard error with Welch-Satterthwaite degrees of freedom computed from each
estimate's ``se`` and ``n_eff - 1``; this is exactly ``statsmodels``'
``CompareMeans(d_later, d_earlier).tconfint_diff(usevar="unequal")`` for the
``DescrStatsW`` above (checked in the tests).

References: Kish L. (1965), Survey Sampling, Wiley; Welch B. L. (1947),
Biometrika 34, 28-35; Satterthwaite F. E. (1946), Biometrics Bulletin 2,
110-114; Lumley T. (2010), Complex Surveys, Wiley, ch. 2.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._validation import AnalysisInputError, as_1d_float, check_int, check_level, check_positive

__all__ = [
    "Difference",
    "WeightedEstimate",
    "difference",
    "kish_effective_n",
    "score_mean_index",
    "score_share_index",
    "suppress_estimates",
    "weighted_estimate",
    "weighted_estimates_by_group",
]

K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True)
class WeightedEstimate:
    """A design-weighted mean with its confidence interval.

    Attributes:
        n: respondents with a value (NaN values are not counted).
        n_eff: Kish effective sample size of those respondents' weights.
        mean: design-weighted mean ``sum(w x) / sum(w)``.
        se: standard error; NaN when ``n_eff <= 1``.
        low, high: confidence limits ``mean -+ t * se`` with
            ``df = n_eff - 1``; NaN when ``n_eff <= 1``.
        confidence: the confidence level (e.g. 0.95).
    """

    n: int
    n_eff: float
    mean: float
    se: float
    low: float
    high: float
    confidence: float


@dataclass(frozen=True)
class Difference:
    """Change between two independent estimates (``later - earlier``).

    Attributes:
        change: ``later.mean - earlier.mean``.
        se: ``sqrt(later.se**2 + earlier.se**2)``.
        df: Welch-Satterthwaite degrees of freedom
            ``se**4 / (later.se**4 / (later.n_eff - 1) + earlier.se**4 / (earlier.n_eff - 1))``.
        low, high: confidence limits ``change -+ t(df) * se``.
        clear: True when the interval excludes 0 (a statistically clear
            change); False when it includes 0 or cannot be computed.
        confidence: the confidence level.
    """

    change: float
    se: float
    df: float
    low: float
    high: float
    clear: bool
    confidence: float


# --------------------------------------------------------------------------
# weights and estimates
# --------------------------------------------------------------------------


def kish_effective_n(weights: ArrayLike) -> float:
    """Kish's effective sample size ``(sum w)^2 / sum w^2`` (Kish 1965, 11.7).

    Equals the number of respondents when all weights are equal and is
    smaller the more the weights vary. Weights must be finite and > 0.
    """
    w = as_1d_float(weights, "weights", allow_empty=False)
    if (w <= 0).any():
        first = int(np.flatnonzero(w <= 0)[0])
        raise AnalysisInputError(
            f"weights must be > 0; found {int((w <= 0).sum())} weight(s) <= 0 "
            f"(first at index {first})"
        )
    return float(w.sum() ** 2 / np.square(w).sum())


def _values_and_weights(
    values: ArrayLike, weights: ArrayLike | None
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.bool_]]:
    """Validate; return (values, weights, has_value) with weights checked on rows with a value."""
    x = as_1d_float(values, "values", finite=False)
    if np.isinf(x).any():
        first = int(np.flatnonzero(np.isinf(x))[0])
        raise AnalysisInputError(f"values must be finite or NaN; found inf at index {first}")
    has = ~np.isnan(x)
    if weights is None:
        return x, np.ones_like(x), has
    w = as_1d_float(weights, "weights", finite=False)
    if w.size != x.size:
        raise AnalysisInputError(
            f"length mismatch: values has {x.size} element(s) but weights has {w.size}"
        )
    bad = has & ~(np.isfinite(w) & (w > 0))
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        raise AnalysisInputError(
            f"weights must be finite and > 0 for every respondent with a value; "
            f"{int(bad.sum())} are not (first at index {first}, weight {float(w[first])!r})"
        )
    return x, w, has


def _estimates(
    x: NDArray[np.float64],
    w: NDArray[np.float64],
    code: NDArray[np.intp],
    n_bins: int,
    bins: NDArray[np.intp],
    confidence: float,
) -> list[WeightedEstimate]:
    """Estimates for ``bins`` of the grouping ``code`` (``0..n_bins-1``).

    Rows without a value must be coded to a bin not in ``bins`` (a trash
    bin): ``np.bincount`` adds per bin, so their NaN stays in that bin and no
    row has to be copied out.
    """
    from scipy import stats

    n = np.bincount(code, minlength=n_bins)[bins]
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        sw = np.bincount(code, weights=w, minlength=n_bins)
        mean_all = np.bincount(code, weights=w * x, minlength=n_bins) / sw
        # two-pass sum of squares: accurate when the mean is large vs the spread
        ss = np.bincount(code, weights=w * np.square(x - mean_all[code]), minlength=n_bins)[bins]
        sw2 = np.bincount(code, weights=w * w, minlength=n_bins)[bins]
        sw, mean = sw[bins], mean_all[bins]
        n_eff = sw * sw / sw2
        df = n_eff - 1.0
        ok = df > 1e-12 * n_eff  # n_eff <= 1 (up to rounding): no variance estimate
        se = np.where(ok, np.sqrt(ss / sw / np.where(ok, df, 1.0)), np.nan)
        tq = np.where(ok, stats.t.ppf(0.5 + confidence / 2.0, np.where(ok, df, 1.0)), np.nan)
        low = mean - tq * se
        high = mean + tq * se
    return [
        WeightedEstimate(
            n=int(n[i]),
            n_eff=float(n_eff[i]),
            mean=float(mean[i]),
            se=float(se[i]),
            low=float(low[i]),
            high=float(high[i]),
            confidence=confidence,
        )
        for i in range(bins.size)
    ]


def weighted_estimate(
    values: ArrayLike, weights: ArrayLike | None = None, *, confidence: float = 0.95
) -> WeightedEstimate | None:
    """Design-weighted mean of ``values`` with a t confidence interval.

    Args:
        values: one value per respondent (an index score, a 0/1 answer); NaN
            means no value (skipped, could not be scored) and is dropped.
        weights: design weights, same length, or None for equal weights.
            Must be finite and > 0 on every row with a value (rows without a
            value may have any weight, NaN included).
        confidence: confidence level of the interval.

    Returns:
        A :class:`WeightedEstimate` (definitions in the module docstring), or
        None when no respondent has a value.
    """
    conf = check_level(confidence, "confidence")
    x, w, has = _values_and_weights(values, weights)
    if not has.any():
        return None
    code = np.where(has, 0, 1).astype(np.intp)
    return _estimates(x, w, code, 2, np.zeros(1, dtype=np.intp), conf)[0]


def _group_codes(
    g: NDArray[Any], has: NDArray[np.bool_]
) -> tuple[NDArray[np.intp], int, NDArray[np.intp], list[Any]]:
    """Code groups as ``0..n_bins-1`` (rows without a value: the last bin).

    Returns ``(code, n_bins, bins with a value, their labels)``. Integer
    labels spanning a modest range are coded by offset (O(n)); others with
    ``np.unique`` (a sort).
    """
    if g.dtype.kind in "iu" and g.size:
        gmin, gmax = int(g.min()), int(g.max())
        span = gmax - gmin + 1
        if span <= 4 * g.size + 1024:
            code = (g - gmin).astype(np.intp)
            code[~has] = span
            counts = np.bincount(code, minlength=span + 1)[:span]
            bins = np.flatnonzero(counts).astype(np.intp)
            return code, span + 1, bins, (bins + gmin).tolist()
    try:
        labels, inv = np.unique(g[has], return_inverse=True)
    except TypeError as exc:
        raise AnalysisInputError(
            f"groups must be labels of one comparable type (all ints or all strings): {exc}"
        ) from None
    code = np.full(g.size, labels.size, dtype=np.intp)
    code[has] = inv.reshape(-1)
    keys = [k.item() if isinstance(k, np.generic) else k for k in labels]
    return code, labels.size + 1, np.arange(labels.size, dtype=np.intp), keys


def weighted_estimates_by_group(
    values: ArrayLike,
    groups: ArrayLike,
    weights: ArrayLike | None = None,
    *,
    confidence: float = 0.95,
) -> dict[Any, WeightedEstimate]:
    """:func:`weighted_estimate` for each group (area, age band, ...) at once.

    Args:
        values, weights, confidence: as in :func:`weighted_estimate`.
        groups: one label per respondent (ints or strings, not mixed).

    Returns:
        ``{label: WeightedEstimate}`` in sorted label order for every group
        with at least one value; numpy scalars are returned as Python ``int``
        / ``str`` / ``float``. Computed with ``np.bincount`` over group codes
        (no Python loop over respondents); equal, value for value, to
        :func:`weighted_estimate` on each group's rows.
    """
    conf = check_level(confidence, "confidence")
    x, w, has = _values_and_weights(values, weights)
    g = np.asarray(groups)
    if g.ndim != 1:
        raise AnalysisInputError(f"groups must be one-dimensional, got shape {g.shape}")
    if g.size != x.size:
        raise AnalysisInputError(
            f"length mismatch: values has {x.size} element(s) but groups has {g.size}"
        )
    if not has.any():
        return {}
    code, n_bins, bins, keys = _group_codes(g, has)
    est = _estimates(x, w, code, n_bins, bins, conf)
    return dict(zip(keys, est, strict=True))


def difference(
    later: WeightedEstimate, earlier: WeightedEstimate, *, confidence: float = 0.95
) -> Difference:
    """Change ``later - earlier`` between two independent survey waves.

    Welch's interval: ``se = sqrt(se_later^2 + se_earlier^2)`` and
    Welch-Satterthwaite degrees of freedom from each estimate's ``se`` and
    ``n_eff - 1`` (the definition of ``statsmodels`` ``CompareMeans.dof_satt``
    / ``tconfint_diff(usevar="unequal")``). When either estimate has no
    standard error (``n_eff <= 1``), or both have ``se == 0``, ``se``/``df``/
    ``low``/``high`` are NaN (``se`` is 0 in the latter case) and ``clear`` is
    False. The samples must be independent (different respondents), as
    between two yearly waves; not for comparing an area with a total that
    contains it.
    """
    from scipy import stats

    conf = check_level(confidence, "confidence")
    for name, e in (("later", later), ("earlier", earlier)):
        if not isinstance(e, WeightedEstimate):
            raise AnalysisInputError(f"{name} must be a WeightedEstimate, got {type(e).__name__}")
    change = later.mean - earlier.mean
    v1, v2 = later.se**2, earlier.se**2
    se = float(np.sqrt(v1 + v2))
    if np.isfinite(se) and se > 0:
        df = float((v1 + v2) ** 2 / (v1**2 / (later.n_eff - 1) + v2**2 / (earlier.n_eff - 1)))
        half = float(stats.t.ppf(0.5 + conf / 2.0, df)) * se
        low, high = change - half, change + half
    else:
        df = low = high = float("nan")
    clear = bool(np.isfinite(low) and (low > 0 or high < 0))
    return Difference(
        change=float(change),
        se=se,
        df=df,
        low=float(low),
        high=float(high),
        clear=clear,
        confidence=conf,
    )


def suppress_estimates(
    estimates: Mapping[K, WeightedEstimate | None], k: int = 30
) -> dict[K, WeightedEstimate | None]:
    """Replace estimates based on fewer than ``k`` respondents by None.

    The survey publishes no figure for a cell with fewer than ``k``
    respondents (the app uses ``k = 30``); see also
    :func:`brygga.analysis.privacy.suppress_small_counts`. Keys are kept.
    """
    kk = check_int(k, "k", minimum=1)
    return {key: (e if e is not None and e.n >= kk else None) for key, e in estimates.items()}


# --------------------------------------------------------------------------
# index scoring
# --------------------------------------------------------------------------


def _answers(answers: ArrayLike) -> NDArray[np.float64]:
    try:
        a = np.asarray(answers, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise AnalysisInputError(f"answers must be numeric: {exc}") from None
    if a.ndim != 2:
        raise AnalysisInputError(
            f"answers must be two-dimensional (respondents x items), got shape {a.shape}"
        )
    if a.shape[1] == 0:
        raise AnalysisInputError("answers must have at least one item (column)")
    return a


def _per_item(value: ArrayLike, name: str, n_items: int) -> NDArray[np.float64]:
    arr = as_1d_float(value, name) if np.ndim(value) else as_1d_float([value], name)
    if arr.size == 1:
        return np.full(n_items, arr[0])
    if arr.size != n_items:
        raise AnalysisInputError(
            f"{name} must be a scalar or have one value per item ({n_items}), got {arr.size}"
        )
    return arr


def _reverse(reverse: ArrayLike | None, n_items: int) -> NDArray[np.bool_]:
    if reverse is None:
        return np.zeros(n_items, dtype=bool)
    r = np.asarray(reverse)
    if r.dtype != bool:
        raise AnalysisInputError(f"reverse must be True/False (per item), got dtype {r.dtype}")
    if r.ndim == 0:
        return np.full(n_items, bool(r))
    if r.shape != (n_items,):
        raise AnalysisInputError(
            f"reverse must be a bool or have one value per item ({n_items}), got shape {r.shape}"
        )
    return r


def _min_answered(min_answered: int, n_items: int) -> int:
    m = check_int(min_answered, "min_answered", minimum=1)
    if m > n_items:
        raise AnalysisInputError(
            f"min_answered ({m}) is larger than the number of items ({n_items})"
        )
    return m


def _first_offender(mask: NDArray[np.bool_]) -> tuple[int, int]:
    row, item = np.argwhere(mask)[0]
    return int(row), int(item)


def score_mean_index(
    answers: ArrayLike,
    *,
    low: ArrayLike,
    high: ArrayLike,
    reverse: ArrayLike | None = None,
    min_answered: int = 1,
    scale: float = 10.0,
) -> NDArray[np.float64]:
    """Mean index: each respondent's mean of items rescaled to ``0..scale``.

    Item ``j`` is rescaled as ``(v - low[j]) / (high[j] - low[j]) * scale``
    and reversed (``scale - that``) where ``reverse[j]`` is True, so that a
    high index always means the same thing (e.g. "safe"). The respondent's
    index is the mean over the items answered.

    Args:
        answers: respondents x items; NaN = not answered ("vet ej").
        low, high: lowest and highest answer value (scalar or per item),
            ``high > low``.
        reverse: bool or per-item bools; None = no item reversed.
        min_answered: fewest answered items for an index; rows with fewer
            get NaN (all-NaN rows always do).
        scale: top of the index scale (10 gives 0-10).

    Returns:
        Float array (respondents,), NaN where not scored.

    Raises:
        AnalysisInputError: values outside ``[low, high]`` (the message gives
            the row and item of the first one), shape mismatches.
    """
    a = _answers(answers)
    n_items = a.shape[1]
    lo = _per_item(low, "low", n_items)
    hi = _per_item(high, "high", n_items)
    if (hi <= lo).any():
        j = int(np.flatnonzero(hi <= lo)[0])
        raise AnalysisInputError(f"high must be > low for every item; item {j}: {lo[j]}..{hi[j]}")
    rev = _reverse(reverse, n_items)
    m = _min_answered(min_answered, n_items)
    sc = check_positive(scale, "scale")
    answered = ~np.isnan(a)
    outside = answered & ~((a >= lo) & (a <= hi))
    if outside.any():
        row, item = _first_offender(outside)
        raise AnalysisInputError(
            f"answers outside the scale: {int(outside.sum())} value(s); first in row {row}, "
            f"item {item}: {float(a[row, item])!r} is not within {lo[item]:g}..{hi[item]:g}"
        )
    s = (a - lo) / (hi - lo) * sc
    s = np.where(rev, sc - s, s)
    k = answered.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(answered, s, 0.0).sum(axis=1) / k
    out[k < m] = np.nan
    return out


def score_share_index(
    answers: ArrayLike,
    *,
    threshold: ArrayLike,
    reverse: ArrayLike | None = None,
    min_answered: int = 1,
) -> NDArray[np.float64]:
    """Share index: 1.0 if any answered item is "yes", else 0.0.

    An answer to item ``j`` counts as "yes" when ``v >= threshold[j]``, or
    ``v <= threshold[j]`` where ``reverse[j]`` is True (e.g. "worried at
    least sometimes" on a scale where low values mean often). The weighted
    mean of the scores is the share of respondents with at least one "yes".

    Args:
        answers: respondents x items; NaN = not answered.
        threshold: scalar or per-item threshold.
        reverse: bool or per-item bools; None = no item reversed.
        min_answered: a respondent with no "yes" needs at least this many
            answered items to score 0.0; one "yes" always scores 1.0.

    Returns:
        Float array (respondents,): 1.0, 0.0 or NaN (not scored).
    """
    a = _answers(answers)
    n_items = a.shape[1]
    thr = _per_item(threshold, "threshold", n_items)
    rev = _reverse(reverse, n_items)
    m = _min_answered(min_answered, n_items)
    if np.isinf(a).any():
        row, item = _first_offender(np.isinf(a))
        raise AnalysisInputError(f"answers must be finite or NaN; row {row}, item {item} is inf")
    answered = ~np.isnan(a)
    yes = answered & np.where(rev, a <= thr, a >= thr)
    any_yes = yes.any(axis=1)
    out = np.where(any_yes, 1.0, 0.0)
    out[~any_yes & (answered.sum(axis=1) < m)] = np.nan
    return out
