"""Survey estimates (brygga.analysis.surveys) against statsmodels and by hand."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import stats
from statsmodels.stats.weightstats import CompareMeans, DescrStatsW

from brygga.analysis import AnalysisInputError
from brygga.analysis.surveys import (
    Difference,
    WeightedEstimate,
    difference,
    kish_effective_n,
    score_mean_index,
    score_share_index,
    suppress_estimates,
    weighted_estimate,
    weighted_estimates_by_group,
)

TOL = {"rel": 1e-9, "abs": 1e-9}
NAN = np.nan


def _design(kind: str, n: int, rng: np.random.Generator) -> np.ndarray:
    if kind == "uniform":
        return np.ones(n)
    if kind == "lognormal":
        return rng.lognormal(0.0, 1.0, n)
    if kind == "frequency":
        return rng.integers(1, 6, n).astype(float)
    if kind == "strata":  # a few large post-stratification weights
        return np.where(rng.random(n) < 0.1, 25.0, 1.5)
    raise AssertionError(kind)


def _statsmodels(x: np.ndarray, w: np.ndarray) -> DescrStatsW:
    keep = ~np.isnan(x)
    x, w = x[keep], w[keep]
    n_eff = w.sum() ** 2 / (w**2).sum()
    return DescrStatsW(x, weights=w * n_eff / w.sum(), ddof=1)


def _sample(kind: str, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.integers(1, 11, n).astype(float) + rng.normal(0, 0.3, n)
    x[rng.random(n) < 0.15] = np.nan  # skipped / not scored
    w = _design(kind, n, rng)
    return x, w


DESIGNS = ["uniform", "lognormal", "frequency", "strata"]


# --------------------------------------------------------------------------
# kish_effective_n
# --------------------------------------------------------------------------


def test_kish_effective_n() -> None:
    assert kish_effective_n(np.ones(7)) == pytest.approx(7.0)
    assert kish_effective_n([1.0, 3.0]) == pytest.approx(16 / 10)
    assert kish_effective_n([2.5]) == pytest.approx(1.0)


@pytest.mark.parametrize("bad", [[1.0, 0.0], [1.0, -2.0], [1.0, np.nan], [np.inf, 1.0], []])
def test_kish_effective_n_rejects_bad_weights(bad: list[float]) -> None:
    with pytest.raises(AnalysisInputError, match="weights"):
        kish_effective_n(bad)


# --------------------------------------------------------------------------
# weighted_estimate vs statsmodels
# --------------------------------------------------------------------------


@pytest.mark.parametrize("kind", DESIGNS)
@pytest.mark.parametrize("n", [5, 40, 2_000])
@pytest.mark.parametrize("seed", [1, 2])
def test_weighted_estimate_matches_statsmodels(kind: str, n: int, seed: int) -> None:
    x, w = _sample(kind, n, seed)
    w_nan_where_missing = np.where(np.isnan(x), np.nan, w)  # allowed: no value, no weight needed
    est = weighted_estimate(x, w_nan_where_missing)
    d = _statsmodels(x, w)
    assert est is not None
    assert est.n == int((~np.isnan(x)).sum())
    assert est.n_eff == pytest.approx(d.sum_weights, **TOL)
    assert est.n_eff == pytest.approx(kish_effective_n(w[~np.isnan(x)]), **TOL)
    assert est.mean == pytest.approx(d.mean, **TOL)
    assert est.se == pytest.approx(d.std_mean, **TOL)
    lo, hi = d.tconfint_mean(alpha=0.05)
    assert est.low == pytest.approx(lo, **TOL)
    assert est.high == pytest.approx(hi, **TOL)
    assert est.confidence == 0.95


@pytest.mark.parametrize("confidence", [0.80, 0.90, 0.99])
def test_weighted_estimate_other_confidence_matches_statsmodels(confidence: float) -> None:
    x, w = _sample("lognormal", 300, 5)
    est = weighted_estimate(x, w, confidence=confidence)
    lo, hi = _statsmodels(x, w).tconfint_mean(alpha=1 - confidence)
    assert est is not None
    assert (est.low, est.high) == (pytest.approx(lo, **TOL), pytest.approx(hi, **TOL))


def test_uniform_weights_give_classic_t_interval() -> None:
    x = np.array([3.0, 5.0, 4.0, 8.0, NAN, 6.0])
    est = weighted_estimate(x)
    xs = x[~np.isnan(x)]
    assert est is not None
    assert est.n == 5
    assert est.n_eff == pytest.approx(5.0)
    assert est.mean == pytest.approx(xs.mean())
    assert est.se == pytest.approx(stats.sem(xs))
    lo, hi = stats.t.interval(0.95, 4, loc=xs.mean(), scale=stats.sem(xs))
    assert (est.low, est.high) == (pytest.approx(lo), pytest.approx(hi))
    # scaling all weights by a constant changes nothing
    scaled = weighted_estimate(x, np.full(6, 3.7))
    assert scaled is not None
    assert (scaled.n_eff, scaled.mean, scaled.se, scaled.high) == (
        pytest.approx(est.n_eff),
        pytest.approx(est.mean),
        pytest.approx(est.se),
        pytest.approx(est.high),
    )


def test_weighted_estimate_edge_cases() -> None:
    assert weighted_estimate([NAN, NAN]) is None
    assert weighted_estimate([]) is None
    one = weighted_estimate([4.0, NAN])
    assert one is not None
    assert (one.n, one.n_eff, one.mean) == (1, 1.0, 4.0)
    assert np.isnan(one.se) and np.isnan(one.low) and np.isnan(one.high)
    # one dominant weight: n_eff close to but above 1 still gives an interval
    dom = weighted_estimate([1.0, 2.0, 3.0], [1e6, 1.0, 1.0])
    assert dom is not None and 1.0 < dom.n_eff < 1.01 and np.isfinite(dom.se)
    same = weighted_estimate([5.0, 5.0, 5.0])
    assert same is not None and same.se == 0.0 and same.low == same.high == 5.0


@pytest.mark.parametrize(
    ("values", "weights", "match"),
    [
        ([1.0, 2.0], [1.0, 0.0], "weights must be finite and > 0.*index 1"),
        ([1.0, 2.0], [-1.0, 1.0], "weights must be finite and > 0.*index 0"),
        ([1.0, 2.0], [1.0, NAN], "weights must be finite and > 0"),
        ([1.0, 2.0], [1.0, np.inf], "weights must be finite and > 0"),
        ([1.0, 2.0], [1.0], "length mismatch"),
        ([1.0, np.inf], None, "inf at index 1"),
        ([[1.0, 2.0]], None, "one-dimensional"),
        (["a", "b"], None, "numeric"),
    ],
)
def test_weighted_estimate_bad_input(values, weights, match: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(AnalysisInputError, match=match):
        weighted_estimate(values, weights)


def test_weighted_estimate_bad_confidence() -> None:
    with pytest.raises(AnalysisInputError, match="confidence"):
        weighted_estimate([1.0, 2.0], confidence=95)


finite = st.floats(-1e3, 1e3, allow_nan=False)
positive = st.floats(0.01, 100.0, allow_nan=False)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(finite, positive), min_size=1, max_size=60))
def test_weighted_estimate_properties(rows: list[tuple[float, float]]) -> None:
    x = np.array([r[0] for r in rows])
    w = np.array([r[1] for r in rows])
    est = weighted_estimate(x, w)
    assert est is not None
    span = x.max() - x.min()
    slack = 1e-9 * (abs(x).max() + 1)
    assert x.min() - slack <= est.mean <= x.max() + slack
    assert 1.0 - 1e-9 <= est.n_eff <= len(x) + 1e-9
    if np.isfinite(est.se):
        assert est.se >= 0
        assert est.low - slack <= est.mean <= est.high + slack
        if est.n_eff >= 2:  # weighted variance <= span^2 / 4, so se <= span / 2
            assert est.se <= span / 2 + slack
    uniform = weighted_estimate(x)
    assert uniform is not None
    assert uniform.n_eff == pytest.approx(len(x))


# --------------------------------------------------------------------------
# by group
# --------------------------------------------------------------------------


@pytest.mark.parametrize("kind", DESIGNS)
def test_by_group_equals_per_group_estimate(kind: str) -> None:
    rng = np.random.default_rng(11)
    n = 3_000
    x, w = _sample(kind, n, 3)
    areas = rng.integers(0, 12, n)
    areas[:4] = 99  # a small group
    x[areas == 7] = NAN  # a group with no values at all
    res = weighted_estimates_by_group(x, areas, w)
    expected = {
        int(a): weighted_estimate(x[areas == a], w[areas == a]) for a in np.unique(areas) if a != 7
    }
    assert list(res) == sorted(expected)
    assert all(type(k) is int for k in res)
    for a, e in expected.items():
        got = res[a]
        assert e is not None
        for f in ("n", "n_eff", "mean", "se", "low", "high"):
            assert getattr(got, f) == pytest.approx(getattr(e, f), rel=1e-12, abs=1e-12), (a, f)


def test_by_group_string_labels_and_statsmodels() -> None:
    x, w = _sample("lognormal", 500, 8)
    names = np.array(["Centrum", "Norr", "Söder"])[np.arange(500) % 3]
    res = weighted_estimates_by_group(x, names.tolist(), w)
    assert list(res) == ["Centrum", "Norr", "Söder"]
    assert all(type(k) is str for k in res)
    d = _statsmodels(x[names == "Söder"], w[names == "Söder"])
    assert res["Söder"].mean == pytest.approx(d.mean, **TOL)
    assert res["Söder"].se == pytest.approx(d.std_mean, **TOL)


def test_by_group_bad_input() -> None:
    with pytest.raises(AnalysisInputError, match="length mismatch.*groups"):
        weighted_estimates_by_group([1.0, 2.0], [1, 2, 3])
    with pytest.raises(AnalysisInputError, match="weights must be finite and > 0"):
        weighted_estimates_by_group([1.0, 2.0], [1, 2], [1.0, 0.0])
    with pytest.raises(AnalysisInputError, match="one-dimensional"):
        weighted_estimates_by_group([1.0, 2.0], [[1, 2]])
    assert weighted_estimates_by_group([NAN, NAN], ["a", "b"]) == {}


# --------------------------------------------------------------------------
# difference vs statsmodels CompareMeans
# --------------------------------------------------------------------------


@pytest.mark.parametrize(("kind1", "kind2"), [(a, b) for a in DESIGNS for b in DESIGNS])
def test_difference_matches_statsmodels_compare_means(kind1: str, kind2: str) -> None:
    x1, w1 = _sample(kind1, 400, 21)
    x2, w2 = _sample(kind2, 250, 22)
    x2 = x2 + 0.4
    later, earlier = weighted_estimate(x2, w2), weighted_estimate(x1, w1)
    assert later is not None and earlier is not None
    diff = difference(later, earlier)
    cm = CompareMeans(_statsmodels(x2, w2), _statsmodels(x1, w1))
    lo, hi = cm.tconfint_diff(alpha=0.05, usevar="unequal")
    assert diff.change == pytest.approx(later.mean - earlier.mean, **TOL)
    assert diff.se == pytest.approx(cm.std_meandiff_separatevar, **TOL)
    assert diff.df == pytest.approx(cm.dof_satt(), **TOL)
    assert diff.low == pytest.approx(lo, **TOL)
    assert diff.high == pytest.approx(hi, **TOL)
    t_sm, p_sm, df_sm = cm.ttest_ind(usevar="unequal")
    assert diff.clear == bool(p_sm < 0.05)
    assert diff.df == pytest.approx(df_sm, **TOL)


def test_difference_clear_flips() -> None:
    base = WeightedEstimate(n=500, n_eff=400.0, mean=6.0, se=0.1, low=0, high=0, confidence=0.95)

    def later(mean: float) -> WeightedEstimate:
        return WeightedEstimate(
            n=450, n_eff=380.0, mean=mean, se=0.1, low=0, high=0, confidence=0.95
        )

    # 1.96 * sqrt(0.02) ~= 0.277: a change of 0.2 is not clear, 0.4 is, either direction
    assert not difference(later(6.2), base).clear
    assert difference(later(6.4), base).clear
    assert difference(later(5.6), base).clear
    assert not difference(later(5.8), base).clear
    d = difference(later(6.4), base, confidence=0.999)
    assert not d.clear and d.confidence == 0.999  # 3.3 * 0.141 = 0.47 > 0.4
    # symmetric df: equal se and equal n_eff - 1 give df = 2 (n_eff - 1)
    same = WeightedEstimate(n=1, n_eff=101.0, mean=0.0, se=1.0, low=0, high=0, confidence=0.95)
    assert difference(same, same).df == pytest.approx(200.0)


def test_difference_without_standard_error() -> None:
    single = weighted_estimate([5.0])
    other = weighted_estimate([1.0, 2.0, 3.0])
    assert single is not None and other is not None
    d = difference(other, single)
    assert isinstance(d, Difference)
    assert d.change == pytest.approx(-3.0)
    assert np.isnan(d.se) and np.isnan(d.low) and not d.clear
    const = weighted_estimate([2.0, 2.0])
    assert const is not None
    d0 = difference(const, const)
    assert d0.se == 0.0 and np.isnan(d0.df) and not d0.clear
    with pytest.raises(AnalysisInputError, match="WeightedEstimate"):
        difference(other, 3.0)  # type: ignore[arg-type]


# --------------------------------------------------------------------------
# suppression
# --------------------------------------------------------------------------


def test_suppress_estimates() -> None:
    x = np.r_[np.ones(40), np.ones(10)]
    g = np.r_[np.zeros(40, int), np.ones(10, int)]
    res = suppress_estimates(weighted_estimates_by_group(x, g), k=30)
    assert res[0] is not None and res[0].n == 40
    assert res[1] is None
    with pytest.raises(AnalysisInputError, match="k"):
        suppress_estimates(res, k=0)


# --------------------------------------------------------------------------
# index scoring
# --------------------------------------------------------------------------


def test_score_mean_index_by_hand() -> None:
    # three items on 1..4; item 2 reversed (a "worry" item: 4 = very worried)
    answers = np.array(
        [
            [4.0, 1.0, 1.0],  # 10, 0, 10 -> 6.667
            [1.0, NAN, 4.0],  # 0, -, 0 -> 0
            [NAN, NAN, NAN],  # not scored
            [2.5, 4.0, NAN],  # 5, 10, - -> 7.5
        ]
    )
    got = score_mean_index(answers, low=1, high=4, reverse=[False, False, True])
    np.testing.assert_allclose(got, [20 / 3, 0.0, NAN, 7.5])
    got2 = score_mean_index(answers, low=1, high=4, reverse=[False, False, True], min_answered=2)
    np.testing.assert_allclose(got2, [20 / 3, 0.0, NAN, 7.5])
    got3 = score_mean_index(answers, low=1, high=4, reverse=[False, False, True], min_answered=3)
    np.testing.assert_allclose(got3, [20 / 3, NAN, NAN, NAN])
    # per-item scales and another top: item 0 on 1..5, item 1 on 0..10
    mixed = np.array([[5.0, 0.0], [3.0, 10.0]])
    np.testing.assert_allclose(
        score_mean_index(mixed, low=[1, 0], high=[5, 10], scale=100.0), [50.0, 75.0]
    )
    np.testing.assert_allclose(
        score_mean_index(mixed, low=[1, 0], high=[5, 10], reverse=True, scale=1.0), [0.5, 0.25]
    )


def test_score_mean_index_bad_input() -> None:
    a = np.array([[1.0, 2.0], [3.0, 7.0]])
    with pytest.raises(AnalysisInputError, match=r"row 1, item 1: 7\.0 is not within 1..5"):
        score_mean_index(a, low=1, high=5)
    with pytest.raises(AnalysisInputError, match="row 0, item 0"):
        score_mean_index([[0.0, np.inf]], low=1, high=5)
    with pytest.raises(AnalysisInputError, match="two-dimensional"):
        score_mean_index([1.0, 2.0], low=1, high=5)
    with pytest.raises(AnalysisInputError, match="one value per item"):
        score_mean_index(a, low=[1, 1, 1], high=7)
    with pytest.raises(AnalysisInputError, match="high must be > low.*item 1"):
        score_mean_index(a, low=[1, 7], high=7)
    with pytest.raises(AnalysisInputError, match="reverse"):
        score_mean_index(a, low=1, high=7, reverse=[True])
    with pytest.raises(AnalysisInputError, match="reverse"):
        score_mean_index(a, low=1, high=7, reverse=[1, 0])
    with pytest.raises(AnalysisInputError, match="min_answered"):
        score_mean_index(a, low=1, high=7, min_answered=3)
    with pytest.raises(AnalysisInputError, match="min_answered"):
        score_mean_index(a, low=1, high=7, min_answered=0)
    with pytest.raises(AnalysisInputError, match="scale"):
        score_mean_index(a, low=1, high=7, scale=0)


def test_score_share_index_by_hand() -> None:
    # item 0: "how often worried" 1 = very often .. 5 = never (yes when <= 2);
    # item 1: "avoided places" 1 = no .. 3 = often (yes when >= 2)
    answers = np.array(
        [
            [1.0, 1.0],  # yes via item 0
            [4.0, 3.0],  # yes via item 1
            [4.0, 1.0],  # no
            [NAN, 2.0],  # yes although only one answered
            [5.0, NAN],  # no, one answered
            [NAN, NAN],  # not scored
        ]
    )
    kw = {"threshold": [2, 2], "reverse": [True, False]}
    np.testing.assert_array_equal(score_share_index(answers, **kw), [1, 1, 0, 1, 0, NAN])
    np.testing.assert_array_equal(
        score_share_index(answers, **kw, min_answered=2), [1, 1, 0, 1, NAN, NAN]
    )
    np.testing.assert_array_equal(score_share_index(answers, threshold=3), [0, 1, 1, 0, 1, NAN])
    # the weighted mean of the scores is the share
    est = weighted_estimate(score_share_index(answers, **kw))
    assert est is not None and est.n == 5 and est.mean == pytest.approx(3 / 5)


def test_score_share_index_bad_input() -> None:
    with pytest.raises(AnalysisInputError, match="one value per item"):
        score_share_index([[1.0, 2.0]], threshold=[1, 2, 3])
    with pytest.raises(AnalysisInputError, match="row 0, item 1 is inf"):
        score_share_index([[1.0, np.inf]], threshold=1)
    with pytest.raises(AnalysisInputError, match="two-dimensional"):
        score_share_index([[[1.0]]], threshold=1)
    with pytest.raises(AnalysisInputError, match="threshold"):
        score_share_index([[1.0]], threshold=NAN)


def test_public_names_are_exported() -> None:
    import brygga.analysis as a

    for name in ("WeightedEstimate", "Difference", "weighted_estimates_by_group", "difference"):
        assert name in a.__all__
        assert getattr(a, name) is not None


@pytest.mark.parametrize(
    "labels",
    [
        np.array([-3, 5, -3, 5, 5, 12, -3, 12]),  # offset coding
        np.array([-(10**12), 10**12, -(10**12), 10**12, 7, 7, 7, 10**12]),  # sparse: sorted
        np.array([True, False, True, False, True, False, True, True]),
    ],
)
def test_by_group_label_kinds_equal_per_group(labels: np.ndarray) -> None:
    x = np.array([1.0, 2.0, NAN, 4.0, 5.0, 6.0, 7.0, 8.0])
    w = np.array([1.0, 2.0, NAN, 1.5, 1.0, 3.0, 0.5, 1.0])
    res = weighted_estimates_by_group(x, labels, w)
    assert list(res) == sorted({k.item() for k in labels})
    for key, got in res.items():
        sel = labels == key
        want = weighted_estimate(x[sel], w[sel])
        assert want is not None
        np.testing.assert_array_equal(  # exactly equal, NaN where n_eff <= 1
            [got.n, got.n_eff, got.mean, got.se, got.low, got.high],
            [want.n, want.n_eff, want.mean, want.se, want.low, want.high],
        )
