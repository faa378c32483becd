"""Trends, seasonal baselines, alerts and rates with exact confidence intervals.

* :func:`period_counts` - weekly (ISO week) or monthly counts of dated events
  per category and area, including empty periods.
* :func:`seasonal_baseline` - compares each period's count with the same
  season (plus/minus ``window`` periods) in earlier years, in the spirit of
  Farrington et al. (1996) and Noufaily et al. (2013): expectation, a
  prediction interval, and flags for unusual increases and decreases.

  - ``method="poisson"``: with ``m`` baseline periods totalling ``Y`` events,
    the Poisson rate has the Jeffreys-prior posterior Gamma(Y + 1/2, m), so
    the next count has the negative binomial predictive distribution
    NB(size = Y + 1/2, prob = m / (m + 1)); it includes the uncertainty of the
    baseline mean.
  - ``method="negbin"`` (default): over-dispersion ``phi = max(1, s² / mean)``
    is estimated from the baseline, the predictive variance is
    ``phi * mu * (1 + 1/m)`` (quasi-Poisson with estimation error, as
    Farrington et al.), and a negative binomial with that mean and variance
    gives the interval.

  A period is flagged +1 (increase) if its count is above the upper
  prediction limit and -1 (decrease) if below the lower one; ``p_upper`` and
  ``p_lower`` are the predictive tail probabilities ``P(X >= x)`` and
  ``P(X <= x)``.
* :func:`poisson_cusum` - one-sided upper Poisson CUSUM (Lucas 1985) with a
  time-varying in-control mean ``mu_t`` (e.g. the seasonal expectation),
  designed to detect a rise to ``shift * mu_t``: ``S_t = max(0, S_(t-1) + x_t
  - k_t)`` with reference value ``k_t = (shift - 1) mu_t / ln(shift)``
  (the log-likelihood-ratio CUSUM expressed in counts); alarm when
  ``S_t >= threshold``.
* :func:`ewma_alert` - EWMA chart (Roberts 1959; Lucas & Saccucci 1990) of the
  Pearson residuals ``(x_t - mu_t) / sqrt(mu_t)`` with the exact
  time-varying control limit ``L sqrt(lambda / (2 - lambda) (1 - (1 -
  lambda)^(2t)))``.
* :func:`rates_per_1000` - rates per 1,000 inhabitants with exact Poisson
  (Garwood 1936) confidence intervals: for ``x`` events the limits on the
  count are ``chi2(alpha/2; 2x) / 2`` and ``chi2(1 - alpha/2; 2x + 2) / 2``.

References:
    Farrington C.P., Andrews N.J., Beale A.D., Catchpole M.A. (1996), A
    statistical algorithm for the early detection of outbreaks of infectious
    disease, JRSS A 159(3):547-563.
    Noufaily A. et al. (2013), An improved algorithm for outbreak detection in
    multiple surveillance systems, Statistics in Medicine 32(7):1206-1222.
    Lucas J.M. (1985), Counted data CUSUM's, Technometrics 27(2):129-144.
    Roberts S.W. (1959), Control chart tests based on geometric moving
    averages, Technometrics 1(3):239-250.
    Lucas J.M., Saccucci M.S. (1990), Exponentially weighted moving average
    control schemes, Technometrics 32(1):1-12.
    Garwood F. (1936), Fiducial limits for the Poisson distribution,
    Biometrika 28(3/4):437-442.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._validation import (
    AnalysisInputError,
    check_int,
    check_level,
    check_positive,
)

__all__ = [
    "BaselineResult",
    "CusumResult",
    "EwmaResult",
    "PeriodCounts",
    "RateResult",
    "ewma_alert",
    "garwood_interval",
    "period_counts",
    "poisson_cusum",
    "rates_per_1000",
    "seasonal_baseline",
]


# --------------------------------------------------------------------------
# Rates
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class RateResult:
    """Rates with exact Poisson confidence intervals (arrays of equal shape)."""

    rate: NDArray[np.float64]
    lower: NDArray[np.float64]
    upper: NDArray[np.float64]
    counts: NDArray[np.float64]
    population: NDArray[np.float64]
    per: float
    level: float


def garwood_interval(
    counts: ArrayLike, level: float = 0.95
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Exact (Garwood 1936) confidence limits for Poisson counts.

    ``lower = chi2.ppf(alpha/2, 2x) / 2`` (0 for x = 0) and
    ``upper = chi2.ppf(1 - alpha/2, 2x + 2) / 2``.
    """
    from scipy.special import gammaincinv

    lv = check_level(level)
    x = np.asarray(counts, dtype=np.float64)
    if not np.isfinite(x).all() or (x < 0).any():
        raise AnalysisInputError("counts must be finite and non-negative")
    a = 1.0 - lv
    # chi2.ppf(q, 2k) / 2 == gammaincinv(k, q)
    with np.errstate(invalid="ignore"):
        lower = np.where(x > 0, gammaincinv(np.maximum(x, 1e-300), a / 2.0), 0.0)
    upper = gammaincinv(x + 1.0, 1.0 - a / 2.0)
    return np.asarray(lower, dtype=np.float64), np.asarray(upper, dtype=np.float64)


