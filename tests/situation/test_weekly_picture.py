"""The EST weekly picture of a safety group: the week's events in the group's areas against
a direct count, what stands out against the weeks before (Poisson limit computed here), who
did not report, and the partners' area assessments with their trend."""

import datetime as dt

import numpy as np
import pytest
from django.utils import timezone
from scipy.stats import poisson

from brygga.incidents.models import Incident
from brygga.incidents.rollup_models import COUNTED
from brygga.incidents.services.rollups import day_start
from brygga.situation import services
from brygga.situation.weekly import BASELINE_WEEKS, TREND_WEEKS, weekly_picture

from ..incidents.factories import category, make_incident

pytestmark = pytest.mark.django_db


def _monday(weeks_ago=1):
    today = timezone.localdate()
    return today - dt.timedelta(days=today.weekday() + 7 * weeks_ago)


def _at(day, hour=20):
    return day_start(day) + dt.timedelta(hours=hour)


def test_the_weeks_events_and_what_stands_out(world):
    week = _monday(1)
    centrum, nacksta = world.areas["centrum"], world.areas["nacksta"]
    glass = category("skadegorelse-fonster")
    # one event a week for eight weeks before, then eight in the week
    for k in range(1, BASELINE_WEEKS + 1):
        make_incident(
            world, area=centrum, category=glass, occurred_from=_at(week - dt.timedelta(weeks=k))
        )
    for d in range(8):
        make_incident(
            world,
            area=centrum,
            category=glass,
            occurred_from=_at(week + dt.timedelta(days=d % 7), 10 + d),
        )
    make_incident(world, area=nacksta, category=glass, occurred_from=_at(week))  # not the group's
    # a late-evening event on Sunday belongs to the week (local time)
    make_incident(
        world, area=centrum, category=glass, occurred_from=_at(week + dt.timedelta(days=6), 23)
    )
    picture = weekly_picture(world.users["viewer"], world.forums["safety"], week)
    direct = sum(
        Incident.objects.filter(
            COUNTED,
            placements__area=centrum,
            occurred_from__gte=day_start(week),
            occurred_from__lt=day_start(week + dt.timedelta(days=7)),
        ).values_list("count", flat=True)
    )
    assert picture.events == direct == 9
    (row,) = picture.categories
    assert row.mean == 1.0 and row.upper == int(poisson.ppf(0.975, 1.0))
    assert row.stands_out and row.events == 9
    assert (
        "fler än vanligt" in picture.standing_out[0] or "more than usual" in picture.standing_out[0]
    )


def test_organisations_that_did_not_report_are_named(world):
    week = _monday(1)
    make_incident(
        world,
        area=world.areas["centrum"],
        occurred_from=_at(week),
        reporting_organisation=world.orgs["field"],
    )
    picture = weekly_picture(world.users["coordinator"], world.forums["safety"], week)
    assert ("Fältassistenterna", 1) in picture.reported
    assert set(picture.missing) == {"LPO Medelpad", "Mitthem"}


def test_assessments_per_area_with_their_trend(world):
    forum, centrum = world.forums["safety"], world.areas["centrum"]
    week, before = _monday(1), _monday(3)
    for actor, org, level, when in [
        ("reporter", "field", 4, week),
        ("analyst", "police", 2, week),
        ("reporter", "field", 1, before),
    ]:
        services.assessments_set(
            actor=world.users[actor],
            forum=forum,
            organisation=world.orgs[org],
            week_start=when,
            levels={centrum.pk: level},
        )
    picture = weekly_picture(world.users["viewer"], forum, week)
    (area,) = picture.areas
    assert area.mean == 3.0 and area.highest == 4
    assert sorted(area.by_organisation) == [("Fältassistenterna", 4), ("LPO Medelpad", 2)]
    assert len(area.trend) == TREND_WEEKS
    assert area.trend[-1] == 3.0 and area.trend[-3] == 1.0
    assert np.isnan(np.array(area.trend[:-3], dtype=float)).all()
    assert "Centrum" in area.sentence


def test_an_area_nobody_assessed_says_so(world):
    picture = weekly_picture(world.users["viewer"], world.forums["safety"], _monday(1))
    assert picture.areas[0].mean is None
    assert picture.events == 0 and picture.categories == []


def test_the_weekly_picture_counts_the_same_areas_as_the_dashboard_of_the_group(world):
    """A group with areas in two layers: the weekly picture and the dashboard's ?forum= scope
    both count the layer holding most of them (never nested areas of two layers added up)."""
    from django.http import QueryDict

    from brygga.audit.context import acting_as
    from brygga.situation.scope import Period, scope_from_query
    from brygga.situation.weekly import forum_scope

    from ..core.factories import AreaFactory, AreaLayerFactory

    forum, s = world.forums["safety"], world.sundsvall
    with acting_as(label="test setup"):
        other = AreaLayerFactory(municipality=s, name="A-lagret")  # first by name
        a1 = AreaFactory(municipality=s, name="Ett", layer=other, geometry=None)
        a2 = AreaFactory(municipality=s, name="Två", layer=other, geometry=None)
    forum.areas.add(a1, a2, world.areas["nacksta"], through_defaults={"municipality": s})
    period = Period.parse("2025-V10")
    weekly = forum_scope(forum, period)
    dashboard = scope_from_query(
        world.users["viewer"], s, QueryDict(f"forum={forum.pk}&period=2025-V10")
    )
    assert weekly.layer == dashboard.layer == other
    assert [a.name for a in weekly.areas] == [a.name for a in dashboard.areas] == ["Ett", "Två"]
