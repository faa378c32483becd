"""Indicator values equal direct computations (issue #16, Done when): every source's series,
baseline, current value, change and target against counts made straight from the rows."""

from __future__ import annotations

import datetime as dt

import pytest

from brygga.plans import services
from brygga.plans.indicator_values import compute, periods_between
from brygga.surveys.selectors import survey_indicators

from .test_work_helpers import POPULATION, direct_events, main, make_incidents, plan_and_measure

ON = dt.date(2026, 1, 15)  # "today": 2025's quarters are complete, 2026 Q1 is not


@pytest.fixture
def data(world):
    make_incidents(world)
    _plan, measure = plan_and_measure(world)
    world.measure = measure
    return world


def _indicator(w, **kw):
    kw.setdefault("name", "Skadegörelse i centrum")
    kw.setdefault("baseline_start", dt.date(2024, 1, 1))
    kw.setdefault("baseline_end", dt.date(2024, 12, 31))
    kw.setdefault("granularity", "quarter")
    return services.indicator_create(
        actor=w.users["coordinator"], municipality=w.sundsvall, measure=w.measure, **kw
    )


def test_incident_count_per_quarter_equals_a_direct_count(data):
    w = data
    cats = [main("skadegorelse")]
    ind = _indicator(
        w, source="incidents", categories=cats, areas=[w.areas["centrum"]], target_value=5
    )
    s = compute(ind, user=w.users["viewer"], on=ON)
    bounds = periods_between(dt.date(2024, 1, 1), ON, "quarter")
    assert [(p.start, p.end) for p in s.periods] == bounds
    expected = [
        direct_events(w, a, b, areas=[w.areas["centrum"]], cats=cats, stream="partner")
        for a, b in bounds
    ]
    assert [p.count for p in s.periods] == expected
    assert [p.value for p in s.periods] == [float(v) for v in expected]
    assert sum(expected) > 0
    assert s.baseline == pytest.approx(sum(expected[:4]) / 4)
    assert [p.in_baseline for p in s.periods] == [True] * 4 + [False] * 5
    assert s.current.start == dt.date(2025, 10, 1)  # the latest complete quarter
    assert s.periods[-1].complete is False
    assert s.current.value == expected[7]
    assert s.change == pytest.approx(expected[7] - sum(expected[:4]) / 4)
    assert s.target_met is (expected[7] <= 5)


def test_whole_municipality_and_every_category(data):
    w = data
    ind = _indicator(w, source="incidents", granularity="year")
    s = compute(ind, user=w.users["coordinator"], on=ON)
    assert [p.count for p in s.periods] == [
        direct_events(w, dt.date(y, 1, 1), dt.date(y, 12, 31), stream="partner")
        for y in (2024, 2025, 2026)
    ]


def test_police_events_count_the_police_stream(data):
    w = data
    ind = _indicator(w, source="police_events", areas=[w.areas["nacksta"]], granularity="month")
    s = compute(ind, user=w.users["analyst"], on=ON)
    for p in s.periods:
        assert p.count == direct_events(
            w, p.start, p.end, areas=[w.areas["nacksta"]], stream="police"
        )
    assert sum(p.count for p in s.periods) > 0


def test_rate_per_thousand_residents(data):
    w = data
    centrum = w.areas["centrum"]
    ind = _indicator(w, source="incident_rate", areas=[centrum], direction="decrease")
    s = compute(ind, user=w.users["coordinator"], on=ON)
    for p in s.periods:
        n = direct_events(w, p.start, p.end, areas=[centrum], stream="partner")
        year = min(p.start.year, 2025)  # 2026 takes the latest earlier year's figure
        pop = POPULATION[("centrum", year)]
        assert p.count == n
        assert p.population == pop
        assert p.value == pytest.approx(n / pop * 1000)


def test_survey_index_equals_the_surveys_figure(data):
    from ..surveys.factories import make_wave

    w = data
    centrum = w.areas["centrum"]
    for year, seed in ((2024, 1), (2025, 2)):
        make_wave(w.users["coordinator"], w.sundsvall, year, {centrum: 60}, seed=seed)
    direct = {y: survey_indicators(w.sundsvall, y, [centrum], user=None) for y in (2024, 2025)}
    code = direct[2024]["indices"][0]["code"]
    ind = _indicator(
        w,
        source="survey_index",
        survey_index_code=code,
        areas=[centrum],
        direction="increase",
        target_value=0.0,
    )
    s = compute(ind, user=w.users["viewer"], on=ON)
    expected = [direct[y]["areas"][centrum.pk]["indices"][code]["mean"] for y in (2024, 2025)]
    assert [p.value for p in s.periods] == pytest.approx(expected)
    assert s.baseline == pytest.approx(expected[0])
    assert s.current.value == pytest.approx(expected[1])
    assert s.target_met is True
    # the municipality's own figure without areas
    whole = _indicator(w, name="Hela kommunen", source="survey_index", survey_index_code=code)
    s = compute(whole, user=w.users["viewer"], on=ON)
    assert s.periods[0].value == pytest.approx(direct[2024]["municipality"][code]["mean"])


def test_manual_series(data):
    w = data
    ind = _indicator(w, source="manual", granularity="year", target_value=90, direction="increase")
    for year, value in ((2024, 80.0), (2025, 92.5)):
        services.indicator_value_create(
            actor=w.users["reporter"],  # the measure's owner organisation reports
            indicator=ind,
            period_start=dt.date(year, 1, 1),
            period_end=dt.date(year, 12, 31),
            value=value,
        )
    s = compute(ind, user=w.users["viewer"], on=ON)
    assert [p.value for p in s.periods] == [80.0, 92.5]
    assert s.baseline == 80.0 and s.current.value == 92.5
    assert s.change == pytest.approx(12.5) and s.target_met is True


def test_a_computed_indicator_takes_no_typed_values(data):
    from django.core.exceptions import ValidationError

    w = data
    ind = _indicator(w, source="incidents")
    with pytest.raises(ValidationError):
        services.indicator_value_create(
            actor=w.users["coordinator"],
            indicator=ind,
            period_start=dt.date(2024, 1, 1),
            period_end=dt.date(2024, 12, 31),
            value=3,
        )