def rates_per_1000(
    counts: ArrayLike,
    population: ArrayLike,
    *,
    per: float = 1000.0,
    level: float = 0.95,
) -> RateResult:
    """Rates per ``per`` inhabitants (default 1,000) with Garwood exact CIs.

    ``counts`` and ``population`` are arrays of the same shape (or
    broadcastable); populations must be > 0.
    """
    x = np.asarray(counts, dtype=np.float64)
    pop = np.asarray(population, dtype=np.float64)
    try:
        x, pop = np.broadcast_arrays(x, pop)
    except ValueError:
        raise AnalysisInputError(
            f"counts (shape {np.shape(counts)}) and population (shape {np.shape(population)}) "
            "must have the same shape"
        ) from None
    if not np.isfinite(pop).all() or (pop <= 0).any():
        raise AnalysisInputError("population must be finite and > 0")
    perv = check_positive(per, "per")
    lo, hi = garwood_interval(x, level)
    f = perv / pop
    return RateResult(
        rate=x * f,
        lower=lo * f,
        upper=hi * f,
        counts=np.array(x),
        population=np.array(pop),
        per=perv,
        level=float(level),
    )


# --------------------------------------------------------------------------
# Period counts
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class PeriodCounts:
    """Counts per category, area and period.

    Attributes:
        counts: int64 array ``(n_categories, n_areas, n_periods)``.
        period_start: ``datetime64[D]`` first day of each period (Monday for
            ISO weeks, the 1st for months); consecutive, no gaps.
        year: ISO week-year or calendar year of each period.
        season: ISO week number (1-53) or month (1-12).
        freq: ``"week"`` or ``"month"``.
    """

    counts: NDArray[np.int64]
    period_start: NDArray[np.datetime64]
    year: NDArray[np.int64]
    season: NDArray[np.int64]
    freq: str


