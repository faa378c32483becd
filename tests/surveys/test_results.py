"""The survey's figures against an independent computation (statsmodels ``DescrStatsW`` with the
weights rescaled to the Kish effective n, ddof=1), the change between waves (Welch, statsmodels
``CompareMeans``), the item profile, the breakdowns and the lägesbild selector's structure."""

from __future__ import annotations

import numpy as np
import pytest
from statsmodels.stats.weightstats import CompareMeans, DescrStatsW

from brygga.surveys import selectors
from brygga.surveys.models import SurveyResponse
from brygga.surveys.results import compute_wave

from .factories import make_wave

pytestmark = pytest.mark.django_db

PROBLEM_ITEMS = [
    "nedskrapning",
    "klotter",
    "skadegorelse",
    "storande_ungdomsgrupper",
    "oppen_narkotikahandel",
    "paverkade_personer",
    "brak_slagsmal",
    "storande_biltrafik",
]
UTSATT = ["utsatt_stold", "utsatt_skadegorelse", "utsatt_hot", "utsatt_vald", "utsatt_inbrott"]


def _dsw(x, w) -> DescrStatsW:
    x, w = np.asarray(x, float), np.asarray(w, float)
    n_eff = w.sum() ** 2 / (w**2).sum()
    return DescrStatsW(x, weights=w * n_eff / w.sum(), ddof=1)


def _respondents(wave, **filters):
    return list(
        SurveyResponse.objects.filter(wave=wave, **filters).values_list(
            "area_id", "age_group", "gender", "weight", "answers"
        )
    )


def _problemindex(answers: dict) -> float | None:
    """By hand: items 1–4 (9 = vet ej) rescaled to 0–10, mean of the answered, ≥ 4 answered."""
    scored = [(answers[c] - 1) / 3 * 10 for c in PROBLEM_ITEMS if answers.get(c) in (1, 2, 3, 4)]
    return sum(scored) / len(scored) if len(scored) >= 4 else None


def _utsatthet(answers: dict) -> float | None:
    answered = [answers[c] for c in UTSATT if answers.get(c) in (1, 2)]
    if any(v == 2 for v in answered):
        return 100.0
    return 0.0 if len(answered) >= 3 else None


def _reference(rows, score):
    pairs = [(score(r[4]), r[3]) for r in rows]
    pairs = [(x, w) for x, w in pairs if x is not None]
    return _dsw([p[0] for p in pairs], [p[1] for p in pairs]), len(pairs)


def _check(est, ref: DescrStatsW, n: int):
    low, high = ref.tconfint_mean(alpha=0.05)
    assert est.n == n
    assert est.mean == pytest.approx(ref.mean, abs=1e-9)
    assert est.se == pytest.approx(ref.std_mean, abs=1e-9)
    assert est.low == pytest.approx(low, abs=1e-9)
    assert est.high == pytest.approx(high, abs=1e-9)


@pytest.fixture
def two_waves(world):
    c, a = world.users["coordinator"], world.areas
    earlier = make_wave(c, world.sundsvall, 2024, {a["centrum"]: 120, a["nacksta"]: 90}, seed=3)
    later = make_wave(
        c,
        world.sundsvall,
        2025,
        {a["centrum"]: {"n": 140, "level": 0.6}, a["nacksta"]: 100},
        seed=4,
        unplaced=12,
    )
    return earlier, later


def test_index_means_and_intervals_match_statsmodels(world, two_waves):
    _earlier, wave = two_waves
    raw = compute_wave(wave)
    centrum = world.areas["centrum"]
    ref, n = _reference(_respondents(wave, area=centrum), _problemindex)
    _check(raw.index_figures["problemindex"].areas[centrum.pk], ref, n)
    # the municipality: every respondent, those placed in no area included
    ref, n = _reference(_respondents(wave), _problemindex)
    _check(raw.index_figures["problemindex"].municipality, ref, n)
    ref, n = _reference(_respondents(wave, area=centrum), _utsatthet)
    _check(raw.index_figures["utsatthet"].areas[centrum.pk], ref, n)
    # what is published: the same figures rounded to two decimals
    published = selectors.wave_results(wave).index("problemindex")
    row = next(r for r in published.areas if r.area_id == centrum.pk)
    ref, n = _reference(_respondents(wave, area=centrum), _problemindex)
    assert row.cell.n == n and row.cell.mean == pytest.approx(ref.mean, abs=0.005)


