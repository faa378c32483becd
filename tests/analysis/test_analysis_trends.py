"""Rates with Garwood intervals, period counts, seasonal baselines, CUSUM, EWMA."""

from __future__ import annotations

import datetime

import numpy as np
import pytest
from scipy.stats import chi2, nbinom

from brygga.analysis import (
    AnalysisInputError,
    ewma_alert,
    garwood_interval,
    period_counts,
    poisson_cusum,
    rates_per_1000,
    seasonal_baseline,
)


def test_garwood_interval_matches_chi_square_formula() -> None:
    x = np.array([0, 1, 2, 5, 17, 250])
    lo, hi = garwood_interval(x, 0.95)
    np.testing.assert_allclose(lo[1:], chi2.ppf(0.025, 2 * x[1:]) / 2, rtol=1e-10)
    np.testing.assert_allclose(hi, chi2.ppf(0.975, 2 * x + 2) / 2, rtol=1e-10)
    assert lo[0] == 0.0 and hi[0] == pytest.approx(3.6889, abs=1e-4)  # classic table value


def test_rates_per_1000() -> None:
    res = rates_per_1000([0, 5, 120], [1_000, 2_000, 48_000])
    np.testing.assert_allclose(res.rate, [0.0, 2.5, 2.5])
    assert res.lower[1] == pytest.approx(chi2.ppf(0.025, 10) / 2 / 2)
    assert (res.lower <= res.rate).all() and (res.rate <= res.upper).all()
    assert res.upper[2] - res.lower[2] < res.upper[1] - res.lower[1]  # more events, tighter
    with pytest.raises(AnalysisInputError, match="population"):
        rates_per_1000([1], [0])
    with pytest.raises(AnalysisInputError, match="same shape"):
        rates_per_1000([1, 2, 3], [10, 20])


def test_period_counts_iso_weeks_and_months() -> None:
    rng = np.random.default_rng(0)
    day0 = np.datetime64("2019-12-20")
    dates = day0 + rng.integers(0, 800, 3000).astype("timedelta64[D]")
    cat = rng.integers(0, 3, dates.size)
    area = rng.integers(0, 2, dates.size)
    wk = period_counts(dates, freq="week", categories=cat, areas=area)
    assert wk.counts.shape == (3, 2, wk.period_start.size) and wk.counts.sum() == 3000
    assert (np.diff(wk.period_start.astype(int)) == 7).all()
    for ps, yr, season in zip(wk.period_start[:60], wk.year[:60], wk.season[:60], strict=True):
        d = datetime.date.fromisoformat(str(ps))
        assert d.weekday() == 0 and d.isocalendar()[:2] == (yr, season)
    # a specific event lands in its ISO week
    k = 17
    d = datetime.date.fromisoformat(str(dates[k]))
    monday = np.datetime64(d - datetime.timedelta(days=d.weekday()))
    p = int(np.flatnonzero(wk.period_start == monday)[0])
    same = (dates >= monday) & (dates < monday + 7) & (cat == cat[k]) & (area == area[k])
    assert wk.counts[cat[k], area[k], p] == same.sum()
    mo = period_counts(dates, freq="month")
    assert mo.counts.shape[:2] == (1, 1) and mo.counts.sum() == 3000
    assert mo.season[0] == 12 and mo.year[0] == 2019 and mo.season[1] == 1


def _monthly(years: int, seed: int, level: float = 20.0) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    season = np.tile(np.arange(1, 13), years)
    year = np.repeat(np.arange(2018, 2018 + years), 12)
    mu = level * (1 + 0.3 * np.sin(2 * np.pi * season / 12))
    return rng.poisson(mu).astype(float), season, year, mu