def _iso_week(
    days: NDArray[np.int64],
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    """ISO (week-year, week, monday) for day numbers since 1970-01-01."""
    weekday = (days + 3) % 7  # Monday = 0 (1970-01-01 was a Thursday)
    monday = days - weekday
    thursday = monday + 3
    th = thursday.astype("datetime64[D]")
    iso_year = th.astype("datetime64[Y]").astype(np.int64) + 1970
    jan1 = (iso_year - 1970).astype("datetime64[Y]").astype("datetime64[D]").astype(np.int64)
    week = (thursday - jan1) // 7 + 1
    return iso_year, week, monday


def period_counts(
    dates: ArrayLike,
    *,
    freq: str = "week",
    categories: ArrayLike | None = None,
    areas: ArrayLike | None = None,
    n_categories: int | None = None,
    n_areas: int | None = None,
    start: Any = None,
    end: Any = None,
) -> PeriodCounts:
    """Weekly (ISO) or monthly counts of events per category and area.

    Args:
        dates: event dates/times (``datetime64`` or ISO strings).
        freq: ``"week"`` (ISO weeks, Monday-Sunday) or ``"month"``.
        categories, areas: optional integer codes ``0..K-1`` per event
            (e.g. offence category, area index from
            :func:`~brygga.analysis.grid.assign_areas`); events with code -1
            are ignored.
        n_categories, n_areas: sizes of the code ranges (default: max + 1).
        start, end: optional first/last date to cover (default: data range).
    """
    try:
        d = np.asarray(dates, dtype="datetime64[D]")
    except (TypeError, ValueError) as exc:
        raise AnalysisInputError(f"dates must be dates or datetimes: {exc}") from None
    if d.ndim != 1:
        raise AnalysisInputError(f"dates must be one-dimensional, got shape {d.shape}")
    if np.isnat(d).any():
        raise AnalysisInputError(f"dates contains {int(np.isnat(d).sum())} missing (NaT) value(s)")
    if freq not in ("week", "month"):
        raise AnalysisInputError(f"freq must be 'week' or 'month', got {freq!r}")
    n = d.size

    def codes(v: ArrayLike | None, name: str, size: int | None) -> tuple[NDArray[np.int64], int]:
        if v is None:
            return np.zeros(n, dtype=np.int64), 1 if size is None else check_int(
                size, name, minimum=1
            )
        a = np.asarray(v)
        if a.shape != (n,):
            raise AnalysisInputError(
                f"length mismatch: dates has {n} element(s) but {name} has {a.size}"
            )
        if a.size and not np.issubdtype(a.dtype, np.integer):
            raise AnalysisInputError(f"{name} must be integer codes")
        a = a.astype(np.int64)
        k = int(a.max()) + 1 if a.size else 0
        if size is not None:
            check_int(size, name, minimum=1)
            if k > size:
                raise AnalysisInputError(f"{name} has code {k - 1} >= {size}")
            k = size
        if (a < -1).any():
            raise AnalysisInputError(f"{name} codes must be >= -1")
        return a, max(k, 1)

    cat, n_cat = codes(categories, "categories", n_categories)
    area, n_area = codes(areas, "areas", n_areas)
    days = d.astype(np.int64)
    lo_d = (
        np.datetime64(start, "D").astype(np.int64)
        if start is not None
        else (days.min() if n else None)
    )
    hi_d = (
        np.datetime64(end, "D").astype(np.int64) if end is not None else (days.max() if n else None)
    )
    if lo_d is None or hi_d is None:
        raise AnalysisInputError("no dates given; pass start and end to define the periods")
    if hi_d < lo_d:
        raise AnalysisInputError("end must not be before start")
    keep = (days >= lo_d) & (days <= hi_d) & (cat >= 0) & (area >= 0)
    if freq == "week":
        _, _, mon0 = _iso_week(np.array([lo_d]))
        _, _, mon1 = _iso_week(np.array([hi_d]))
        starts = np.arange(mon0[0], mon1[0] + 1, 7)
        yr, season, _ = _iso_week(starts)
        _, _, ev_mon = _iso_week(days)
        pidx = (ev_mon - mon0[0]) // 7
        period_start = starts.astype("datetime64[D]")
    else:
        m0 = np.int64(np.datetime64(int(lo_d), "D").astype("datetime64[M]").astype(np.int64))
        m1 = np.int64(np.datetime64(int(hi_d), "D").astype("datetime64[M]").astype(np.int64))
        months = np.arange(m0, m1 + 1)
        yr = months // 12 + 1970
        season = months % 12 + 1
        pidx = d.astype("datetime64[M]").astype(np.int64) - m0
        period_start = months.astype("datetime64[M]").astype("datetime64[D]")
    n_per = period_start.size
    flat = (cat[keep] * n_area + area[keep]) * n_per + pidx[keep]
    counts = np.bincount(flat, minlength=n_cat * n_area * n_per).reshape(n_cat, n_area, n_per)
    return PeriodCounts(
        counts=counts.astype(np.int64),
        period_start=period_start,
        year=np.asarray(yr, dtype=np.int64),
        season=np.asarray(season, dtype=np.int64),
        freq=freq,
    )


# --------------------------------------------------------------------------
# Seasonal baseline
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class BaselineResult:
    """Result of :func:`seasonal_baseline`; arrays shaped like ``counts``.

    ``expected``, ``lower``, ``upper``, ``p_upper``, ``p_lower`` are NaN and
    ``flag`` is 0 where fewer than ``min_baseline`` baseline periods exist.
    ``n_baseline`` has one entry per period.
    """

    observed: NDArray[np.float64]
    expected: NDArray[np.float64]
    lower: NDArray[np.float64]
    upper: NDArray[np.float64]
    p_upper: NDArray[np.float64]
    p_lower: NDArray[np.float64]
    flag: NDArray[np.int8]
    dispersion: NDArray[np.float64]
    n_baseline: NDArray[np.int64]
    method: str
    level: float


def _as_series(counts: ArrayLike) -> tuple[NDArray[np.float64], tuple[int, ...]]:
    c = np.asarray(counts, dtype=np.float64)
    if c.ndim == 0:
        raise AnalysisInputError("counts must have a time axis")
    if not np.isfinite(c).all():
        raise AnalysisInputError("counts must be finite")
    if (c < 0).any():
        raise AnalysisInputError("counts must be non-negative")
    shape = c.shape
    return c.reshape(-1, shape[-1]), shape


def seasonal_baseline(
    counts: ArrayLike,
    season: ArrayLike,
    year: ArrayLike,
    *,
    n_seasons: int | None = None,
    window: int = 1,
    years_back: int | None = 5,
    method: str = "negbin",
    level: float = 0.95,
    min_baseline: int = 3,
) -> BaselineResult:
    """Compare each period with the same season in earlier years.

    Args:
        counts: ``(..., n_periods)`` counts (any leading dimensions, e.g.
            ``PeriodCounts.counts``).
        season: ``(n_periods,)`` season of each period (week 1-53, month 1-12).
        year: ``(n_periods,)`` year of each period.
        n_seasons: cycle length for the circular season window (default: 52
            if seasons go beyond 12, else 12).
        window: include seasons within +/- ``window`` of the period's season.
        years_back: use at most this many earlier years (None = all).
        method: ``"negbin"`` (default) or ``"poisson"``; see module docstring.
        level: prediction interval level.
        min_baseline: minimum number of baseline periods for a comparison.
    """
    from scipy.stats import nbinom

    c, shape = _as_series(counts)
    t_len = c.shape[1]
    s = np.asarray(season, dtype=np.int64)
    yr = np.asarray(year, dtype=np.int64)
    if s.shape != (t_len,) or yr.shape != (t_len,):
        raise AnalysisInputError(
            f"season and year must have one entry per period ({t_len}); "
            f"got {s.shape} and {yr.shape}"
        )
    lv = check_level(level)
    check_int(window, "window", minimum=0)
    check_int(min_baseline, "min_baseline", minimum=1)
    if method not in ("negbin", "poisson"):
        raise AnalysisInputError(f"method must be 'negbin' or 'poisson', got {method!r}")
    if n_seasons is None:
        n_seasons = 52 if (s.size and s.max() > 12) else 12
    check_int(n_seasons, "n_seasons", minimum=1)
    diff = np.abs(s[:, None] - s[None, :]) % n_seasons
    circ = np.minimum(diff, n_seasons - diff)
    dy = yr[:, None] - yr[None, :]
    sel = (circ <= window) & (dy >= 1)
    if years_back is not None:
        check_int(years_back, "years_back", minimum=1)
        sel &= dy <= years_back
    m = sel.sum(axis=1).astype(np.int64)
    selw = sel.astype(np.float64)
    tot = c @ selw.T
    sq = (c * c) @ selw.T
    ok = m >= min_baseline
    mm = np.where(ok, m, 1).astype(np.float64)
    mu = tot / mm
    var = np.where(mm > 1, (sq - mm * mu * mu) / np.maximum(mm - 1, 1), 0.0)
    var = np.maximum(var, 0.0)
    a = (1.0 - lv) / 2.0
    if method == "poisson":
        size = tot + 0.5
        prob = np.broadcast_to(mm / (mm + 1.0), size.shape)
        phi = np.ones_like(mu)
    else:
        with np.errstate(invalid="ignore", divide="ignore"):
            phi = np.where(mu > 0, np.maximum(1.0, var / np.where(mu > 0, mu, 1.0)), 1.0)
            v = phi * mu * (1.0 + 1.0 / mm)
            size = np.where(mu > 0, mu * mu / np.maximum(v - mu, 1e-300), tot + 0.5)
            prob = np.where(mu > 0, size / (size + mu), mm / (mm + 1.0))
    lower = nbinom.ppf(a, size, prob)
    upper = nbinom.ppf(1.0 - a, size, prob)
    p_up = nbinom.sf(c - 1.0, size, prob)
    p_lo = nbinom.cdf(c, size, prob)
    flag = np.where(c > upper, 1, np.where(c < lower, -1, 0)).astype(np.int8)
    bad = ~ok[None, :]
    for arr in (mu, lower, upper, p_up, p_lo, phi):
        arr[np.broadcast_to(bad, arr.shape)] = np.nan
    flag[np.broadcast_to(bad, flag.shape)] = 0
    return BaselineResult(
        observed=c.reshape(shape),
        expected=mu.reshape(shape),
        lower=lower.reshape(shape),
        upper=upper.reshape(shape),
        p_upper=p_up.reshape(shape),
        p_lower=p_lo.reshape(shape),
        flag=flag.reshape(shape),
        dispersion=phi.reshape(shape),
        n_baseline=m,
        method=method,
        level=lv,
    )


# --------------------------------------------------------------------------
# CUSUM and EWMA
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class CusumResult:
    """Poisson CUSUM statistic and alarms, shaped like ``counts``."""

    statistic: NDArray[np.float64]
    alarm: NDArray[np.bool_]
    reference: NDArray[np.float64]
    shift: float
    threshold: float


def _counts_and_expected(
    counts: ArrayLike, expected: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.float64], tuple[int, ...]]:
    c, shape = _as_series(counts)
    mu = np.asarray(expected, dtype=np.float64)
    try:
        mu = np.broadcast_to(mu, shape).reshape(c.shape)
    except ValueError:
        raise AnalysisInputError(
            f"expected (shape {np.shape(expected)}) must match counts (shape {shape})"
        ) from None
    if np.isinf(mu).any() or (mu < 0).any():
        raise AnalysisInputError("expected must be >= 0 and finite (NaN = no baseline)")
    return c, mu, shape


