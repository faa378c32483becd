"""The start page per role (issue #12, item 6) and the incident counts of an area and a forum:
the selectors that count (against known data, a year earlier, the weekly round, imports that
need attention, a user of another municipality) and what each role's page shows."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from brygga.core.models import ForumKind
from brygga.core.weeks import monday_of
from brygga.incidents import selectors
from brygga.incidents.models import ImportJob, Incident, NilReport, Status

from ..core.factories import ForumFactory
from .factories import ImportJobFactory, PoliceEventFactory, category, make_incident

BASE = "/kommuner/2281"
TODAY = dt.date(2026, 3, 11)  # a Wednesday, ISO week 2026-W11


def at(day: dt.date, hour: int = 12) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def iso(year: int, week: int, weekday: int = 3) -> dt.date:
    return dt.date.fromisocalendar(year, week, weekday)


@pytest.fixture
def known(world):
    """Known incidents in Sundsvall around ISO week 11 of 2026 and of 2025."""
    centrum, nacksta = world.areas["centrum"], world.areas["nacksta"]
    window = category("skadegorelse-fonster")  # main category: Skadegörelse
    klotter = category("klotter")
    make_incident(world, occurred_from=at(iso(2026, 11, 1)), area=centrum, category=window)
    make_incident(world, occurred_from=at(iso(2026, 11, 2)), area=centrum, category=klotter)
    make_incident(world, occurred_from=at(iso(2026, 5)), category=klotter)  # no area
    for day in (1, 2, 3):
        make_incident(world, occurred_from=at(iso(2025, 11, day)), area=nacksta, category=window)
    # outside the weeks compared: before the window, and last year's week 12
    make_incident(world, occurred_from=at(iso(2026, 3)), area=centrum)
    make_incident(world, occurred_from=at(iso(2025, 12)), area=centrum)
    # never counted: a police summary, a removed report, a report of another municipality
    PoliceEventFactory(
        municipality=world.sundsvall, occurred_from=at(iso(2026, 11, 1)), is_summary=True
    )
    make_incident(world, occurred_from=at(iso(2026, 11, 1)), deleted_at=timezone.now())
    make_incident(
        world,
        municipality=world.timra,
        county_id=world.timra.county_id,
        reporting_organisation=world.orgs["timra"],
        occurred_from=at(iso(2026, 11, 1)),
    )
    # a county-level police event: Sundsvall's copy counts once in Sundsvall
    PoliceEventFactory(
        municipality=world.sundsvall, county_level=True, occurred_from=at(iso(2026, 10, 4))
    )
    # a report with personal data from the housing company: need-to-know
    make_incident(
        world,
        reporting_organisation=world.orgs["housing"],
        occurred_from=at(iso(2026, 10, 2)),
        area=centrum,
        has_personal_data=True,
        description="Kalle Svensson bråkade i trapphuset",
    )
    return world


def test_week_counts_against_known_data_and_a_year_earlier(known, django_assert_num_queries):
    analyst = known.users["analyst"]
    # the grants and their counties (once per request), one aggregate, the names
    with django_assert_num_queries(5):
        counts = selectors.week_counts(analyst, known.sundsvall, today=TODAY)
    assert [(w["year"], w["week"]) for w in counts.weeks] == [(2026, n) for n in range(4, 12)]
    by_week = {w["week"]: (w["this"], w["last"]) for w in counts.weeks}
    # the analyst does not see the housing company's report with personal data
    assert by_week == {4: (0, 0), 5: (1, 0), 6: (0, 0), 7: (0, 0), 8: (0, 0), 9: (0, 0),
                       10: (1, 0), 11: (2, 3)}  # fmt: skip
    assert (counts.total_this, counts.total_last) == (4, 3)
    cats = {c["name"]: (c["this"], c["last"]) for c in counts.categories}
    # sub-categories count under their main category (the police event of week 10 too)
    assert cats["Skadegörelse"] == (2, 3)
    assert cats["Klotter"] == (2, 0)
    areas = {a["name"]: (a["this"], a["last"]) for a in counts.areas}
    assert areas == {"Centrum": (2, 0), "Nacksta": (0, 3), None: (2, 0)}
    # the coordinator (manage) also sees the report with personal data
    coordinator = selectors.week_counts(known.users["coordinator"], known.sundsvall, today=TODAY)
    assert coordinator.weeks[-2]["this"] == 2 and coordinator.total_this == 5


def test_week_53_has_no_week_a_year_earlier(world):
    make_incident(world, occurred_from=at(iso(2020, 53)))
    counts = selectors.week_counts(world.users["analyst"], world.sundsvall, today=iso(2021, 1))
    assert counts.weeks[-2] == {
        "year": 2020,
        "week": 53,
        "start": iso(2020, 53, 1),
        "this": 1,
        "last": None,  # 2019 has no week 53
    }


def test_place_counts_this_year_and_last_30_days(known):
    analyst = known.users["analyst"]
    c = selectors.place_counts(analyst, known.sundsvall, area=known.areas["centrum"], today=TODAY)
    # in Centrum this year: weeks 3 and 11 (twice); week 11's two are within 30 days
    assert (c["year"], c["days"]) == (3, 2)
    assert c["year_from"] == dt.date(2026, 1, 1) and c["days_from"] == dt.date(2026, 2, 10)
    assert (
        selectors.place_counts(
            known.users["coordinator"], known.sundsvall, area=known.areas["centrum"], today=TODAY
        )["days"]
        == 3
    )
    # the safety group covers Centrum: the same incidents
    f = selectors.place_counts(analyst, known.sundsvall, forum=known.forums["safety"], today=TODAY)
    assert (f["year"], f["days"]) == (3, 2)
    # a forum without areas counts its member organisations' reports
    forum = ForumFactory(
        municipality=known.sundsvall, name="Fältgruppen", organisations=[known.orgs["field"]]
    )
    g = selectors.place_counts(analyst, known.sundsvall, forum=forum, today=TODAY)
    assert (g["year"], g["days"]) == (4, 2)


def test_the_counts_match_the_linked_list(known, client_for):
    """What the area page links to shows as many reports as it counts."""
    today = timezone.localdate()
    make_incident(
        known, occurred_from=timezone.now() - dt.timedelta(hours=1), area=known.areas["centrum"]
    )
    c = selectors.place_counts(known.users["analyst"], known.sundsvall, area=known.areas["centrum"])
    r = client_for("analyst").get(
        f"{BASE}/handelser/?area={known.areas['centrum'].pk}"
        f"&date_from={(today - dt.timedelta(days=29)).isoformat()}"
    )
    assert r.context["page"].paginator.count == c["days"] >= 1


def _this_week():
    return monday_of(timezone.localdate())


def test_safety_groups_not_reported_this_week(world):
    monday = _this_week()
    forum = world.forums["safety"]  # members: police, field workers, housing company
    make_incident(world, reporting_organisation=world.orgs["housing"], occurred_from=at(monday, 0))
    make_incident(  # last week's report does not count
        world,
        reporting_organisation=world.orgs["police"],
        occurred_from=at(monday, 0) - dt.timedelta(minutes=1),
    )
    NilReport.objects.create(forum=forum, organisation=world.orgs["field"], week_start=monday)
    ForumFactory(  # an inactive group is not in the round
        municipality=world.sundsvall,
        name="Vilande grupp",
        kind=ForumKind.SAFETY_GROUP,
        is_active=False,
        organisations=[world.orgs["kommun"]],
    )
    coordinator = world.users["coordinator"]
    groups = selectors.groups_not_reported(coordinator, world.sundsvall, monday)
    assert [(g["forum"], g["missing"], g["members"]) for g in groups] == [
        (forum, ["LPO Medelpad"], 3)
    ]
    NilReport.objects.create(forum=forum, organisation=world.orgs["police"], week_start=monday)
    assert selectors.groups_not_reported(coordinator, world.sundsvall, monday) == []
    # the reporter's own state
    states = selectors.weekly_states(
        world.users["reporter"], world.sundsvall, monday, organisation_ids={world.orgs["field"].pk}
    )
    assert [(s.forum, s.organisation_name, s.state) for s in states] == [
        (forum, "Fältassistenterna", "nothing")
    ]


def test_imports_needing_attention(world, monkeypatch):
    from brygga.core import health

    s = world.sundsvall
    failed = ImportJobFactory(municipality=s, state=ImportJob.State.FAILED, file_name="a.csv")
    errors = ImportJobFactory(
        municipality=s, state=ImportJob.State.DONE, error_count=4, file_name="b.csv"
    )
    ImportJobFactory(municipality=s, state=ImportJob.State.DONE, file_name="ok.csv")
    queued = ImportJobFactory(
        municipality=s, options={"started": True}, updated_ago=dt.timedelta(minutes=5)
    )
    police = ImportJobFactory(
        municipality=s, kind=ImportJob.Kind.POLICE, updated_ago=dt.timedelta(minutes=5)
    )
    ImportJobFactory(municipality=s, updated_ago=dt.timedelta(minutes=5))  # columns not chosen
    ImportJobFactory(  # a command's job needs no worker
        municipality=s, options={"started": True, "cli": True}, updated_ago=dt.timedelta(hours=1)
    )
    ImportJobFactory(municipality=s, options={"started": True})  # queued just now
    old = ImportJobFactory(municipality=s, state=ImportJob.State.FAILED)
    ImportJob.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(days=40))
    ImportJobFactory(municipality=world.timra, state=ImportJob.State.FAILED)

    monkeypatch.setattr(health, "queue_state", lambda: {"worker": "not seen"})
    analyst = world.users["analyst"]
    found = {i["job"].pk: i["reason"] for i in selectors.imports_needing_attention(analyst, s)}
    assert found == {
        failed.pk: "failed",
        errors.pk: "errors",
        queued.pk: "no_worker",
        police.pk: "no_worker",
    }
    monkeypatch.setattr(health, "queue_state", lambda: {"worker": "alive"})
    found = {i["job"].pk for i in selectors.imports_needing_attention(analyst, s)}
    assert found == {failed.pk, errors.pk}
    # who may not import sees none
    assert selectors.imports_needing_attention(world.users["reporter"], s) == []


def test_recent_reports_are_the_own_organisations(world):
    now = timezone.now()
    own = [make_incident(world, occurred_from=now - dt.timedelta(hours=h)) for h in range(1, 13)]
    make_incident(world, reporting_organisation=world.orgs["housing"], occurred_from=now)
    recent = selectors.recent_reports(world.users["reporter"], world.sundsvall)
    assert recent == own[:10]  # newest first, ten of them
    assert selectors.recent_reports(world.users["viewer"], world.sundsvall) == []


def test_a_user_of_another_municipality_sees_nothing(known):
    outsider = known.users["outsider"]
    ImportJobFactory(municipality=known.sundsvall, state=ImportJob.State.FAILED)
    s = known.sundsvall
    counts = selectors.week_counts(outsider, s, today=TODAY)
    assert counts.total_this == counts.total_last == 0
    assert counts.categories == [] and counts.areas == []
    assert (
        selectors.place_counts(outsider, s, area=known.areas["centrum"], today=TODAY)["year"] == 0
    )
    assert selectors.groups_not_reported(outsider, s, _this_week()) == []
    assert selectors.imports_needing_attention(outsider, s) == []
    assert selectors.recent_reports(outsider, s) == []


# --- the pages ------------------------------------------------------------------------------
def test_reporter_start_page(world, client_for):
    make_incident(world, category=category("klotter"))
    r = client_for("reporter").get(f"{BASE}/")
    html = r.content.decode()
    assert f'href="{BASE}/handelser/rapportera/"' in html and "button-large" in html
    assert "Klotter" in html  # the own report, linked
    assert "Trygghetsgrupp Centrum, Fältassistenterna" in html  # this week's state
    assert "panel-trend" not in html and "panel-imports" not in html


def test_coordinator_start_page_shows_counts_round_and_imports(known, client_for):
    ImportJobFactory(municipality=known.sundsvall, state=ImportJob.State.FAILED, file_name="x.csv")
    r = client_for("coordinator").get(f"{BASE}/")
    html = r.content.decode()
    assert 'role="img"' in html and '<title id="trend-chart-title">' in html
    assert 'id="trend-weeks"' in html and "x.csv" in html
    assert "Trygghetsgrupp Centrum" in html and "panel-round" in html
    # no free text of any incident, personal data or not
    assert "Kalle Svensson" not in html
    assert Incident.objects.filter(has_personal_data=True, status=Status.NEW).exists()


def test_viewer_start_page_has_no_panels(world, client_for):
    html = client_for("viewer").get(f"{BASE}/").content.decode()
    assert 'class="panel' not in html


def test_area_and_forum_pages_link_to_the_list_and_map(world, client_for):
    make_incident(world, area=world.areas["centrum"])
    c = client_for("viewer")
    area = world.areas["centrum"].pk
    html = c.get(f"{BASE}/omraden/{area}/").content.decode()
    assert f'href="{BASE}/handelser/?area={area}"' in html
    assert f'href="{BASE}/handelser/karta/?area={area}"' in html
    assert "1 rapport" in html
    forum = world.forums["safety"].pk
    html = c.get(f"{BASE}/forum/{forum}/").content.decode()
    assert f'href="{BASE}/handelser/karta/?forum={forum}"' in html
