"""The list, the map, the detail with history and the weekly reporting round, as a
coordinator and the partners use them."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.utils import timezone

from brygga.audit.models import AuditEvent
from brygga.core.models import Municipality
from brygga.incidents.models import Incident, NilReport, Status

from .factories import CENTRE, PoliceEventFactory, category, make_incident

pytestmark = pytest.mark.django_db
BASE = "/kommuner/2281/handelser"
NACKSTA = (62.398, 17.255)


def _ids(response) -> set[int]:
    return {i.pk for i in response.context["page"].object_list}


def test_filters_narrow_the_list(world, client_for):
    now = timezone.now()
    window = make_incident(world, lat=CENTRE[0], lon=CENTRE[1], area=world.areas["centrum"])
    graffiti = make_incident(
        world,
        category=category("klotter-stotande"),
        lat=NACKSTA[0],
        lon=NACKSTA[1],
        area=world.areas["nacksta"],
        occurred_from=now - dt.timedelta(days=40),
    )
    police = PoliceEventFactory(
        category=category("hot-vald-ran"), source_id="p-1", status=Status.REVIEWED
    )
    c = client_for("coordinator")
    assert _ids(c.get(f"{BASE}/")) == {window.pk, graffiti.pk, police.pk}
    # a main category includes its sub-categories
    main = category("klotter")
    assert _ids(c.get(f"{BASE}/?category={main.pk}")) == {graffiti.pk}
    assert _ids(c.get(f"{BASE}/?area={world.areas['centrum'].pk}")) == {window.pk}
    # a forum means the areas it covers (Trygghetsgrupp Centrum → Centrum)
    assert _ids(c.get(f"{BASE}/?forum={world.forums['safety'].pk}")) == {window.pk}
    since = (timezone.localdate() - dt.timedelta(days=7)).isoformat()
    assert _ids(c.get(f"{BASE}/?date_from={since}")) == {window.pk, police.pk}
    until = (timezone.localdate() - dt.timedelta(days=30)).isoformat()
    assert _ids(c.get(f"{BASE}/?date_to={until}")) == {graffiti.pk}
    assert _ids(c.get(f"{BASE}/?source=police")) == {police.pk}
    assert _ids(c.get(f"{BASE}/?status=reviewed")) == {police.pk}
    # an invalid filter is shown as an error, not a crash
    r = c.get(f"{BASE}/?date_from=igår&area=999999")
    assert r.status_code == 200 and r.context["filter"].errors


def test_list_pages_by_fifty_and_counts(world, client_for):
    for _ in range(53):
        make_incident(world)
    c = client_for("viewer")
    first = c.get(f"{BASE}/")
    assert first.context["page"].paginator.count == 53
    assert len(first.context["page"].object_list) == 50
    assert len(c.get(f"{BASE}/?sida=2").context["page"].object_list) == 3


def test_county_level_police_events_are_included_and_labelled(world, client_for):
    county_event = PoliceEventFactory(
        county_level=True, source_id="lan-1", category=category("trafik")
    )
    timra = make_incident(world, municipality=world.timra, reporting_organisation=None)
    r = client_for("viewer").get(f"{BASE}/")
    assert county_event.pk in _ids(r) and timra.pk not in _ids(r)
    assert "tag-county" in r.content.decode()


def test_personal_data_is_need_to_know_and_reads_are_logged(world, client_for):
    secret = make_incident(
        world,
        has_personal_data=True,
        description="Namngiven person …",
        reporting_organisation=world.orgs["housing"],
    )
    viewer = client_for("viewer")
    assert secret.pk not in _ids(viewer.get(f"{BASE}/"))
    assert viewer.get(f"{BASE}/{secret.pk}/").status_code == 404
    reporter = client_for("reporter")  # another organisation than the one that reported it
    assert reporter.get(f"{BASE}/{secret.pk}/").status_code == 404
    coordinator = client_for("coordinator")
    assert secret.pk in _ids(coordinator.get(f"{BASE}/"))
    assert not AuditEvent.objects.filter(kind="access", object_id=str(secret.pk)).exists()
    r = coordinator.get(f"{BASE}/{secret.pk}/")
    assert r.status_code == 200 and "Namngiven person" in r.content.decode()
    access = AuditEvent.objects.get(kind="access", object_id=str(secret.pk))
    assert access.actor_id == world.users["coordinator"].pk
    assert access.object_type == "incidents.incident"


def test_detail_shows_history_and_coordinator_reviews(world, client_for):
    incident = make_incident(world, lat=CENTRE[0], lon=CENTRE[1], area=world.areas["centrum"])
    c = client_for("coordinator")
    r = c.post(f"{BASE}/{incident.pk}/status/", {"status": "reviewed"})
    assert r.status_code == 302
    incident.refresh_from_db()
    assert incident.status == Status.REVIEWED
    r = c.get(f"{BASE}/{incident.pk}/")
    history = r.context["history"]
    assert [h["event"].kind for h in history] == ["create", "update"]
    change = next(ch for ch in history[1]["changes"] if ch["key"] == "status")
    assert str(change["before"]) == str(Status.NEW.label)
    assert str(change["after"]) == str(Status.REVIEWED.label)
    assert r.context["map_data"]["point"] == [CENTRE[0], CENTRE[1]]
    # a reporter sees the history but may not change the status
    reporter = client_for("reporter")
    assert len(reporter.get(f"{BASE}/{incident.pk}/").context["history"]) == 2
    assert reporter.post(f"{BASE}/{incident.pk}/status/", {"status": "rejected"}).status_code == 403
    incident.refresh_from_db()
    assert incident.status == Status.REVIEWED


def test_access_rows_in_history_only_for_auditors(world, client_for):
    incident = make_incident(world, has_personal_data=True)
    client_for("coordinator").get(f"{BASE}/{incident.pk}/")
    coordinator_view = client_for("coordinator").get(f"{BASE}/{incident.pk}/")
    assert "access" not in {h["event"].kind for h in coordinator_view.context["history"]}
    admin_view = client_for("municipal_admin").get(f"{BASE}/{incident.pk}/")
    assert "access" in {h["event"].kind for h in admin_view.context["history"]}


def test_rejected_and_deleted_reports(world, client_for):
    incident = make_incident(world)
    c = client_for("coordinator")
    c.post(f"{BASE}/{incident.pk}/status/", {"status": "rejected"})
    # rejected reports are need-to-know: the reporting organisation and coordinators
    assert incident.pk not in _ids(client_for("viewer").get(f"{BASE}/"))
    assert incident.pk in _ids(client_for("reporter").get(f"{BASE}/"))
    assert c.post(f"{BASE}/{incident.pk}/ta-bort/").status_code == 302
    assert incident.pk not in _ids(c.get(f"{BASE}/"))
    assert AuditEvent.objects.filter(event_type="incident_deleted").count() == 1


def test_map_shows_points_and_counts_per_area(world, client_for):
    make_incident(world, lat=CENTRE[0], lon=CENTRE[1], area=world.areas["centrum"], count=3)
    make_incident(world, lat=CENTRE[0], lon=CENTRE[1], area=world.areas["centrum"])
    make_incident(world, area=world.areas["nacksta"])  # area only, no point
    r = client_for("viewer").get(f"{BASE}/karta/")
    assert r.status_code == 200
    counts = {row["area"].name: (row["reports"], row["events"]) for row in r.context["area_rows"]}
    assert counts == {"Centrum": (2, 4), "Nacksta": (1, 1)}
    data = r.context["map_data"]
    assert len(data["points"]) == 2
    reports = {
        f["properties"]["name"]: f["properties"]["reports"] for f in data["areas"]["features"]
    }
    assert reports == {"Centrum": 2, "Nacksta": 1}
    body = r.content.decode()
    assert 'data-incident-map="incident-map-data"' in body and "leaflet.markercluster.js" in body
    # the same filter as the list
    r = client_for("viewer").get(f"{BASE}/karta/?area={world.areas['nacksta'].pk}")
    assert r.context["n_points"] == 0


def _week(day: dt.date) -> str:
    y, w, _ = day.isocalendar()
    return f"{y}-V{w:02d}"


def test_weekly_round_shows_who_has_reported(world, client_for):
    today = timezone.localdate()
    monday = today - dt.timedelta(days=today.weekday())
    make_incident(
        world,
        reporting_organisation=world.orgs["housing"],
        occurred_from=timezone.make_aware(dt.datetime.combine(monday, dt.time(10))),
    )
    make_incident(  # last week: does not count for this week
        world,
        reporting_organisation=world.orgs["field"],
        occurred_from=timezone.make_aware(dt.datetime.combine(monday, dt.time(10)))
        - dt.timedelta(days=3),
    )
    forum = world.forums["safety"]
    viewer = client_for("viewer")
    r = viewer.get(f"{BASE}/veckorapportering/")
    assert r.status_code == 200 and r.context["forum"] == forum
    states = {row["organisation"].name: (row["state"], row["count"]) for row in r.context["rows"]}
    assert states == {
        "Mitthem": ("reported", 1),
        "Fältassistenterna": ("missing", 0),
        "LPO Medelpad": ("missing", 0),
    }
    assert r.context["next_week"] is None  # no future weeks
    last = viewer.get(f"{BASE}/veckorapportering/?forum={forum.pk}&vecka={r.context['prev_week']}")
    states = {row["organisation"].name: row["state"] for row in last.context["rows"]}
    assert states["Fältassistenterna"] == "reported" and states["Mitthem"] == "missing"
    assert last.context["next_week"] == _week(monday)
    # the viewer may not say "nothing to report"
    assert not any(row["can_mark"] for row in r.context["rows"])


def test_reporter_marks_nothing_to_report_for_own_organisation(world, client_for):
    forum = world.forums["safety"]
    week = _week(timezone.localdate())
    c = client_for("reporter")
    rows = c.get(f"{BASE}/veckorapportering/").context["rows"]
    assert {r["organisation"].name for r in rows if r["can_mark"]} == {"Fältassistenterna"}
    url = f"{BASE}/veckorapportering/inget-att-rapportera/"
    data = {"forum": forum.pk, "organisation": world.orgs["field"].pk, "vecka": week}
    assert c.post(url, data).status_code == 302
    assert c.post(url, data).status_code == 302  # twice is harmless
    nil = NilReport.objects.get()
    assert nil.organisation == world.orgs["field"] and nil.reported_by == world.users["reporter"]
    assert AuditEvent.objects.filter(object_type="incidents.nilreport", kind="create").count() == 1
    states = {
        r["organisation"].name: r["state"]
        for r in c.get(f"{BASE}/veckorapportering/").context["rows"]
    }
    assert states["Fältassistenterna"] == "nothing"
    # not for another member organisation, and not as a viewer
    other = {**data, "organisation": world.orgs["housing"].pk}
    assert c.post(url, other).status_code == 403
    assert client_for("viewer").post(url, data).status_code == 403
    assert NilReport.objects.count() == 1
    # a coordinator may mark for any member organisation, after confirming it (below)
    coordinator = client_for("coordinator")
    assert coordinator.post(url, {**other, "confirmed": "1"}).status_code == 302
    assert NilReport.objects.count() == 2


def test_nothing_to_report_for_another_organisation_is_confirmed_first(world, client_for):
    """Issue #12 item 8: "nothing to report" for an organisation the user is not a member of
    shows a confirmation page (server-side: it works without JavaScript) and saves nothing
    until it is confirmed; for the user's own organisation it is saved at once."""
    forum, housing = world.forums["safety"], world.orgs["housing"]
    week = _week(timezone.localdate())
    url = f"{BASE}/veckorapportering/inget-att-rapportera/"
    data = {"forum": forum.pk, "organisation": housing.pk, "vecka": week}
    coordinator = client_for("coordinator")  # a member of Kommunledningen, not of Mitthem
    audit_rows = AuditEvent.objects.count()

    r = coordinator.post(url, data)
    assert r.status_code == 200 and r.templates[0].name == "incidents/weekly_nil_confirm.html"
    assert not NilReport.objects.exists() and AuditEvent.objects.count() == audit_rows
    html = r.content.decode()
    assert "Mitthem" in html and week in html
    # the page's form posts the same report with the confirmation, and can be cancelled
    assert 'name="confirmed" value="1"' in html
    assert f'name="organisation" value="{housing.pk}"' in html
    assert f'href="{BASE}/veckorapportering/?forum={forum.pk}&amp;vecka={week}"' in html
    # a confirmation sent by someone who may not mark for it changes nothing either
    refused = client_for("reporter").post(url, {**data, "confirmed": "1"})
    assert refused.status_code == 403 and not NilReport.objects.exists()

    r = coordinator.post(url, {**data, "confirmed": "1"})
    assert r.status_code == 302 and r["Location"].endswith(f"?forum={forum.pk}&vecka={week}")
    nil = NilReport.objects.get()
    assert nil.organisation == housing and nil.reported_by == world.users["coordinator"]

    # the reporter's own organisation: saved at once, no confirmation page
    own = {**data, "organisation": world.orgs["field"].pk}
    assert client_for("reporter").post(url, own).status_code == 302
    assert NilReport.objects.count() == 2


