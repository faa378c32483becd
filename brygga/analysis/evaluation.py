"""Before/after evaluation of crime-prevention measures.

* :func:`did_poisson` - difference-in-differences on counts: a Poisson
  regression (log link) of the counts ``y[a, p]`` of areas ``a`` in periods
  ``p`` with area and period fixed effects and the treatment indicator
  ``D[a, p] = treated[a] and after[p]``::

      log E y[a, p] = log exposure[a, p] + alpha_a + gamma_p + beta * D[a, p]

  The measure's effect is the rate ratio ``exp(beta)``: the change in the
  treated area relative to the change in the comparison areas. It is fitted
  by iteratively reweighted least squares (Fisher scoring, McCullagh & Nelder
  1989, sec. 2.5) in numpy; the Wald confidence interval uses the inverse
  Fisher information. ``dispersion="quasi"`` scales the covariance by the
  Pearson chi-square over the residual degrees of freedom (quasi-Poisson),
  which is advisable when counts are over-dispersed. Areas or periods with no
  events at all carry no information about ``beta`` (their fixed effect is
  -inf) and are dropped.
* :func:`before_after` - the treated area alone, before vs after, when there
  is no comparison area: the rate ratio of two Poisson counts (adjusted for
  period lengths / exposure) with the exact conditional confidence interval
  (the after-count given the total is binomial; Clopper-Pearson limits for
  the binomial proportion are transformed to the rate ratio) and the exact
  binomial test.
* :func:`describe_change_sv` - the short Swedish plain-language reading used
  in reports, e.g. ``"minskning med 32 % (95 % KI 12–48 %)"``.

A before/after comparison without a comparison area cannot separate the
measure's effect from general trends, seasonality or regression to the mean;
reports should say so.

References:
    McCullagh P., Nelder J.A. (1989), Generalized Linear Models, 2nd ed.,
    Chapman & Hall.
    Wing C., Simon K., Bello-Gomez R.A. (2018), Designing difference in
    difference studies, Annual Review of Public Health 39:453-469.
    Clopper C.J., Pearson E.S. (1934), The use of confidence or fiducial
    limits illustrated in the case of the binomial, Biometrika 26:404-413.
    Ederer F., Mantel N. (1974), Confidence limits on the ratio of two Poisson
    variables, American Journal of Epidemiology 100(3):165-167.
    Farrington D.P., Welsh B.C. (2005), Randomized experiments in criminology:
    What have we learned in the last two decades?, J. Experimental Criminology
    1:9-38 (on before/after designs in crime prevention).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._validation import AnalysisInputError, check_int, check_level, check_positive

__all__ = [
    "DiDResult",
    "EffectEstimate",
    "PoissonFit",
    "before_after",
    "describe_change_sv",
    "did_poisson",
    "poisson_glm",
]


# --------------------------------------------------------------------------
# Swedish plain-language description
# --------------------------------------------------------------------------


def _pct(v: float) -> str:
    """Format a non-negative percentage the Swedish way: whole percent, or one
    decimal (with decimal comma) below 1 %."""
    if v >= 0.95 or v == 0:
        return f"{v:.0f}"
    return f"{v:.1f}".replace(".", ",")


def _signed(v: float) -> str:
    s = _pct(abs(v))
    if s in ("0", "0,0"):
        return "0"
    return ("+" if v > 0 else "−") + s


def describe_change_sv(
    rate_ratio: float, ci_lower: float, ci_upper: float, level: float = 0.95
) -> str:
    """Short Swedish reading of a rate ratio and its confidence interval.

    * CI entirely below 1: ``"minskning med 32 % (95 % KI 12–48 %)"``
    * CI entirely above 1: ``"ökning med 15 % (95 % KI 3–28 %)"``
    * otherwise: ``"ingen statistiskt säkerställd förändring (−5 %, 95 % KI −15 till +6 %)"``
    """
    lv = f"{level * 100:.0f} % KI"
    rr, lo, hi = float(rate_ratio), float(ci_lower), float(ci_upper)
    if not math.isfinite(rr) and rr > 0:
        return "ökning som inte kan kvantifieras (inga händelser före)"
    if any(math.isnan(v) for v in (rr, lo, hi)):
        return "förändringen kan inte skattas (för få händelser)"
    if hi < 1.0:
        return f"minskning med {_pct(100 * (1 - rr))} % ({lv} {_pct(100 * (1 - hi))}–{_pct(100 * (1 - lo))} %)"
    if lo > 1.0:
        if not math.isfinite(hi):
            return f"ökning med {_pct(100 * (rr - 1))} % ({lv} minst {_pct(100 * (lo - 1))} %)"
        return f"ökning med {_pct(100 * (rr - 1))} % ({lv} {_pct(100 * (lo - 1))}–{_pct(100 * (hi - 1))} %)"
    upper_txt = _signed(100 * (hi - 1)) + " %" if math.isfinite(hi) else "obegränsad"
    return (
        "ingen statistiskt säkerställd förändring "
        f"({_signed(100 * (rr - 1))} %, {lv} {_signed(100 * (lo - 1))} till {upper_txt})"
    )


# --------------------------------------------------------------------------
# Poisson GLM by IRLS
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class PoissonFit:
    """A Poisson log-linear model fitted by IRLS.

    ``cov`` is the unscaled inverse Fisher information ``(X' W X)^-1`` at the
    estimate; multiply by a dispersion (``pearson_chi2 / df_resid``) for
    quasi-Poisson standard errors.
    """

    params: NDArray[np.float64]
    cov: NDArray[np.float64]
    mu: NDArray[np.float64]
    deviance: float
    pearson_chi2: float
    df_resid: int
    converged: bool
    iterations: int


def _poisson_deviance(y: NDArray[np.float64], mu: NDArray[np.float64]) -> float:
    with np.errstate(divide="ignore", invalid="ignore"):
        term = np.where(y > 0, y * np.log(y / mu), 0.0)
    return float(2.0 * np.sum(term - (y - mu)))


def poisson_glm(
    X: ArrayLike,
    y: ArrayLike,
    *,
    offset: ArrayLike | None = None,
    max_iter: int = 100,
    tol: float = 1e-12,
) -> PoissonFit:
    """Fit ``log E y = X beta + offset`` by iteratively reweighted least squares.

    Each step solves the weighted least-squares problem with working response
    ``z = eta - offset + (y - mu) / mu`` and weights ``mu`` (Fisher scoring
    for the canonical log link) via a QR-based least-squares solver;
    iteration stops when the relative change in deviance is below ``tol``.
    Starting values follow statsmodels (``mu = (y + mean(y)) / 2``).
    """
    Xa = np.asarray(X, dtype=np.float64)
    ya = np.asarray(y, dtype=np.float64)
    if Xa.ndim != 2 or ya.ndim != 1 or Xa.shape[0] != ya.size:
        raise AnalysisInputError(f"X must be (n, p) and y (n,); got {Xa.shape} and {ya.shape}")
    if not np.isfinite(Xa).all() or not np.isfinite(ya).all() or (ya < 0).any():
        raise AnalysisInputError("X must be finite and y finite and non-negative")
    off = np.zeros(ya.size) if offset is None else np.asarray(offset, dtype=np.float64)
    if off.shape != ya.shape or not np.isfinite(off).all():
        raise AnalysisInputError("offset must be finite with one value per observation")
    n, p = Xa.shape
    if np.linalg.matrix_rank(Xa) < p:
        raise AnalysisInputError("design matrix is rank deficient")
    mu = (ya + ya.mean()) / 2.0
    mu = np.maximum(mu, 1e-10)
    eta = np.log(mu)
    dev_old = math.inf
    beta = np.zeros(p)
    converged = False
    it = 0
    for it in range(1, max_iter + 1):  # noqa: B007 - iteration count is reported
        z = eta - off + (ya - mu) / mu
        sw = np.sqrt(mu)
        beta = np.linalg.lstsq(Xa * sw[:, None], z * sw, rcond=None)[0]
        eta = np.clip(Xa @ beta + off, -700.0, 700.0)
        mu = np.exp(eta)
        dev = _poisson_deviance(ya, mu)
        if abs(dev - dev_old) <= tol * (abs(dev) + tol):
            converged = True
            break
        dev_old = dev
    r = np.linalg.qr(Xa * np.sqrt(mu)[:, None], mode="r")
    rinv = np.linalg.inv(r)
    cov = rinv @ rinv.T
    pearson = float(np.sum((ya - mu) ** 2 / mu))
    return PoissonFit(
        params=beta,
        cov=cov,
        mu=mu,
        deviance=_poisson_deviance(ya, mu),
        pearson_chi2=pearson,
        df_resid=n - p,
        converged=converged,
        iterations=it,
    )


# --------------------------------------------------------------------------
# Effect estimates
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class EffectEstimate:
    """A rate-ratio effect estimate with its confidence interval.

    Attributes:
        rate_ratio: after/before change in the treated area (relative to the
            comparison areas for difference-in-differences).
        ci_lower, ci_upper: confidence limits for the rate ratio.
        level: confidence level.
        p_value: two-sided p-value for "no change" (rate ratio 1).
        percent_change: ``100 * (rate_ratio - 1)``.
        method: short description of the method.
        text_sv: Swedish plain-language reading (:func:`describe_change_sv`).
    """

    rate_ratio: float
    ci_lower: float
    ci_upper: float
    level: float
    p_value: float
    percent_change: float
    method: str
    text_sv: str


@dataclass(frozen=True)
class DiDResult(EffectEstimate):
    """Difference-in-differences result; adds the model details a report needs.

    Attributes (in addition to :class:`EffectEstimate`):
        coef, se: log rate ratio and its standard error.
        dispersion: scale used for the covariance (1 for Poisson).
        treated_before, treated_after, comparison_before, comparison_after:
            event totals in the four groups (after dropping empty areas/periods).
        n_treated_areas, n_comparison_areas, n_periods_before, n_periods_after.
        n_obs, df_resid, deviance, pearson_chi2, converged, iterations.
        dropped_areas, dropped_periods: indices dropped for having no events.
    """

    coef: float = math.nan
    se: float = math.nan
    dispersion: float = 1.0
    treated_before: float = 0.0
    treated_after: float = 0.0
    comparison_before: float = 0.0
    comparison_after: float = 0.0
    n_treated_areas: int = 0
    n_comparison_areas: int = 0
    n_periods_before: int = 0
    n_periods_after: int = 0
    n_obs: int = 0
    df_resid: int = 0
    deviance: float = math.nan
    pearson_chi2: float = math.nan
    converged: bool = False
    iterations: int = 0
    dropped_areas: list[int] = field(default_factory=list)
    dropped_periods: list[int] = field(default_factory=list)


def did_design(
    n_areas: int, n_periods: int, treated: NDArray[np.bool_], after: NDArray[np.bool_]
) -> NDArray[np.float64]:
    """Design matrix (row-major over areas, then periods) for :func:`did_poisson`.

    Columns: intercept, area dummies for areas 1..A-1, period dummies for
    periods 1..T-1, and the treatment indicator ``treated[a] & after[p]``.
    """
    a_idx = np.repeat(np.arange(n_areas), n_periods)
    p_idx = np.tile(np.arange(n_periods), n_areas)
    cols = [np.ones(n_areas * n_periods)]
    cols += [(a_idx == a).astype(float) for a in range(1, n_areas)]
    cols += [(p_idx == q).astype(float) for q in range(1, n_periods)]
    cols.append((treated[a_idx] & after[p_idx]).astype(float))
    return np.column_stack(cols)


def did_poisson(
    counts: ArrayLike,
    treated: ArrayLike,
    after: ArrayLike,
    *,
    exposure: ArrayLike | None = None,
    level: float = 0.95,
    dispersion: str = "poisson",
    max_iter: int = 100,
) -> DiDResult:
    """Difference-in-differences rate ratio from a Poisson regression.

    Args:
        counts: ``(n_areas, n_periods)`` event counts.
        treated: ``(n_areas,)`` bool, True for areas where the measure was taken.
        after: ``(n_periods,)`` bool, True for periods after it started.
        exposure: optional ``(n_areas, n_periods)`` positive exposure (e.g.
            population x days); enters as the offset ``log(exposure)``.
        level: confidence level.
        dispersion: ``"poisson"`` (scale 1) or ``"quasi"`` (Pearson scale).
        max_iter: IRLS iteration limit.

    Returns:
        :class:`DiDResult`. If the treatment effect is not estimable (no
        events in one of the four treated/comparison x before/after groups),
        the rate ratio is 0 or inf as appropriate and the interval is NaN.
    """
    from scipy.special import ndtr, ndtri

    y = np.asarray(counts, dtype=np.float64)
    if y.ndim != 2:
        raise AnalysisInputError(f"counts must be 2-D (areas x periods), got shape {y.shape}")
    if not np.isfinite(y).all() or (y < 0).any():
        raise AnalysisInputError("counts must be finite and non-negative")
    n_a, n_p = y.shape
    tr = np.asarray(treated, dtype=bool)
    af = np.asarray(after, dtype=bool)
    if tr.shape != (n_a,):
        raise AnalysisInputError(f"treated must have one entry per area ({n_a}), got {tr.shape}")
    if af.shape != (n_p,):
        raise AnalysisInputError(f"after must have one entry per period ({n_p}), got {af.shape}")
    lv = check_level(level)
    if dispersion not in ("poisson", "quasi"):
        raise AnalysisInputError(f"dispersion must be 'poisson' or 'quasi', got {dispersion!r}")
    check_int(max_iter, "max_iter", minimum=1)
    if exposure is None:
        ex = np.ones_like(y)
    else:
        ex = np.asarray(exposure, dtype=np.float64)
        if ex.shape != y.shape:
            raise AnalysisInputError(f"exposure must have shape {y.shape}, got {ex.shape}")
        if not np.isfinite(ex).all() or (ex <= 0).any():
            raise AnalysisInputError("exposure must be finite and > 0")
    if not tr.any() or tr.all():
        raise AnalysisInputError("need at least one treated and one comparison area")
    if not af.any() or af.all():
        raise AnalysisInputError("need at least one period before and one after the start")

    keep_a = y.sum(axis=1) > 0
    keep_p = y.sum(axis=0) > 0
    dropped_a = [int(i) for i in np.flatnonzero(~keep_a)]
    dropped_p = [int(i) for i in np.flatnonzero(~keep_p)]
    y2, ex2 = y[keep_a][:, keep_p], ex[keep_a][:, keep_p]
    tr2, af2 = tr[keep_a], af[keep_p]
    tb = float(y2[tr2][:, ~af2].sum())
    ta = float(y2[tr2][:, af2].sum())
    cb = float(y2[~tr2][:, ~af2].sum())
    ca = float(y2[~tr2][:, af2].sum())
    z = float(ndtri(0.5 + lv / 2.0))
    method = "difference-in-differences Poisson regression with area and period effects, " + (
        "quasi-Poisson scale" if dispersion == "quasi" else "Poisson scale"
    )
    common: dict[str, Any] = {
        "level": lv,
        "method": method,
        "treated_before": tb,
        "treated_after": ta,
        "comparison_before": cb,
        "comparison_after": ca,
        "n_treated_areas": int(tr2.sum()),
        "n_comparison_areas": int((~tr2).sum()),
        "n_periods_before": int((~af2).sum()),
        "n_periods_after": int(af2.sum()),
        "dropped_areas": dropped_a,
        "dropped_periods": dropped_p,
    }
    if min(tb, ta, cb, ca) == 0 or not tr2.any() or tr2.all() or not af2.any() or af2.all():
        if ta == 0 and tb > 0:
            rr = 0.0
        elif tb == 0 and ta > 0:
            rr = math.inf
        else:
            rr = math.nan
        return DiDResult(
            rate_ratio=rr,
            ci_lower=math.nan,
            ci_upper=math.nan,
            p_value=math.nan,
            percent_change=100 * (rr - 1),
            text_sv=describe_change_sv(rr, math.nan, math.nan, lv),
            n_obs=int(y2.size),
            **common,
        )
    X = did_design(y2.shape[0], y2.shape[1], tr2, af2)
    fit = poisson_glm(X, y2.ravel(), offset=np.log(ex2.ravel()), max_iter=max_iter)
    scale = fit.pearson_chi2 / fit.df_resid if (dispersion == "quasi" and fit.df_resid > 0) else 1.0
    beta = float(fit.params[-1])
    se = float(math.sqrt(fit.cov[-1, -1] * scale))
    rr = math.exp(beta)
    lo, hi = math.exp(beta - z * se), math.exp(beta + z * se)
    p = float(2.0 * ndtr(-abs(beta / se))) if se > 0 else math.nan
    return DiDResult(
        rate_ratio=rr,
        ci_lower=lo,
        ci_upper=hi,
        p_value=p,
        percent_change=100 * (rr - 1),
        text_sv=describe_change_sv(rr, lo, hi, lv),
        coef=beta,
        se=se,
        dispersion=scale,
        n_obs=int(y2.size),
        df_resid=fit.df_resid,
        deviance=fit.deviance,
        pearson_chi2=fit.pearson_chi2,
        converged=fit.converged,
        iterations=fit.iterations,
        **common,
    )


def before_after(
    count_before: float,
    count_after: float,
    *,
    exposure_before: float = 1.0,
    exposure_after: float = 1.0,
    level: float = 0.95,
) -> EffectEstimate:
    """Rate ratio after/before for one area, with an exact confidence interval.

    Args:
        count_before, count_after: event counts (non-negative integers).
        exposure_before, exposure_after: length of the periods (e.g. days) or
            person-time; the rate ratio is
            ``(count_after / exposure_after) / (count_before / exposure_before)``.
        level: confidence level.

    Method: conditional on the total ``N = before + after``, the after-count is
    Binomial(N, pi) with ``pi = RR e1 / (e0 + RR e1)``; Clopper-Pearson limits
    for ``pi`` give exact limits ``RR = pi / (1 - pi) * e0 / e1``, and the
    p-value is the exact two-sided binomial test of ``RR = 1``.
    """
    from scipy.stats import beta as beta_dist
    from scipy.stats import binomtest

    lv = check_level(level)
    y0 = float(count_before)
    y1 = float(count_after)
    for v, name in ((y0, "count_before"), (y1, "count_after")):
        if not math.isfinite(v) or v < 0 or v != round(v):
            raise AnalysisInputError(f"{name} must be a non-negative integer, got {v}")
    e0 = check_positive(exposure_before, "exposure_before")
    e1 = check_positive(exposure_after, "exposure_after")
    method = (
        "before/after rate ratio, exact conditional binomial (Clopper-Pearson), no comparison area"
    )
    total = int(y0 + y1)
    if total == 0:
        return EffectEstimate(
            rate_ratio=math.nan,
            ci_lower=math.nan,
            ci_upper=math.nan,
            level=lv,
            p_value=math.nan,
            percent_change=math.nan,
            method=method,
            text_sv="förändringen kan inte skattas (inga händelser)",
        )
    a = 1.0 - lv
    k = int(y1)
    pi_lo = 0.0 if k == 0 else float(beta_dist.ppf(a / 2, k, total - k + 1))
    pi_hi = 1.0 if k == total else float(beta_dist.ppf(1 - a / 2, k + 1, total - k))

    def to_rr(pi: float) -> float:
        if pi >= 1.0:
            return math.inf
        return pi / (1.0 - pi) * e0 / e1

    rr = (y1 / e1) / (y0 / e0) if y0 > 0 else math.inf
    lo, hi = to_rr(pi_lo), to_rr(pi_hi)
    p = float(binomtest(k, total, e1 / (e0 + e1)).pvalue)
    return EffectEstimate(
        rate_ratio=rr,
        ci_lower=lo,
        ci_upper=hi,
        level=lv,
        p_value=p,
        percent_change=100 * (rr - 1),
        method=method,
        text_sv=describe_change_sv(rr, lo, hi, lv),
    )