def test_change_from_the_previous_wave_is_welch(world, two_waves):
    earlier, later = two_waves
    centrum = world.areas["centrum"]
    d1, _ = _reference(_respondents(later, area=centrum), _problemindex)
    d0, _ = _reference(_respondents(earlier, area=centrum), _problemindex)
    low, high = CompareMeans(d1, d0).tconfint_diff(alpha=0.05, usevar="unequal")
    results = selectors.wave_results(later)
    assert results.previous == earlier
    row = next(r for r in results.index("problemindex").areas if r.area_id == centrum.pk)
    assert row.change.previous_year == 2024
    assert row.change.change == pytest.approx(d1.mean - d0.mean, abs=0.005)
    assert row.change.low == pytest.approx(low, abs=0.005)
    assert row.change.high == pytest.approx(high, abs=0.005)
    assert row.change.clear == (low > 0 or high < 0)
    assert row.change.clear  # centrum's answers were shifted to the worse end in 2025
    assert selectors.wave_results(earlier).index("problemindex").municipality_change is None


def test_item_profile_share_at_the_worse_end_and_standing_out(world):
    c, a = world.users["coordinator"], world.areas
    wave = make_wave(
        c,
        world.sundsvall,
        2025,
        {a["centrum"]: {"n": 60, "fixed": 4}, a["nacksta"]: 200},
        seed=5,
    )
    profile = {i.code: i for i in selectors.area_profile(wave, a["centrum"])}
    klotter = profile["klotter"]
    assert klotter.worse_labels == ["Ganska stort problem", "Mycket stort problem"]
    assert klotter.share.mean == 100.0 and klotter.mean.mean == 4.0 and klotter.share.n == 60
    assert klotter.stands_out
    rows = _respondents(wave)
    ref, n = _reference(
        rows,
        lambda ans: (
            None if ans.get("klotter") not in (1, 2, 3, 4) else 100.0 * (ans["klotter"] >= 3)
        ),
    )
    assert klotter.municipality_share.n == n
    assert klotter.municipality_share.mean == pytest.approx(ref.mean, abs=0.005)
    nacksta = {i.code: i for i in selectors.area_profile(wave, a["nacksta"])}
    assert not nacksta["klotter"].stands_out
    # a three-answer question: "Ja, någon gång" and "Ja, ofta" are the worse half
    assert profile["avstatt_aktivitet"].worse_labels == ["Ja, någon gång", "Ja, ofta"]


def test_breakdown_by_age_group_and_gender(world):
    c, a = world.users["coordinator"], world.areas
    wave = make_wave(c, world.sundsvall, 2025, {a["centrum"]: 400, a["nacksta"]: 300}, seed=6)
    raw = compute_wave(wave)
    rows = _respondents(wave)
    for dim, pos in (("age", 1), ("gender", 2)):
        labels = sorted({r[pos] for r in rows})
        for label in labels:
            ref, n = _reference([r for r in rows if r[pos] == label], _problemindex)
            _check(raw.index_figures["problemindex"].groups[dim][label], ref, n)
        label = labels[0]
        ref, n = _reference(
            [r for r in rows if r[pos] == label and r[0] == a["centrum"].pk], _problemindex
        )
        _check(raw.index_figures["problemindex"].area_groups[dim][(a["centrum"].pk, label)], ref, n)
    table = selectors.wave_results(wave).index("problemindex").groups["gender"]
    assert table.labels == ["Kvinna", "Man"]
    assert all(not cell.suppressed for cell in table.municipality.values())


