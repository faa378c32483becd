"""Before/after evaluation: DiD Poisson regression vs statsmodels, exact CIs."""

from __future__ import annotations

import math

import numpy as np
import pytest
import statsmodels.api as sm
from scipy.stats import binomtest

from brygga.analysis import (
    AnalysisInputError,
    before_after,
    describe_change_sv,
    did_poisson,
    poisson_glm,
)


def _panel(seed: int, effect: float = 0.68, overdispersed: bool = False):
    rng = np.random.default_rng(seed)
    n_a, n_p = 7, 10
    treated = np.zeros(n_a, dtype=bool)
    treated[[0, 3]] = True
    after = np.arange(n_p) >= 6
    area = rng.uniform(8, 40, n_a)[:, None]
    period = rng.uniform(0.7, 1.3, n_p)[None, :]
    exposure = rng.uniform(0.5, 2.0, (n_a, n_p))
    mu = area * period * exposure * np.where(treated[:, None] & after[None, :], effect, 1.0)
    if overdispersed:
        mu = mu * rng.gamma(4.0, 0.25, mu.shape)
    return rng.poisson(mu), treated, after, exposure


def _statsmodels_design(n_a: int, n_p: int, treated, after) -> np.ndarray:
    """Independent construction of the fixed-effects design (not our helper)."""
    rows = []
    for a in range(n_a):
        for p in range(n_p):
            row = [1.0]
            row += [1.0 if a == k else 0.0 for k in range(1, n_a)]
            row += [1.0 if p == k else 0.0 for k in range(1, n_p)]
            row.append(1.0 if (treated[a] and after[p]) else 0.0)
            rows.append(row)
    return np.array(rows)


@pytest.mark.parametrize("dispersion", ["poisson", "quasi"])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_did_equals_statsmodels_poisson_glm(seed: int, dispersion: str) -> None:
    y, treated, after, exposure = _panel(seed, overdispersed=(seed == 3))
    res = did_poisson(y, treated, after, exposure=exposure, dispersion=dispersion)
    X = _statsmodels_design(*y.shape, treated, after)
    glm = sm.GLM(y.ravel(), X, family=sm.families.Poisson(), offset=np.log(exposure.ravel()))
    fit = glm.fit(tol=1e-13, maxiter=200, scale="X2" if dispersion == "quasi" else None)
    lo, hi = np.exp(fit.conf_int(alpha=0.05)[-1])
    assert res.rate_ratio == pytest.approx(math.exp(fit.params[-1]), rel=1e-6, abs=1e-6)
    assert res.ci_lower == pytest.approx(lo, rel=1e-6, abs=1e-6)
    assert res.ci_upper == pytest.approx(hi, rel=1e-6, abs=1e-6)
    assert res.se == pytest.approx(fit.bse[-1], rel=1e-6)
    assert res.p_value == pytest.approx(fit.pvalues[-1], rel=1e-6, abs=1e-12)
    assert res.deviance == pytest.approx(fit.deviance, rel=1e-8)
    assert res.converged and res.n_obs == y.size and res.df_resid == fit.df_resid
    assert res.treated_after == y[treated][:, after].sum()
    if dispersion == "quasi":
        assert res.dispersion == pytest.approx(fit.scale, rel=1e-8)


def test_saturated_two_by_two_has_closed_form() -> None:
    """One treated and one comparison area, one period each side:
    RR = (ta/tb) / (ca/cb), se^2 = 1/ta + 1/tb + 1/ca + 1/cb."""
    y = np.array([[120, 80], [200, 190]])
    res = did_poisson(y, [True, False], [False, True])
    rr = (80 / 120) / (190 / 200)
    se = math.sqrt(1 / 80 + 1 / 120 + 1 / 190 + 1 / 200)
    assert res.rate_ratio == pytest.approx(rr, rel=1e-10)
    assert res.ci_lower == pytest.approx(rr * math.exp(-1.959963984540054 * se), rel=1e-9)
    assert res.ci_upper == pytest.approx(rr * math.exp(1.959963984540054 * se), rel=1e-9)
    assert res.text_sv.startswith("minskning med 30 %")