def test_seasonal_baseline_expectation_and_flags() -> None:
    counts, season, year, _ = _monthly(6, 1)
    counts[-2] += 40  # a clear increase in November of the last year
    counts[-5] = 0  # a clear decrease in August
    res = seasonal_baseline(counts, season, year, window=1, years_back=5)
    t = len(counts) - 2
    sel = (
        (np.minimum(np.abs(season - season[t]) % 12, 12 - np.abs(season - season[t]) % 12) <= 1)
        & (year < year[t])
        & (year >= year[t] - 5)
    )
    assert res.n_baseline[t] == sel.sum() == 15
    assert res.expected[t] == pytest.approx(counts[sel].mean())
    assert res.flag[t] == 1 and res.flag[-5] == -1
    assert res.p_upper[t] < 0.001 and res.p_lower[-5] < 0.001
    assert np.isnan(res.expected[:12]).all() and (res.flag[:12] == 0).all()  # no history yet
    # the poisson method's interval is the Gamma-Poisson predictive quantile
    pois = seasonal_baseline(counts, season, year, method="poisson")
    y_sum, m = counts[sel].sum(), sel.sum()
    assert pois.upper[t] == nbinom.ppf(0.975, y_sum + 0.5, m / (m + 1))
    # leading dimensions (categories x areas) are supported
    stacked = np.stack([counts, counts])[None]
    multi = seasonal_baseline(stacked, season, year)
    np.testing.assert_array_equal(multi.flag[0, 1], res.flag)


def test_seasonal_baseline_false_alarm_rate_is_controlled() -> None:
    rates = []
    for seed in range(20):
        counts, season, year, _ = _monthly(6, 100 + seed)
        res = seasonal_baseline(counts, season, year, level=0.95)
        rates.append(np.abs(res.flag[12:]).mean())
    assert np.mean(rates) < 0.08  # nominal two-sided 5 %, discrete and conservative


def test_poisson_cusum_recursion_and_detection() -> None:
    mu = np.full(40, 10.0)
    x = np.full(40, 10.0)
    x[25:] = 17.0  # +70 % from week 25
    res = poisson_cusum(x, mu, shift=1.5, threshold=5.0)
    k = 0.5 * 10 / np.log(1.5)
    s, manual = 0.0, []
    for v in x:
        s = max(0.0, s + v - k)
        manual.append(s)
        if s >= 5.0:
            s = 0.0
    np.testing.assert_allclose(res.statistic, manual)
    assert not res.alarm[:25].any() and res.alarm[25:28].any()
    assert np.isclose(res.reference, k).all()
    with pytest.raises(AnalysisInputError, match="shift"):
        poisson_cusum(x, mu, shift=0.9)


def test_ewma_recursion_and_detection() -> None:
    mu = np.full(30, 16.0)
    x = np.full(30, 16.0)
    x[20:] = 28.0
    res = ewma_alert(x, mu, lam=0.3, width=3.0)
    e, manual = 0.0, []
    for v in x:
        e = 0.3 * (v - 16.0) / 4.0 + 0.7 * e
        manual.append(e)
    np.testing.assert_allclose(res.statistic, manual)
    t = np.arange(1, 31)
    np.testing.assert_allclose(res.limit, 3.0 * np.sqrt(0.3 / 1.7 * (1 - 0.7 ** (2 * t))))
    assert not res.alarm[:20].any() and res.alarm[20:23].any()


def test_alerts_reject_bad_input() -> None:
    with pytest.raises(AnalysisInputError, match="non-negative"):
        poisson_cusum([1, -1], [1, 1])
    with pytest.raises(AnalysisInputError, match="expected"):
        ewma_alert([1, 1], [1, -1])
    with pytest.raises(AnalysisInputError, match="finite"):
        seasonal_baseline([1.0, np.nan], [1, 2], [2020, 2020])
    with pytest.raises(AnalysisInputError, match="one entry per period"):
        seasonal_baseline([1.0, 2.0], [1, 2, 3], [2020, 2020])
    with pytest.raises(AnalysisInputError, match="NaT"):
        period_counts(np.array(["2024-01-01", "NaT"], dtype="datetime64[D]"))