def test_survey_indicators_structure(world, two_waves):
    a = world.areas
    data = selectors.survey_indicators(
        world.sundsvall, 2025, [a["centrum"]], user=world.users["viewer"]
    )
    assert data["year"] == 2025 and data["previous_year"] == 2024 and data["min_cell"] == 30
    assert [i["code"] for i in data["indices"]][:2] == ["problemindex", "otrygghetsindex"]
    assert set(data["areas"]) == {a["centrum"].pk}
    est = data["areas"][a["centrum"].pk]["indices"]["problemindex"]
    assert set(est) == {"suppressed", "n", "mean", "low", "high", "change"}
    assert isinstance(est["n"], int) and est["n"] >= 30 and est["low"] < est["mean"] < est["high"]
    assert set(est["change"]) == {"previous_year", "suppressed", "change", "low", "high", "clear"}
    assert data["municipality"]["utsatthet"]["mean"] <= 100
    # through the resolver: a user of another municipality gets nothing
    assert selectors.survey_indicators(world.sundsvall, 2025, user=world.users["outsider"]) == {}
    assert selectors.survey_indicators(world.sundsvall, 1999) == {}


def test_a_small_area_and_its_complement_are_suppressed(world, settings):
    c, a = world.users["coordinator"], world.areas
    wave = make_wave(c, world.sundsvall, 2025, {a["centrum"]: 200, a["nacksta"]: 29}, seed=8)
    data = selectors.survey_indicators(world.sundsvall, 2025)
    small = data["areas"][a["nacksta"].pk]["indices"]["problemindex"]
    assert small == {
        "suppressed": True,
        "n": "<30",
        "mean": None,
        "low": None,
        "high": None,
        "change": None,
    }
    # centrum's figures and the municipality's would give nacksta's by difference: hidden too
    assert data["areas"][a["centrum"].pk]["indices"]["problemindex"]["suppressed"]
    assert not data["municipality"]["problemindex"]["suppressed"]
    settings.BRYGGA_SURVEY_MIN_CELL = 20
    data = selectors.survey_indicators(world.sundsvall, 2025)
    assert data["areas"][a["nacksta"].pk]["indices"]["problemindex"]["n"] == 29
    assert wave.pk == data["wave"]


def test_protected_leaves_no_small_remainder():
    from brygga.analysis.surveys import WeightedEstimate
    from brygga.surveys.results import Figures

    def e(n):
        return WeightedEstimate(n, n, 1.0, 0.1, 0.8, 1.2, 0.95)

    fig = Figures(municipality=e(200), areas={1: e(100), 2: e(71), 3: e(29)})
    assert selectors.protected(fig, 30, groups=False) == {("m",), ("a", 1)}
    fig = Figures(municipality=e(200), areas={1: e(100), 2: e(60), 3: e(10)})
    # 10 + 30 unplaced are 40 hidden respondents: nothing more to hide
    assert selectors.protected(fig, 30, groups=False) == {("m",), ("a", 1), ("a", 2)}
    fig = Figures(municipality=e(200), areas={1: e(100), 2: e(100)})
    assert selectors.protected(fig, 30, groups=False) == {("m",), ("a", 1), ("a", 2)}
    # an area hidden as a complement must not be the sum of its shown age groups
    fig = Figures(
        municipality=e(100),
        areas={1: e(75), 2: e(25)},
        groups={"age": {"x": e(50), "y": e(50)}},
        area_groups={"age": {(1, "x"): e(40), (1, "y"): e(35), (2, "x"): e(10), (2, "y"): e(15)}},
    )
    shown = selectors.protected(fig, 30)
    assert ("a", 1) not in shown and ("a", 2) not in shown
    assert not {("ag", "age", 1, "x"), ("ag", "age", 1, "y")} & shown
    assert {("m",), ("g", "age", "x"), ("g", "age", "y")} <= shown
