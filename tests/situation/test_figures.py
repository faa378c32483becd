"""Every figure of the lägesbild dashboard equals a direct count of the incidents (the sum of
``Incident.count`` over the counted incidents, by local time, filtered by category, area
placement and stream), and every rate and change equals the analysis library called directly.
Runs on SQLite and on PostgreSQL (the suite's ``DATABASE_URL``)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from django.db.models import Q
from django.http import QueryDict
from django.utils import timezone

from brygga.analysis import before_after, garwood_interval, rates_per_1000
from brygga.areastats.models import StatValue
from brygga.audit.context import acting_as
from brygga.incidents.models import Category, Incident, IncidentPlacement, Source, Status
from brygga.incidents.rollup_models import COUNTED
from brygga.incidents.services.rollups import rebuild_counts
from brygga.situation import counts, figures
from brygga.situation.scope import Period, scope_from_query
from brygga.surveys.selectors import survey_indicators

from ..incidents.factories import IncidentFactory, category

ZONE = ZoneInfo("Europe/Stockholm")
SOURCES = {
    "partner": [Source.MANUAL, Source.API],
    "police": [Source.POLICE],
    "register": [Source.IMPORT],
    "public": [Source.OPEN311],
}
CODES = ["skadegorelse-fonster", "skadegorelse", "klotter", "klotter-stotande", "brand-container"]
CENTRUM_POPULATION = 2500


def make_incidents(world, n: int = 260, seed: int = 3) -> None:
    """Incidents of 2021–2025 in every stream, category, area (or none) and hour, a few of
    which the lägesbild does not count (deleted, rejected, a new public tip, a police summary);
    then the rollup rebuilt."""
    rng = np.random.default_rng(seed)
    areas = [world.areas["centrum"], world.areas["nacksta"], None]
    start = dt.datetime(2021, 1, 1, tzinfo=dt.UTC).timestamp()
    end = dt.datetime(2026, 1, 2, tzinfo=dt.UTC).timestamp()
    sources = [Source.MANUAL, Source.API, Source.POLICE, Source.IMPORT, Source.OPEN311]
    with acting_as(label="test setup"):
        for i in range(n):
            source = sources[int(rng.integers(len(sources)))]
            kw = {
                "municipality": world.sundsvall,
                "category": category(CODES[int(rng.integers(len(CODES)))]),
                "occurred_from": dt.datetime.fromtimestamp(
                    float(rng.uniform(start, end)), tz=dt.UTC
                ),
                "count": int(rng.integers(1, 4)),
                "source": source,
                "source_id": f"s-{i}",
                "area": areas[int(rng.integers(3))],
                "status": Status.REVIEWED,
                "reporting_organisation": None if source == Source.POLICE else world.orgs["field"],
            }
            r = rng.random()
            if r < 0.04:
                kw["deleted_at"] = timezone.now()
            elif r < 0.08:
                kw["status"] = Status.REJECTED
            elif r < 0.11 and source == Source.OPEN311:
                kw["status"] = Status.NEW
            elif r < 0.13 and source == Source.POLICE:
                kw["is_summary"] = True
            IncidentFactory(**kw)
        # a report just after local midnight on new year's day (still 2024 in UTC)
        IncidentFactory(
            municipality=world.sundsvall,
            category=category("klotter"),
            occurred_from=dt.datetime(2025, 1, 1, 0, 30, tzinfo=ZONE),
            count=5,
            reporting_organisation=world.orgs["field"],
            area=world.areas["centrum"],
        )
        StatValue.objects.create(
            municipality=world.sundsvall,
            area=world.areas["centrum"],
            year=2024,
            series="Folkmängd, totalt",
            value=Decimal(CENTRUM_POPULATION),
            unit="antal",
        )
        StatValue.objects.create(
            municipality=world.sundsvall,
            area=world.areas["centrum"],
            year=2024,
            series="Folkmängd, 65+ år",
            value=Decimal(400),
            unit="antal",
        )
    rebuild_counts(municipality_id=world.sundsvall.pk)


def counted(world, period: Period, *, main=None, cats=None, area=None, streams=None):
    """The counted incidents of ``period`` (local days), straight from ``Incident``."""
    qs = Incident.objects.filter(COUNTED, municipality=world.sundsvall).filter(
        occurred_from__gte=dt.datetime.combine(period.start, dt.time.min, tzinfo=ZONE),
        occurred_from__lt=dt.datetime.combine(
            period.end + dt.timedelta(days=1), dt.time.min, tzinfo=ZONE
        ),
    )
    if main is not None:
        qs = qs.filter(Q(category=main) | Q(category__parent=main))
    if cats is not None:
        qs = qs.filter(category__in=cats)
    if area is not None:
        qs = qs.filter(pk__in=IncidentPlacement.objects.filter(area__in=area).values("incident_id"))
    if streams:
        qs = qs.filter(source__in=[s for st in streams for s in SOURCES[st]])
    return list(qs)


def events(incidents) -> int:
    return sum(i.count for i in incidents)


def scope_of(world, query: str, actor: str = "coordinator"):
    return scope_from_query(world.users[actor], world.sundsvall, QueryDict(query))


@pytest.fixture
def data(world):
    make_incidents(world)
    return world


def test_headline_counts_changes_and_rate(data):
    w = data
    scope = scope_of(w, "period=2025")
    h = figures.headline(w.users["coordinator"], scope)
    p = Period.parse("2025")
    n = events(counted(w, p))
    assert n > 50 and h.events == n
    assert h.previous.period == Period.parse("2024")
    before = events(counted(w, Period.parse("2024")))
    assert h.previous.events == before
    expected = before_after(before, n, exposure_before=366, exposure_after=365)
    assert h.previous.change.percent == pytest.approx(expected.percent_change)
    assert h.previous.change.text == expected.text_sv
    assert [c.events for c in h.earlier] == [
        events(counted(w, Period.parse(str(y)))) for y in (2024, 2023, 2022)
    ]
    pop = w.sundsvall.population
    assert pop and h.rate.population == pop
    lo, hi = garwood_interval([n])
    assert h.rate.rate == pytest.approx(1000 * n / pop)
    assert (h.rate.low, h.rate.high) == pytest.approx((1000 * lo[0] / pop, 1000 * hi[0] / pop))


def test_a_quarter_compares_with_the_previous_quarter_and_earlier_years(data):
    w = data
    h = figures.headline(w.users["coordinator"], scope_of(w, "period=2025-K1"))
    assert h.events == events(counted(w, Period.parse("2025-K1")))
    assert h.previous.events == events(counted(w, Period.parse("2024-K4")))
    assert [c.events for c in h.earlier] == [
        events(counted(w, Period.parse(f"{y}-K1"))) for y in (2024, 2023, 2022)
    ]
    # the report at 00:30 local time on 1 January is in 2025's first quarter
    first_day = counted(w, Period.parse("2025-01-01..2025-01-01"))
    assert any(i.count == 5 for i in first_day)


def test_by_category_main_categories_with_rates(data):
    w = data
    scope = scope_of(w, "period=2025")
    b = figures.by_category(w.users["coordinator"], scope)
    p, prev = Period.parse("2025"), Period.parse("2024")
    total = events(counted(w, p))
    assert b.total == total and sum(r.events for r in b.rows) == total
    pop = w.sundsvall.population
    for r in b.rows:
        main = Category.objects.get(code=r.key, municipality__isnull=True)
        assert main.parent_id is None
        n = events(counted(w, p, main=main))
        assert (r.events, r.previous) == (n, events(counted(w, prev, main=main)))
        assert r.share == pytest.approx(100 * n / total)
        rr = rates_per_1000([n], [pop])
        assert (r.rate.rate, r.rate.low, r.rate.high) == pytest.approx(
            (rr.rate[0], rr.lower[0], rr.upper[0])
        )
    assert {r.key for r in b.rows} == {"skadegorelse", "klotter", "brand"}


def test_a_category_filter_counts_the_main_category_with_its_subcategories(data):
    w = data
    scope = scope_of(w, "period=2025&kategori=skadegorelse&kalla=partner&kalla=police")
    user = w.users["coordinator"]
    main = category("skadegorelse")
    expected = events(counted(w, scope.period, main=main, streams=["partner", "police"]))
    assert figures.headline(user, scope).events == expected
    b = figures.by_category(user, scope)
    assert [(r.key, r.events) for r in b.rows] == [("skadegorelse", expected)]
    streams = figures.by_stream(user, scope)
    assert [r.key for r in streams.rows] == ["partner", "police"]
    for r in streams.rows:
        assert r.events == events(counted(w, scope.period, main=main, streams=[r.key]))


def test_by_stream(data):
    w = data
    scope = scope_of(w, "period=2024")
    b = figures.by_stream(w.users["coordinator"], scope)
    assert [r.key for r in b.rows] == ["partner", "police", "register", "public"]
    for r in b.rows:
        assert r.events == events(counted(w, Period.parse("2024"), streams=[r.key]))
        assert r.previous == events(counted(w, Period.parse("2023"), streams=[r.key]))
    assert sum(r.events for r in b.rows) == b.total


def test_by_area_counts_placements_and_rates_where_population_is_known(data):
    w = data
    scope = scope_of(w, "period=2025")
    b = figures.by_area(w.users["coordinator"], scope)
    centrum, nacksta = w.areas["centrum"], w.areas["nacksta"]
    rows = {r.label: r for r in b.rows}
    assert set(rows) == {"Centrum", "Nacksta"}
    for area in (centrum, nacksta):
        n = events(counted(w, scope.period, area=[area]))
        assert rows[area.name].events == n
        assert rows[area.name].previous == events(counted(w, Period.parse("2024"), area=[area]))
    n = rows["Centrum"].events
    rr = rates_per_1000([n], [CENTRUM_POPULATION])
    assert rows["Centrum"].rate.rate == pytest.approx(rr.rate[0])
    assert (rows["Centrum"].rate.low, rows["Centrum"].rate.high) == pytest.approx(
        (rr.lower[0], rr.upper[0])
    )
    assert rows["Nacksta"].rate is None
    assert any("population" in note or "folkmängd" in note.lower() for note in b.notes)
    # unplaced incidents count in the total, not in an area
    assert b.total == events(counted(w, scope.period)) > sum(r.events for r in b.rows)


def test_an_areas_scope_and_a_forum_scope(data):
    w = data
    user = w.users["coordinator"]
    centrum, nacksta = w.areas["centrum"], w.areas["nacksta"]
    scope = scope_of(w, f"period=2025&omrade={centrum.pk}&omrade={nacksta.pk}")
    h = figures.headline(user, scope)
    assert h.events == events(counted(w, scope.period, area=[centrum, nacksta]))
    assert h.rate is None and h.note  # Nacksta has no population figure
    forum = scope_of(w, f"period=2025&forum={w.forums['safety'].pk}")
    h = figures.headline(user, forum)
    n = events(counted(w, forum.period, area=[centrum]))
    assert h.events == n
    assert h.rate.population == CENTRUM_POPULATION
    assert h.rate.rate == pytest.approx(1000 * n / CENTRUM_POPULATION)
    cats = figures.by_category(user, forum)
    for r in cats.rows:
        main = category(r.key)
        assert r.events == events(counted(w, forum.period, main=main, area=[centrum]))


def test_heat_table_is_weekday_by_local_hour(data):
    w = data
    scope = scope_of(w, "period=2023-01-01..2025-12-31")
    heat = figures.heat_table(w.users["coordinator"], scope)
    expected = np.zeros((7, 24), dtype=int)
    for i in counted(w, scope.period):
        local = i.occurred_from.astimezone(ZONE)
        expected[local.weekday(), local.hour] += i.count
    assert heat.cells == expected.tolist()
    assert heat.total == expected.sum() and heat.by_hour == expected.sum(axis=0).tolist()


def test_month_profile_and_the_earlier_years_mean(data):
    w = data
    scope = scope_of(w, "period=2025-K2")
    profile = figures.month_profile(w.users["coordinator"], scope)
    assert [(m.year, m.month) for m in profile.months] == [(2025, 4), (2025, 5), (2025, 6)]
    assert profile.years == [2024, 2023, 2022]
    for m in profile.months:
        last = (dt.date(m.year, m.month % 12 + 1, 1) - dt.timedelta(days=1)).day
        month = Period(dt.date(m.year, m.month, 1), dt.date(m.year, m.month, last))
        assert m.events == events(counted(w, month))
        earlier = [events(counted(w, month.shifted_years(k))) for k in (1, 2, 3)]
        assert m.earlier == earlier
        assert m.earlier_mean == pytest.approx(sum(earlier) / 3)


def test_area_context_and_survey_indices(data):
    from ..surveys.factories import make_wave

    w = data
    make_wave(
        w.users["coordinator"],
        w.sundsvall,
        2024,
        {w.areas["centrum"]: 60, w.areas["nacksta"]: 12},
    )
    scope = scope_of(w, "period=2025")
    ctx = figures.area_context(w.users["coordinator"], scope)
    rows = {a.name: a for a in ctx.areas}
    assert rows["Centrum"].population == CENTRUM_POPULATION
    assert rows["Centrum"].figures["Folkmängd, 65+ år"][0] == 400
    assert rows["Nacksta"].population is None and rows["Nacksta"].figures == {}
    assert ctx.survey_year == 2024  # the latest wave before the period's year
    direct = survey_indicators(w.sundsvall, 2024, figures.areas_of(scope), user=None)
    centrum = direct["areas"][w.areas["centrum"].pk]["indices"]
    assert rows["Centrum"].survey == centrum
    assert any(e["suppressed"] for e in rows["Nacksta"].survey.values())  # 12 < 30 responses
    assert [i["code"] for i in ctx.survey_indices] == [i["code"] for i in direct["indices"]]


def test_as_dict_holds_every_section(data):
    w = data
    d = figures.dashboard(w.users["coordinator"], scope_of(w, "period=2025"))
    out = figures.as_dict(d)
    assert set(out) == {
        "scope",
        "headline",
        "categories",
        "areas",
        "streams",
        "heat",
        "months",
        "context",
        "trend",
        "forecast",
        "reference",
    }
    assert out["headline"]["events"] == d.headline.events
    assert [w["observed"] for w in out["trend"]["weeks"]] == [w.observed for w in d.trend.weeks]
    assert out["forecast"]["quarter"]["param"] == "2026-K1"
    assert [r["events"] for r in out["reference"]["rows"]] == [r.events for r in d.reference.rows]
    assert out["scope"]["period"]["param"] == "2025"


@pytest.mark.parametrize("query", ["period=2025", "period=2024-K3&omrade={centrum}&kalla=police"])
def test_the_dashboards_shared_daily_series_gives_the_same_figures(data, query):
    """The dashboard reads the scope's daily series once for the month profile, the trend and
    the forecast: they are the figures each computes on its own."""
    w = data
    user = w.users["coordinator"]
    scope = scope_of(w, query.format(centrum=w.areas["centrum"].pk))
    d = figures.dashboard(user, scope)
    alone = dataclasses.replace(
        d,
        months=figures.month_profile(user, scope),
        trend=figures.weekly_trend(user, scope),
        forecast=figures.forecast(user, scope),
    )
    shared, own = figures.as_dict(d), figures.as_dict(alone)
    for key in ("months", "trend", "forecast"):
        assert shared[key] == own[key], key
    assert sum(m.events for m in d.months.months) == d.headline.events


def test_a_shared_daily_series_is_never_served_to_another_scope_or_reader(data):
    w = data
    scopes = {"all": scope_of(w, "period=2025"), "police": scope_of(w, "period=2025&kalla=police")}
    readers = {"coordinator": w.users["coordinator"], "analyst": w.users["analyst"]}
    start, end = dt.date(2025, 1, 1), dt.date(2025, 12, 31)
    expected = {
        (r, k): counts.daily(readers[r], scopes[k], start, end) for r in readers for k in scopes
    }
    assert expected[("coordinator", "all")].sum() > expected[("coordinator", "police")].sum() > 0
    with counts.shared_daily():
        counts.daily(readers["coordinator"], scopes["all"], dt.date(2024, 1, 1), end)
        for (r, k), series in expected.items():
            assert (counts.daily(readers[r], scopes[k], start, end) == series).all(), (r, k)
        # a span inside the one read first is a slice of it
        march = counts.daily(
            readers["coordinator"], scopes["all"], dt.date(2025, 3, 1), dt.date(2025, 3, 31)
        )
        assert (march == expected[("coordinator", "all")][59:90]).all()