def test_weekly_round_unknown_forum_is_not_found(world, client_for):
    c = client_for("viewer")
    assert c.get(f"{BASE}/veckorapportering/?forum={world.forums['sspf'].pk}").status_code == 404
    assert c.get(f"{BASE}/veckorapportering/?forum={world.forums['timra'].pk}").status_code == 404
    # a malformed week falls back to this week
    assert c.get(f"{BASE}/veckorapportering/?vecka=2024-W99").status_code == 200


def test_weekly_round_opens_the_week_the_weekly_picture_links_to(world, client_for):
    """Regression: the EST weekly picture links here with ?vecka=2024-V10 (its URLs' Swedish
    form); the round read only 2024-W10 and showed this week instead."""
    c = client_for("viewer")
    for value in ("2024-V10", "2024-W10", "2024-v10"):
        r = c.get(f"{BASE}/veckorapportering/", {"vecka": value})
        assert r.context["week_start"] == dt.date(2024, 3, 4), value
        assert r.context["week"] == "2024-V10"
        assert r.context["prev_week"] == "2024-V09"
    # the picture's own link to the round carries the week it shows
    forum = world.forums["safety"]
    r = c.get("/kommuner/2281/lagesbild/veckobild/", {"forum": forum.pk, "vecka": "2024-V10"})
    assert f"veckorapportering/?forum={forum.pk}&amp;vecka=2024-V10" in r.content.decode()


