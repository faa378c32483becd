"""The trend section: weekly counts against the seasonal baseline, alarms, flagged weeks in words,
too little history, and the forecast — checked against direct counts from ``Incident`` and the
analysis library called directly."""

import datetime as dt
from collections import Counter

import numpy as np
import pytest
from django.template.loader import render_to_string
from django.utils import timezone, translation

from brygga.analysis import ewma_alert, poisson_cusum, seasonal_baseline
from brygga.incidents.models import Incident
from brygga.incidents.rollup_models import COUNTED
from brygga.incidents.services.rollups import day_start, rebuild_counts
from brygga.situation import trends
from brygga.situation.charts_trend import TrendChart
from brygga.situation.scope import Period, Scope

from ..incidents.factories import make_incident
from .html import find, page_of, text

pytestmark = pytest.mark.django_db

SPIKE = dt.date(2025, 3, 17)  # Monday of ISO week 12 of 2025


def _fill(world):
    """Weekly events in Sundsvall from 2023 to March 2025, with a spike in week 12 of 2025, a
    Sunday-evening incident near the week's edge, and two that are not counted."""
    rng = np.random.default_rng(15)
    day = dt.date(2023, 1, 2)
    while day <= dt.date(2025, 3, 31):
        n = 60 if day == SPIKE else int(rng.poisson(12))
        if n:
            when = day_start(day + dt.timedelta(days=int(rng.integers(0, 7)))) + dt.timedelta(
                hours=10
            )
            make_incident(world, occurred_from=when, count=n, placed=False)
        day += dt.timedelta(days=7)
    # Sunday 23:30 local time: the week of that Sunday (UTC already Sunday 22:30 / Monday)
    make_incident(
        world, occurred_from=day_start(dt.date(2025, 2, 9)) + dt.timedelta(hours=23, minutes=30)
    )
    make_incident(world, occurred_from=day_start(SPIKE), status="rejected", count=50)
    make_incident(world, occurred_from=day_start(SPIKE), deleted_at=timezone.now(), count=50)
    rebuild_counts(municipality_id=world.sundsvall.pk)


def _direct_weeks(world, first: dt.date, last: dt.date) -> np.ndarray:
    """Events per ISO week (local time) counted straight from the incidents."""
    per = Counter()
    for inc in Incident.objects.filter(COUNTED, municipality=world.sundsvall):
        day = timezone.localtime(inc.occurred_from).date()
        per[day - dt.timedelta(days=day.weekday())] += inc.count
    n = (last - first).days // 7 + 1
    return np.array([per[first + dt.timedelta(weeks=i)] for i in range(n)], dtype=np.float64)


def _scope(world, period="2025-K1"):
    return Scope(municipality=world.sundsvall, period=Period.parse(period))


def test_weekly_counts_baseline_and_alarms_equal_direct_computation(world):
    _fill(world)
    user = world.users["coordinator"]
    trend = trends.weekly_trend(user, _scope(world))
    first = dt.date(2023, 1, 2)  # the first week with an event
    last = dt.date(2025, 3, 31)  # Monday of the period's last week (ISO week 14)
    direct = _direct_weeks(world, first, last)
    mondays = [first + dt.timedelta(weeks=i) for i in range(direct.size)]
    years = np.array([m.isocalendar().year for m in mondays])
    weeks = np.array([m.isocalendar().week for m in mondays])
    base = seasonal_baseline(direct, weeks, years, window=1, years_back=5)
    k = mondays.index(dt.date(2024, 12, 30))  # ISO week 1 of 2025 touches 1 January
    assert [w.start for w in trend.weeks] == mondays[k:]
    assert [w.observed for w in trend.weeks] == direct[k:].astype(int).tolist()
    assert trend.history_weeks == k
    np.testing.assert_allclose([w.expected for w in trend.weeks], base.expected[k:])
    np.testing.assert_allclose([w.lower for w in trend.weeks], base.lower[k:])
    np.testing.assert_allclose([w.upper for w in trend.weeks], base.upper[k:])
    cusum = poisson_cusum(direct[k:], base.expected[k:], shift=1.5, threshold=5.0).alarm
    ewma = ewma_alert(direct[k:], base.expected[k:], lam=0.3, width=3.0).alarm
    assert [w.cusum for w in trend.weeks] == cusum.tolist()
    assert [w.ewma for w in trend.weeks] == ewma.tolist()
    expected_flags = [
        mondays[k + i]
        for i in range(len(trend.weeks))
        if cusum[i] or ewma[i] or base.flag[k + i] != 0
    ]
    assert [w.start for w in trend.flagged] == expected_flags
    spike = next(w for w in trend.weeks if w.start == SPIKE)
    assert spike.observed == 60  # the rejected and deleted fifties are not counted
    assert spike in trend.flagged and spike.above


