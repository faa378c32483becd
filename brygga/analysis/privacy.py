"""Privacy helpers: small-count suppression.

Counts below a threshold ``k`` (events, or respondents in a survey) can make
individuals identifiable when published for small areas or grid cells. The
standard rule in official statistics is to suppress such cells and show them
as ``"<k"`` (e.g. ``"<5"``); related values computed from the same records
(rates, shares, averages) are suppressed with them.

Only primary suppression is done here: if a suppressed value can be recovered
by subtraction from published totals, the caller must also suppress a second
cell or round the totals (secondary suppression, Hundepool et al. 2012,
ch. 4).

Reference: Hundepool A. et al. (2012), Statistical Disclosure Control,
Wiley, ch. 4-5; SCB (2015), Röjandekontroll av tabeller, Statistics Sweden.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._validation import AnalysisInputError, check_int

__all__ = ["SuppressedCounts", "suppress_small_counts"]


@dataclass(frozen=True)
class SuppressedCounts:
    """Result of :func:`suppress_small_counts` (arrays shaped like the input).

    Attributes:
        values: the values to publish, NaN where suppressed.
        suppressed: True where suppressed.
        labels: object array of display strings: the value, or ``"<k"``.
        k: the threshold.
    """

    values: NDArray[np.float64]
    suppressed: NDArray[np.bool_]
    labels: NDArray[np.object_]
    k: int


def _fmt(v: float, decimals: int | None) -> str:
    if decimals is None:
        if float(v).is_integer():
            return str(int(v))
        return f"{v:g}".replace(".", ",")
    return f"{v:.{decimals}f}".replace(".", ",")


def suppress_small_counts(
    counts: ArrayLike,
    k: int = 5,
    *,
    values: ArrayLike | None = None,
    keep_zero: bool = False,
    decimals: int | None = None,
) -> SuppressedCounts:
    """Suppress cells whose count (events or respondents) is below ``k``.

    Args:
        counts: the counts that decide suppression (events per cell/area, or
            respondents behind a survey figure).
        k: threshold; cells with ``count < k`` are shown as ``"<k"``.
        values: optional values to publish instead of the counts (rates,
            shares, means), same shape; suppressed where the count is small.
        keep_zero: if True, zero counts are published as 0 (often harmless
            for event maps); by default they are suppressed too ("fewer than
            k" includes zero).
        decimals: decimals for the labels of ``values`` (Swedish decimal comma).
    """
    kk = check_int(k, "k", minimum=1)
    c = np.asarray(counts, dtype=np.float64)
    if not np.isfinite(c).all() or (c < 0).any():
        raise AnalysisInputError("counts must be finite and non-negative")
    if values is None:
        v = c.copy()
    else:
        v = np.asarray(values, dtype=np.float64)
        if v.shape != c.shape:
            raise AnalysisInputError(f"values must have shape {c.shape}, got {v.shape}")
        v = v.copy()
    small = c < kk
    if keep_zero:
        small &= c != 0
    v[small] = np.nan
    label = f"<{kk}"
    flat_v = v.ravel()
    flat_s = small.ravel()
    labels: Any = np.empty(flat_v.size, dtype=object)
    for i in range(flat_v.size):
        if flat_s[i]:
            labels[i] = label
        elif np.isnan(flat_v[i]):
            labels[i] = ""
        else:
            labels[i] = _fmt(float(flat_v[i]), decimals)
    return SuppressedCounts(values=v, suppressed=small, labels=labels.reshape(c.shape), k=kk)