def test_incident_of_another_municipality_is_not_found(world, client_for):
    timra = make_incident(world, municipality=world.timra, reporting_organisation=None)
    c = client_for("coordinator")
    for path in ("", "kvitto/", "andra/", "ta-bort/"):
        assert c.get(f"{BASE}/{timra.pk}/{path}").status_code == 404
    assert Incident.objects.filter(pk=timra.pk, deleted_at__isnull=True).exists()


def test_county_level_event_is_not_edited_from_a_municipality(world, client_for):
    event = PoliceEventFactory(
        county_level=True, source_id="lan-2", source_url="javascript:alert(1)"
    )
    admin = client_for("system_admin")
    r = admin.get(f"{BASE}/{event.pk}/")
    assert r.status_code == 200 and not r.context["can_change"]
    assert "javascript:" not in r.content.decode()
    assert admin.get(f"{BASE}/{event.pk}/andra/").status_code == 404
    assert client_for("coordinator").get(f"{BASE}/{event.pk}/andra/").status_code == 403


def test_a_huge_selection_says_more_than_and_still_pages(world, client_for, monkeypatch):
    """The list counts at most LIST_COUNT_CAP rows, so a page costs the same with a million
    incidents; beyond the cap it says "more than" and the pages up to the cap still work."""
    from brygga.incidents.views import lists as views

    for i in range(7):
        make_incident(world, occurred_from=timezone.now() - dt.timedelta(hours=i))
    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    monkeypatch.setattr(views, "LIST_COUNT_CAP", 6)
    c = client_for("coordinator")
    c.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # English msgids, catalogue-independent
    r = c.get(f"{BASE}/")
    body = r.content.decode()
    assert "More than 6 incidents" in body and "narrow the filter" in body
    assert "Page 1 of 3" in body
    newest = sorted(Incident.objects.all(), key=lambda i: i.occurred_from, reverse=True)
    assert [i.pk for i in r.context["page"].object_list] == [newest[0].pk, newest[1].pk]
    assert [i.pk for i in c.get(f"{BASE}/?sida=3").context["page"].object_list] == [
        newest[4].pk,
        newest[5].pk,
    ]
    # under the cap the exact number is shown
    monkeypatch.setattr(views, "LIST_COUNT_CAP", 7)
    body = c.get(f"{BASE}/").content.decode()
    assert "7 incidents" in body and "More than" not in body