def test_flagged_week_is_named_in_words(world):
    _fill(world)
    with translation.override("en"):
        trend = trends.weekly_trend(world.users["coordinator"], _scope(world))
    spike = next(w for w in trend.flagged if w.start == SPIKE)
    expected = (
        f"Week 12 (17–23 March 2025): 60 events, expected {spike.expected:.0f} "
        f"({spike.lower:.0f}–{spike.upper:.0f}). Clearly more than normal (above the expected "
        "range"
    )
    assert spike.sentence.startswith(expected)
    assert spike.sentence in trend.sentences
    assert all(w.sentence == "" for w in trend.weeks if not w.flagged)


def test_too_little_history_is_said_plainly(world):
    make_incident(world, occurred_from=day_start(dt.date(2025, 1, 13)), count=3, placed=False)
    make_incident(world, occurred_from=day_start(dt.date(2025, 2, 20)), count=4, placed=False)
    rebuild_counts(municipality_id=world.sundsvall.pk)
    with translation.override("en"):
        trend = trends.weekly_trend(world.users["coordinator"], _scope(world, "2025-03"))
        forecast = trends.forecast(world.users["coordinator"], _scope(world, "2025-03"))
    assert not trend.enough
    assert trend.history_weeks == 6  # weeks 3 to 8 of 2025, before the week of 1 March (9)
    assert "Brygga holds 6 weeks before the period" in trend.message
    assert f"needs at least {trends.WEEKS_NEEDED}" in trend.message
    assert all(w.expected is None and not w.flagged for w in trend.weeks)
    assert not forecast.enough and "3 whole months" in forecast.message  # January to March


def test_nothing_at_all_is_said_too(world):
    with translation.override("en"):
        trend = trends.weekly_trend(world.users["coordinator"], _scope(world))
    assert trend.total == 0 and "no counted events" in trend.message


def test_forecast_equals_the_baseline_projection_computed_directly(world):
    _fill(world)
    user = world.users["coordinator"]
    with translation.override("en"):
        fc = trends.forecast(user, _scope(world, "2024"))
    assert fc.quarter == Period.parse("2025-K1")
    # whole months of 2023 and 2024, counted straight from the incidents
    per = Counter()
    for inc in Incident.objects.filter(COUNTED, municipality=world.sundsvall):
        day = timezone.localtime(inc.occurred_from).date()
        if day.year <= 2024:
            per[(day.year, day.month)] += inc.count
    months = [(y, m) for y in (2023, 2024) for m in range(1, 13)]
    values = np.array([per[k] for k in months], dtype=float)
    assert [n for _m, n in fc.history] == values.astype(int).tolist()
    for i, month in enumerate(fc.months):
        b = seasonal_baseline(
            np.append(values, 0.0),
            np.array([m for _y, m in months] + [i + 1]),
            np.array([y for y, _m in months] + [2025]),
            n_seasons=12,
            window=1,
        )
        assert month.expected == pytest.approx(b.expected[-1])
        assert (month.lower, month.upper) == (b.lower[-1], b.upper[-1])
    sums = np.convolve(values, np.ones(3), mode="valid")
    b = seasonal_baseline(
        np.append(sums, 0.0),
        np.array([m for _y, m in months[: sums.size]] + [1]),
        np.array([y for y, _m in months[: sums.size]] + [2025]),
        n_seasons=12,
        window=1,
    )
    assert fc.expected == pytest.approx(b.expected[-1])
    assert (fc.lower, fc.upper) == (b.lower[-1], b.upper[-1])
    assert fc.sentence == (
        f"In quarter 1 2025, {b.expected[-1]:.0f} events are expected "
        f"({b.lower[-1]:.0f}–{b.upper[-1]:.0f}) if the pattern of earlier years holds."
    )


def test_another_municipalitys_user_reads_nothing(world):
    _fill(world)
    trend = trends.weekly_trend(world.users["outsider"], _scope(world))
    assert trend.total == 0 and not trend.enough