def poisson_cusum(
    counts: ArrayLike,
    expected: ArrayLike,
    *,
    shift: float = 1.5,
    threshold: float = 5.0,
    reset: bool = True,
) -> CusumResult:
    """Upper Poisson CUSUM for an emerging increase (see module docstring).

    Args:
        counts: ``(..., T)`` observed counts.
        expected: in-control means ``mu_t`` (same shape, or broadcastable);
            NaN means "no baseline" and leaves the statistic unchanged.
        shift: the rate ratio to detect (> 1), e.g. 1.5 for +50 %.
        threshold: decision limit ``h`` in counts.
        reset: restart from 0 after an alarm.
    """
    c, mu, shape = _counts_and_expected(counts, expected)
    sh = check_positive(shift, "shift")
    if sh <= 1.0:
        raise AnalysisInputError(f"shift must be > 1 (the increase to detect), got {sh}")
    h = check_positive(threshold, "threshold")
    k = (sh - 1.0) * mu / np.log(sh)
    stat = np.zeros_like(c)
    alarm = np.zeros(c.shape, dtype=bool)
    cur = np.zeros(c.shape[0])
    for t in range(c.shape[1]):
        inc = c[:, t] - k[:, t]
        inc = np.where(np.isnan(inc), 0.0, inc)
        cur = np.maximum(0.0, cur + inc)
        stat[:, t] = cur
        al = cur >= h
        alarm[:, t] = al
        if reset:
            cur = np.where(al, 0.0, cur)
    return CusumResult(
        statistic=stat.reshape(shape),
        alarm=alarm.reshape(shape),
        reference=k.reshape(shape),
        shift=sh,
        threshold=h,
    )