def test_map_counts_points_of_the_whole_selection_and_leaves_out_summaries(
    world, client_for, monkeypatch
):
    from brygga.incidents.views import lists as views

    make_incident(world, lat=CENTRE[0], lon=CENTRE[1], area=world.areas["centrum"])
    make_incident(world, lat=NACKSTA[0], lon=NACKSTA[1], area=world.areas["nacksta"], count=4)
    make_incident(world, lat=NACKSTA[0], lon=NACKSTA[1])  # a point outside every area
    make_incident(world, area=world.areas["nacksta"])  # area only
    PoliceEventFactory(  # a police summary: on the list, not counted per area
        source_id="sum-1", status=Status.REVIEWED, is_summary=True
    )
    monkeypatch.setattr(views, "MAP_MAX_POINTS", 2)
    r = client_for("coordinator").get(f"{BASE}/karta/")
    counts = {row["area"].name: (row["reports"], row["events"]) for row in r.context["area_rows"]}
    assert counts == {"Centrum": (1, 1), "Nacksta": (2, 5)}
    assert r.context["outside"] == {"reports": 1, "events": 1}
    assert r.context["n_points"] == 3
    assert r.context["n_shown"] == 2 and r.context["truncated"]
    assert len(r.context["map_data"]["points"]) == 2