def test_the_trend_section_renders_chart_table_sentences_and_forecast(world):
    _fill(world)
    user = world.users["coordinator"]
    with translation.override("en"):
        trend = trends.weekly_trend(user, _scope(world))
        fc = trends.forecast(user, _scope(world))
        page = page_of(render_to_string("situation/_trend.html", {"trend": trend, "forecast": fc}))
    (svg,) = find(page, "svg", role="img")
    assert find(svg, "title") and find(svg, "desc")
    (table,) = find(page, "table", cls="trend-table")
    rows = find(find(table, "tbody")[0], "tr")
    assert len(rows) == len(trend.weeks)
    spike_row = next(r for r in rows if "Week 12" in text(r))
    assert "60" in text(spike_row)
    # every flagged week is marked on the chart
    assert len(find(svg, None, cls="trend-alarm")) == len(trend.flagged)
    assert len(TrendChart(trend).marks) == len(trend.weeks)
    sentences = [text(li) for li in find(find(page, "ul", cls="trend-flagged")[0], "li")]
    assert sentences == trend.sentences
    assert fc.sentence in text(page)
    assert not find(page, None, attr="style") and not find(page, "script")


def test_only_weeks_that_are_over_are_judged(world):
    _fill(world)
    user = world.users["coordinator"]
    whole = trends.weekly_trend(user, _scope(world))
    # on Wednesday 12 February the week of 10 February is still running
    trend = trends.weekly_trend(user, _scope(world), today=dt.date(2025, 2, 12))
    assert trend.weeks[-1].start == dt.date(2025, 2, 3)
    assert trend.weeks == whole.weeks[: len(trend.weeks)]
    with translation.override("en"):
        running = trends.weekly_trend(user, _scope(world, "2025-V07"), today=dt.date(2025, 2, 12))
    assert running.weeks == [] and "no whole week" in running.message
    fc = trends.forecast(user, _scope(world), today=dt.date(2025, 2, 12))
    assert fc.history[-1][0] == dt.date(2025, 1, 1)  # February is not over


def test_a_source_that_stopped_before_the_period_is_left_out_of_the_comparison(world):
    """The police feed of 2023–2024 and partners' reports from 2025 on: the 2025 weeks are not
    judged against two years of police events (every week would look like a change); the
    trend says which source it left out, and its history starts with the partners' reports."""
    from brygga.incidents.models import Source

    day = dt.date(2023, 1, 2)
    while day <= dt.date(2024, 12, 23):
        make_incident(
            world, occurred_from=day_start(day), count=9, source=Source.POLICE, source_id=f"p{day}"
        )
        day += dt.timedelta(days=7)
    day = dt.date(2025, 1, 6)
    while day <= dt.date(2025, 3, 24):
        make_incident(world, occurred_from=day_start(day), count=2, placed=False)
        day += dt.timedelta(days=7)
    tip = make_incident(
        world, occurred_from=day_start(dt.date(2025, 3, 12)), source=Source.OPEN311, count=1
    )
    tip.status = "reviewed"
    tip.save()
    rebuild_counts(municipality_id=world.sundsvall.pk)
    user, k1 = world.users["coordinator"], Period.parse("2025-K1")
    with translation.override("en"):
        both = Scope(municipality=world.sundsvall, period=k1, streams=["partner", "police"])
        trend = trends.weekly_trend(user, both)
        forecast = trends.forecast(user, both)
        march = trends.weekly_trend(user, _scope(world, "2025-03"))
        quarter = trends.weekly_trend(user, _scope(world, "2025-K1"))
    assert not trend.enough and trend.flagged == []  # no police history to compare with
    assert trend.first_day == dt.date(2025, 1, 6)
    assert "police events (the last on 23 December 2024)" in trend.left_out
    assert sum(w.observed for w in trend.weeks) == 2 * 12  # the partners' events
    assert [m for m, _n in forecast.history][0] == dt.date(2025, 1, 1)
    # a source that begins in the period is too new to compare with
    assert march.first_day == dt.date(2025, 1, 6)
    assert "public tips (from 12 March 2025)" in march.left_out
    # when no source is held before the period, the history starts where all of them are
    assert quarter.first_day == dt.date(2025, 3, 12)
    assert "starts on 12 March 2025, when Brygga began to hold public tips" in quarter.left_out
    # asking for the police events alone still compares them with their own history
    police = Scope(municipality=world.sundsvall, period=Period.parse("2025-K1"), streams=["police"])
    alone = trends.weekly_trend(world.users["coordinator"], police)
    assert alone.enough and alone.left_out == ""
