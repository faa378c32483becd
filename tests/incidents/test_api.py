"""The incidents API: restricted lists with the web list's filters plus bbox, cursor
pagination, GeoJSON, detail with logged reads of personal data, create and update for the
roles that may; categories and import profiles as resources."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from brygga.audit.models import AuditEvent
from brygga.incidents.models import Category, Incident, Source, Status

from .factories import (
    CENTRE,
    TIMRA_POINT,
    ImportProfileFactory,
    PoliceEventFactory,
    category,
    make_incident,
)

pytestmark = pytest.mark.django_db
API = "/api/v1"


def _ids(data) -> list[int]:
    return [row["id"] for row in data["results"]]


@pytest.fixture
def sample(world):
    now = timezone.now()
    return {
        "centre": make_incident(
            world, lat=CENTRE[0], lon=CENTRE[1], area=world.areas["centrum"], occurred_from=now
        ),
        "graffiti": make_incident(
            world,
            category=category("klotter-stotande"),
            area=world.areas["nacksta"],
            occurred_from=now - dt.timedelta(days=10),
        ),
        "county": PoliceEventFactory(
            county_level=True, source_id="lan-1", occurred_from=now - dt.timedelta(days=1)
        ),
        "timra": make_incident(
            world,
            municipality=world.timra,
            reporting_organisation=world.orgs["timra"],
            lat=TIMRA_POINT[0],
            lon=TIMRA_POINT[1],
        ),
    }


def test_list_is_restricted_and_filtered(world, sample, client_for):
    c = client_for("viewer")
    data = c.get(f"{API}/incidents/").json()
    assert set(_ids(data)) == {sample[k].pk for k in ("centre", "graffiti", "county")}
    assert _ids(c.get(f"{API}/incidents/?municipality=2281").json()) == [
        sample["centre"].pk,
        sample["county"].pk,
        sample["graffiti"].pk,
    ]  # newest first
    # Timrå's incidents stay hidden, its copy of the county-level event too: the viewer sees
    # that event as Sundsvall's (above), once
    assert _ids(c.get(f"{API}/incidents/?municipality=2262").json()) == []
    assert _ids(c.get(f"{API}/incidents/?municipality=0000").json()) == []
    main = category("klotter").pk
    assert _ids(c.get(f"{API}/incidents/?category={main}").json()) == [sample["graffiti"].pk]
    assert _ids(c.get(f"{API}/incidents/?bbox=17.29,62.385,17.32,62.397").json()) == [
        sample["centre"].pk
    ]
    since = (timezone.localdate() - dt.timedelta(days=3)).isoformat()
    assert set(_ids(c.get(f"{API}/incidents/?date_from={since}").json())) == {
        sample["centre"].pk,
        sample["county"].pk,
    }
    assert _ids(c.get(f"{API}/incidents/?source=police").json()) == [sample["county"].pk]
    forum = world.forums["safety"].pk
    assert _ids(c.get(f"{API}/incidents/?forum={forum}").json()) == [sample["centre"].pk]
    outsider = client_for("outsider").get(f"{API}/incidents/").json()
    # the same county-level event, as Timrå's copy
    timra_copy = Incident.objects.get(source_id="lan-1", municipality=world.timra)
    assert set(_ids(outsider)) == {sample["timra"].pk, timra_copy.pk}


@pytest.mark.parametrize(
    "query, field",
    [
        ("bbox=1,2,3", "bbox"),
        ("bbox=a,b,c,d", "bbox"),
        ("bbox=18,62,17,63", "bbox"),
        ("bbox=17,62,200,63", "bbox"),
        ("bbox=nan,62,17,63", "bbox"),
        ("date_from=igår", "date_from"),
        ("category=999999", "category"),
        ("area=x", "area"),
        ("status=unknown", "status"),
    ],
)
def test_bad_filters_are_field_keyed_400s(query, field, world, client_for):
    r = client_for("viewer").get(f"{API}/incidents/?{query}")
    assert r.status_code == 400 and field in r.json()


def test_cursor_pagination(world, client_for):
    made = [
        make_incident(world, occurred_from=timezone.now() - dt.timedelta(hours=i)) for i in range(5)
    ]
    c = client_for("viewer")
    seen = []
    url = f"{API}/incidents/?page_size=2"
    pages = 0
    while url:
        data = c.get(url).json()
        assert "count" not in data  # cursor pagination: no count query
        seen += _ids(data)
        url = data["next"]
        pages += 1
    assert pages == 3 and seen == [i.pk for i in made]
    assert c.get(f"{API}/incidents/?cursor=garbage").status_code == 404


def test_geojson(world, sample, client_for):
    r = client_for("viewer").get(f"{API}/incidents/?format=geojson&page_size=2&municipality=2281")
    assert r.status_code == 200 and r["Content-Type"].startswith("application/geo+json")
    fc = r.json()
    assert fc["type"] == "FeatureCollection" and len(fc["features"]) == 2
    assert fc["next"] and "format=geojson" in fc["next"]
    centre = fc["features"][0]
    assert centre["geometry"] == {"type": "Point", "coordinates": [CENTRE[1], CENTRE[0]]}
    assert centre["properties"]["category_name"] == sample["centre"].category.name
    rest = client_for("viewer").get(fc["next"]).json()
    assert rest["features"][0]["id"] == sample["graffiti"].pk
    assert rest["features"][0]["geometry"] is None  # placed in an area only


def test_personal_data_detail_is_logged_and_need_to_know(world, client_for):
    secret = make_incident(world, has_personal_data=True, description="Namn Efternamn")
    assert client_for("viewer").get(f"{API}/incidents/{secret.pk}/").status_code == 404
    c = client_for("coordinator")
    listed = c.get(f"{API}/incidents/").json()["results"]
    assert listed[0]["id"] == secret.pk and listed[0]["description"] is None
    assert not AuditEvent.objects.filter(kind="access").exists()
    r = c.get(f"{API}/incidents/{secret.pk}/")
    assert r.status_code == 200 and r.json()["description"] == "Namn Efternamn"
    access = AuditEvent.objects.get(kind="access")
    assert access.object_id == str(secret.pk) and access.actor_id == world.users["coordinator"].pk


def _payload(**kw) -> dict:
    data = {
        "municipality": "2281",
        "category": category().pk,
        "occurred_from": (timezone.now() - dt.timedelta(hours=1)).isoformat(),
        "lat": CENTRE[0],
        "lon": CENTRE[1],
        "description": "Krossad ruta.",
    }
    data.update(kw)
    return {k: v for k, v in data.items() if v is not None}


def test_reporter_creates_through_the_api(world, client_for):
    c = client_for("reporter")
    r = c.post(
        f"{API}/incidents/",
        _payload(reporting_organisation=world.orgs["field"].pk),
        content_type="application/json",
    )
    assert r.status_code == 201, r.json()
    body = r.json()
    incident = Incident.objects.get(pk=body["id"])
    assert incident.source == Source.API and incident.area == world.areas["centrum"]
    assert body["area_name"] == "Centrum" and body["municipality"] == "2281"
    assert body["geometry"]["coordinates"] == [CENTRE[1], CENTRE[0]]
    assert AuditEvent.objects.filter(
        kind="create", object_type="incidents.incident", object_id=str(incident.pk)
    ).exists()


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"lat": CENTRE[1], "lon": CENTRE[0]}, "lat"),  # swapped
        ({"lat": TIMRA_POINT[0], "lon": TIMRA_POINT[1]}, "lat"),  # outside the municipality
        ({"lat": None, "lon": None, "sweref_e": 17.3, "sweref_n": 62.39}, "sweref_e"),
        ({"lat": None, "lon": None}, "lat"),  # no place
        ({"category": None}, "category"),
        ({"category": 999999}, "category"),
        ({"occurred_from": "2999-01-01T00:00:00Z"}, "occurred_from"),
        ({"occurred_from": "1066-10-14T09:00:00Z"}, "occurred_from"),
        ({"municipality": "9999"}, "municipality"),
        ({"municipality": "2262"}, "municipality"),  # not the reporter's municipality
        ({"count": 0}, "count"),
        ({"reporting_organisation": 999999}, "reporting_organisation"),
    ],
)
def test_create_validation_errors_name_the_field(changes, field, world, client_for):
    r = client_for("reporter").post(
        f"{API}/incidents/", _payload(**changes), content_type="application/json"
    )
    assert r.status_code == 400 and field in r.json(), r.json()
    assert not Incident.objects.exists()


def test_reporter_cannot_report_for_another_organisation(world, client_for):
    r = client_for("reporter").post(
        f"{API}/incidents/",
        _payload(reporting_organisation=world.orgs["housing"].pk),
        content_type="application/json",
    )
    assert r.status_code == 400 and "reporting_organisation" in r.json()


@pytest.mark.parametrize("actor", ["viewer", "case_worker"])
def test_roles_without_report_ability_cannot_create(actor, world, client_for):
    r = client_for(actor).post(f"{API}/incidents/", _payload(), content_type="application/json")
    assert r.status_code == 403 and not Incident.objects.exists()


def test_update_permissions(world, client_for):
    own = make_incident(world, lat=CENTRE[0], lon=CENTRE[1], source=Source.MANUAL)
    url = f"{API}/incidents/{own.pk}/"
    reporter = client_for("reporter")
    r = reporter.patch(url, {"count": 3, "area": world.areas["nacksta"].pk}, "application/json")
    assert r.status_code == 200, r.json()
    own.refresh_from_db()
    assert own.count == 3 and own.area == world.areas["nacksta"] and not own.has_point
    # only managers set the status; the whole request is refused
    r = reporter.patch(url, {"status": "reviewed", "count": 9}, "application/json")
    assert r.status_code == 403
    own.refresh_from_db()
    assert own.status == Status.NEW and own.count == 3
    assert client_for("viewer").patch(url, {"count": 5}, "application/json").status_code == 404
    assert client_for("analyst").patch(url, {"count": 5}, "application/json").status_code == 404
    r = client_for("coordinator").patch(url, {"status": "reviewed"}, "application/json")
    assert r.status_code == 200 and r.json()["status"] == "reviewed"
    # reviewed: no longer the reporter's to change
    assert reporter.patch(url, {"count": 4}, "application/json").status_code == 404
    assert client_for("coordinator").put(url, {}, "application/json").status_code == 405
    assert client_for("coordinator").delete(url).status_code == 405


def test_update_validation(world, client_for):
    own = make_incident(world, lat=CENTRE[0], lon=CENTRE[1])
    url = f"{API}/incidents/{own.pk}/"
    c = client_for("coordinator")
    r = c.patch(url, {"lat": 17.3, "lon": 62.39}, "application/json")
    assert r.status_code == 400 and "lat" in r.json()
    r = c.patch(url, {"occurred_to": "2000-01-01T00:00:00Z"}, "application/json")
    assert r.status_code == 400 and "occurred_to" in r.json()
    r = c.patch(url, {"status": "gone"}, "application/json")
    assert r.status_code == 400 and "status" in r.json()


def test_categories(world, client_for):
    c = client_for("coordinator")
    data = c.get(f"{API}/categories/?municipality=2281&limit=500").json()
    national = Category.objects.filter(municipality__isnull=True).count()
    assert data["count"] == national
    main = category("klotter")
    r = c.post(
        f"{API}/categories/",
        {"municipality": "2281", "parent": main.pk, "code": "klotter-skola", "name": "På skola"},
        content_type="application/json",
    )
    assert r.status_code == 201, r.json()
    assert c.get(f"{API}/categories/?municipality=2281&limit=500").json()["count"] == national + 1
    # not visible in Timrå
    outsider = client_for("outsider").get(f"{API}/categories/?limit=500").json()
    assert "klotter-skola" not in {row["code"] for row in outsider["results"]}
    # a sub-category cannot be a parent; a duplicate code is refused
    sub = category("klotter-stotande")
    r = c.post(
        f"{API}/categories/",
        {"municipality": "2281", "parent": sub.pk, "code": "x", "name": "X"},
        content_type="application/json",
    )
    assert r.status_code == 400 and "parent" in r.json()
    r = c.post(
        f"{API}/categories/",
        {"municipality": "2281", "code": "klotter-skola", "name": "Igen"},
        content_type="application/json",
    )
    assert r.status_code == 400
    r = client_for("reporter").post(
        f"{API}/categories/",
        {"municipality": "2281", "code": "egen", "name": "Egen"},
        content_type="application/json",
    )
    assert r.status_code == 403


def test_import_profiles_for_analysts_and_managers(world, client_for):
    ImportProfileFactory(municipality=world.sundsvall, name="Mitthem", mapping={"a": "b"})
    ImportProfileFactory(municipality=world.timra, name="Timrå", mapping={})
    assert [
        p["name"] for p in client_for("analyst").get(f"{API}/import-profiles/").json()["results"]
    ] == ["Mitthem"]
    assert client_for("viewer").get(f"{API}/import-profiles/").json()["results"] == []
    assert client_for("reporter").get(f"{API}/import-profiles/").json()["results"] == []


def test_everything_is_in_the_openapi_schema(world, client_for):
    schema = client_for("viewer").get(f"{API}/schema/?format=json").json()
    paths = schema["paths"]
    assert {"/api/v1/incidents/", "/api/v1/incidents/{id}/", "/api/v1/categories/"} <= set(paths)
    assert "/api/v1/import-profiles/{id}/" in paths
    listed = {p["name"] for p in paths["/api/v1/incidents/"]["get"]["parameters"]}
    assert {
        "bbox",
        "category",
        "area",
        "forum",
        "date_from",
        "date_to",
        "source",
        "status",
    } <= listed
    assert {"municipality", "cursor", "page_size"} <= listed
    assert {"post"} <= set(paths["/api/v1/incidents/"]) and "patch" in paths[
        "/api/v1/incidents/{id}/"
    ]


def test_county_level_events_only_change_status(world, sample, client_for):
    url = f"{API}/incidents/{sample['county'].pk}/"
    admin = client_for("system_admin")
    r = admin.patch(url, {"category": category("klotter").pk}, "application/json")
    assert r.status_code == 400
    r = admin.patch(url, {"status": "reviewed"}, "application/json")
    assert r.status_code == 200 and r.json()["status"] == "reviewed"
    # municipalities do not manage county-level events
    r = client_for("coordinator").patch(url, {"status": "rejected"}, "application/json")
    assert r.status_code == 404


@pytest.mark.parametrize("dense", [1, 10**9], ids=["dense-box", "sparse-box"])
def test_bbox_gives_the_same_rows_whichever_plan_is_chosen(
    world, sample, client_for, monkeypatch, dense
):
    """A box with many points is filtered without the (lat, lon) index on SQLite (a query-plan
    choice); the rows must be the same either way, on every database."""
    from brygga.incidents.filters import BBoxFilter

    monkeypatch.setattr(BBoxFilter, "dense", dense)
    c = client_for("viewer")
    # the whole region: Sundsvall's point; Timrå's point stays hidden, area-only rows are out
    assert _ids(c.get(f"{API}/incidents/?bbox=16,61,19,64").json()) == [sample["centre"].pk]
    assert _ids(c.get(f"{API}/incidents/?bbox=17.29,62.385,17.32,62.397").json()) == [
        sample["centre"].pk
    ]
    assert _ids(c.get(f"{API}/incidents/?bbox=10,55,11,56").json()) == []