def test_municipality_scope_is_the_municipality_and_its_county_level_events(world):
    """A municipality's scope is its own incidents and its copies of the county-level events of
    its county; nothing of other municipalities or other counties. A list over several
    municipalities shows each county-level event once (``one_copy_per_event``)."""
    from brygga.core.models import County

    other_county = County.objects.exclude(pk=world.sundsvall.county_id).first()
    own = make_incident(world)
    county_level = PoliceEventFactory(county_level=True, source_id="c1")
    timra = make_incident(world, municipality=world.timra, reporting_organisation=None)
    elsewhere = PoliceEventFactory(county_level=True, county_id=other_county.pk, source_id="c2")
    s, t = world.sundsvall, world.timra
    timra_copy = Incident.objects.get(source_id="c1", municipality=t)
    got = set(Incident.objects.in_scope_of([s.pk], [s.county_id]).values_list("pk", flat=True))
    assert got == {own.pk, county_level.pk}
    both = Incident.objects.in_scope_of([s.pk, t.pk], [s.county_id])
    assert set(both.values_list("pk", flat=True)) == {
        own.pk,
        county_level.pk,
        timra_copy.pk,
        timra.pk,
    }
    once = both.one_copy_per_event([s.pk, t.pk])
    first = county_level if s.pk < t.pk else timra_copy  # the copy of the first municipality
    assert set(once.values_list("pk", flat=True)) == {own.pk, first.pk, timra.pk}
    # another county's county-level event is in none of these scopes
    assert elsewhere.pk not in got | set(both.values_list("pk", flat=True))
    others = Municipality.objects.filter(county=other_county).values_list("pk", flat=True)
    other = Incident.objects.in_scope_of(others, [other_county.pk]).one_copy_per_event(others)
    assert set(other.values_list("pk", flat=True)) == {elsewhere.pk}