def test_poisson_glm_general_design_equals_statsmodels() -> None:
    rng = np.random.default_rng(7)
    X = np.column_stack([np.ones(300), rng.normal(size=(300, 3))])
    y = rng.poisson(np.exp(X @ np.array([1.0, 0.3, -0.2, 0.1])))
    ours = poisson_glm(X, y)
    ref = sm.GLM(y, X, family=sm.families.Poisson()).fit(tol=1e-13)
    np.testing.assert_allclose(ours.params, ref.params, rtol=1e-8)
    np.testing.assert_allclose(np.sqrt(np.diag(ours.cov)), ref.bse, rtol=1e-7)
    assert ours.pearson_chi2 == pytest.approx(ref.pearson_chi2, rel=1e-8)


def test_did_drops_empty_areas_and_handles_non_estimable() -> None:
    y, treated, after, _ = _panel(4)
    y = np.vstack([y, np.zeros((1, y.shape[1]), dtype=int)])
    treated = np.append(treated, False)
    res = did_poisson(y, treated, after)
    assert res.dropped_areas == [y.shape[0] - 1] and res.converged
    y2 = y.copy()
    y2[np.ix_(treated, after)] = 0
    gone = did_poisson(y2, treated, after)
    assert gone.rate_ratio == 0.0 and math.isnan(gone.ci_lower)
    assert "kan inte skattas" in gone.text_sv


def test_before_after_exact_interval() -> None:
    res = before_after(50, 34, exposure_before=30, exposure_after=30)
    ci = binomtest(34, 84).proportion_ci(confidence_level=0.95, method="exact")
    assert res.rate_ratio == pytest.approx(34 / 50)
    assert res.ci_lower == pytest.approx(ci.low / (1 - ci.low), rel=1e-9)
    assert res.ci_upper == pytest.approx(ci.high / (1 - ci.high), rel=1e-9)
    assert res.p_value == pytest.approx(binomtest(34, 84, 0.5).pvalue)
    assert res.text_sv.startswith("ingen statistiskt säkerställd förändring (−32 %")
    # unequal period lengths scale the rate ratio
    longer = before_after(50, 34, exposure_before=60, exposure_after=30)
    assert longer.rate_ratio == pytest.approx(2 * 34 / 50)
    assert longer.ci_lower == pytest.approx(2 * res.ci_lower, rel=1e-9)


def test_before_after_zero_counts() -> None:
    none_after = before_after(12, 0)
    assert none_after.rate_ratio == 0.0 and none_after.ci_lower == 0.0 and none_after.ci_upper < 1
    none_before = before_after(0, 7)
    assert math.isinf(none_before.rate_ratio) and math.isinf(none_before.ci_upper)
    nothing = before_after(0, 0)
    assert math.isnan(nothing.rate_ratio) and "inga händelser" in nothing.text_sv


def test_swedish_plain_language() -> None:
    assert describe_change_sv(0.68, 0.52, 0.88) == "minskning med 32 % (95 % KI 12–48 %)"
    assert describe_change_sv(1.15, 1.03, 1.28) == "ökning med 15 % (95 % KI 3–28 %)"
    assert (
        describe_change_sv(0.95, 0.85, 1.06)
        == "ingen statistiskt säkerställd förändring (−5 %, 95 % KI −15 till +6 %)"
    )
    assert describe_change_sv(0.97, 0.93, 0.995) == "minskning med 3 % (95 % KI 0,5–7 %)"
    assert describe_change_sv(0.7, 0.6, 0.8, level=0.9).endswith("(90 % KI 20–40 %)")


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        (([[1, 2], [3, 4]], [True, True], [False, True]), {}, "comparison"),
        (([[1, 2], [3, 4]], [True, False], [True, True]), {}, "before"),
        (([[1, -2], [3, 4]], [True, False], [False, True]), {}, "non-negative"),
        (([[1, 2], [3, np.nan]], [True, False], [False, True]), {}, "finite"),
        (([[1, 2], [3, 4]], [True, False, True], [False, True]), {}, "one entry per area"),
        (([[1, 2], [3, 4]], [True, False], [False, True]), {"exposure": [[1, 0], [1, 1]]}, "> 0"),
        (([[1, 2], [3, 4]], [True, False], [False, True]), {"dispersion": "nb"}, "dispersion"),
    ],
)
def test_did_bad_input(args, kwargs, message) -> None:
    with pytest.raises(AnalysisInputError, match=message):
        did_poisson(*args, **kwargs)


def test_before_after_bad_input() -> None:
    with pytest.raises(AnalysisInputError, match="integer"):
        before_after(2.5, 3)
    with pytest.raises(AnalysisInputError, match="exposure_after"):
        before_after(2, 3, exposure_after=-1)
    with pytest.raises(AnalysisInputError, match="level"):
        before_after(2, 3, level=95)