@dataclass(frozen=True)
class EwmaResult:
    """EWMA of Pearson residuals, its control limit and alarms."""

    statistic: NDArray[np.float64]
    limit: NDArray[np.float64]
    alarm: NDArray[np.bool_]
    lam: float
    width: float


def ewma_alert(
    counts: ArrayLike,
    expected: ArrayLike,
    *,
    lam: float = 0.3,
    width: float = 3.0,
) -> EwmaResult:
    """EWMA alert for increases (see module docstring).

    Residuals use ``sqrt(max(mu_t, 0.5))`` to avoid dividing by zero when the
    expectation is 0; NaN expectations (no baseline) carry the EWMA forward.
    """
    c, mu, shape = _counts_and_expected(counts, expected)
    lmb = check_positive(lam, "lam")
    if lmb > 1:
        raise AnalysisInputError(f"lam must be in (0, 1], got {lmb}")
    width_v = check_positive(width, "width")
    with np.errstate(invalid="ignore"):
        r = (c - mu) / np.sqrt(np.maximum(mu, 0.5))
    stat = np.zeros_like(c)
    lim = np.zeros_like(c)
    cur = np.zeros(c.shape[0])
    steps = np.zeros(c.shape[0])
    for t in range(c.shape[1]):
        rt = r[:, t]
        valid = ~np.isnan(rt)
        cur = np.where(valid, lmb * np.where(valid, rt, 0.0) + (1 - lmb) * cur, cur)
        steps = steps + valid
        stat[:, t] = cur
        lim[:, t] = width_v * np.sqrt(
            lmb / (2 - lmb) * (1 - (1 - lmb) ** (2 * np.maximum(steps, 1)))
        )
    alarm = (stat > lim) & ~np.isnan(r)
    return EwmaResult(
        statistic=stat.reshape(shape),
        limit=lim.reshape(shape),
        alarm=alarm.reshape(shape),
        lam=lmb,
        width=width_v,
    )
