"""REST API: restricted querysets, JSON validation errors with field names, GeoJSON."""

import pytest

from brygga.core.models import Area, Forum, Organisation

from ..conftest import CENTRE_SQUARE, TIMRA_SQUARE

pytestmark = pytest.mark.django_db
API = "/api/v1"


def test_list_is_restricted_to_the_users_municipality(world, client_for):
    data = client_for("viewer").get(f"{API}/organisations/").json()
    names = {o["name"] for o in data["results"]}
    assert "Mitthem" in names and "Timrå trygghet" not in names
    data = client_for("outsider").get(f"{API}/organisations/?municipality=2281").json()
    assert data["count"] == 0


def test_anonymous_is_refused(world):
    from django.test import Client

    assert Client().get(f"{API}/areas/").status_code == 403


def test_areas_as_geojson(world, client_for):
    r = client_for("viewer").get(f"{API}/areas/?format=geojson&municipality=2281")
    assert r.status_code == 200 and r["Content-Type"].startswith("application/geo+json")
    fc = r.json()
    assert fc["type"] == "FeatureCollection" and fc["count"] == 2
    assert {f["properties"]["name"] for f in fc["features"]} == {"Centrum", "Nacksta"}
    assert fc["features"][0]["geometry"]["type"] == "Polygon"


def test_point_lookup(world, client_for):
    c = client_for("viewer")
    data = c.get(f"{API}/areas/?point=17.305,62.39").json()
    assert [a["name"] for a in data["results"]] == ["Centrum"]
    bad = c.get(f"{API}/areas/?point=norr")
    assert bad.status_code == 400 and "point" in bad.json()


def test_create_area_validation_errors_are_json_with_field_names(world, client_for):
    c = client_for("coordinator")
    r = c.post(
        f"{API}/areas/",
        {"municipality": "2281", "name": "Utanför", "geometry": TIMRA_SQUARE},
        content_type="application/json",
    )
    assert r.status_code == 400 and "geometry" in r.json()
    r = c.post(
        f"{API}/areas/",
        {"municipality": "9999", "name": "X", "geometry": CENTRE_SQUARE},
        content_type="application/json",
    )
    assert r.status_code == 400 and "9999" in r.json()["municipality"][0]
    r = c.post(
        f"{API}/areas/",
        {"municipality": "abc", "name": "X", "geometry": CENTRE_SQUARE},
        content_type="application/json",
    )
    assert r.status_code == 400 and "fyra siffror" in r.json()["municipality"][0]
    r = c.post(f"{API}/areas/", {"name": "X"}, content_type="application/json")
    assert r.status_code == 400 and {"municipality", "geometry"} <= set(r.json())
    assert not Area.objects.filter(name__in=["Utanför", "X"]).exists()


def test_create_and_update_area_through_api(world, client_for):
    c = client_for("coordinator")
    square = {
        "type": "Polygon",
        "coordinates": [[[17.30, 62.40], [17.31, 62.40], [17.31, 62.405], [17.30, 62.40]]],
    }
    r = c.post(
        f"{API}/areas/",
        {"municipality": "2281", "name": "Nytt", "geometry": square},
        content_type="application/json",
    )
    assert r.status_code == 201, r.json()
    pk = r.json()["id"]
    r = c.patch(f"{API}/areas/{pk}/", {"name": "Nytt namn"}, content_type="application/json")
    assert r.status_code == 200 and r.json()["name"] == "Nytt namn"


def test_reporter_cannot_create_or_change(world, client_for):
    c = client_for("reporter")
    r = c.post(
        f"{API}/organisations/",
        {"municipality": "2281", "name": "X", "kind": "other"},
        content_type="application/json",
    )
    assert r.status_code == 403
    r = c.patch(
        f"{API}/organisations/{world.orgs['housing'].pk}/",
        {"name": "Y"},
        content_type="application/json",
    )
    assert r.status_code == 404
    assert not Organisation.objects.filter(name__in=["X", "Y"]).exists()


def test_coordinator_cannot_create_in_other_municipality(world, client_for):
    r = client_for("coordinator").post(
        f"{API}/organisations/",
        {"municipality": "2262", "name": "X", "kind": "other"},
        content_type="application/json",
    )
    assert r.status_code == 400  # 2262 is not a municipality this user can see
    assert not Organisation.objects.filter(name="X").exists()


def test_schema_lists_the_resources(world, client_for):
    r = client_for("viewer").get(f"{API}/schema/?format=json")
    assert r.status_code == 200
    paths = r.json()["paths"]
    for p in (
        "/api/v1/areas/",
        "/api/v1/organisations/",
        "/api/v1/forums/",
        "/api/v1/municipalities/{code}/",
    ):
        assert p in paths


def test_malformed_json_is_a_400(world, client_for):
    r = client_for("coordinator").post(
        f"{API}/organisations/", "{not json", content_type="application/json"
    )
    assert r.status_code == 400 and "detail" in r.json()


def test_an_id_from_another_municipality_answers_like_one_that_does_not_exist(world, client_for):
    """The related ids a client sends (a parent organisation, a forum's organisations, areas
    and convener) are looked up among the rows the user may see: a Timrå row, invisible to a
    Sundsvall coordinator, gets the very answer of an id that was never used."""
    c = client_for("coordinator")
    missing = 987_654_321
    forum = {"municipality": "2281", "name": "Nytt forum", "kind": "safety_group"}
    organisation = {"municipality": "2281", "name": "Ny avdelning", "kind": "other"}
    cases = [
        (
            "forums",
            "organisations",
            world.orgs["timra"].pk,
            lambda pk: {**forum, "organisations": [pk]},
        ),
        ("forums", "areas", world.areas["timra"].pk, lambda pk: {**forum, "areas": [pk]}),
        ("forums", "convener", world.orgs["timra"].pk, lambda pk: {**forum, "convener": pk}),
        (
            "organisations",
            "parent",
            world.orgs["timra"].pk,
            lambda pk: {**organisation, "parent": pk},
        ),
    ]
    for resource, field, foreign, body in cases:
        answers = []
        for pk in (foreign, missing):
            r = c.post(f"{API}/{resource}/", body(pk), content_type="application/json")
            answers.append((r.status_code, r.content.decode().replace(str(pk), "ID")))
        assert answers[0] == answers[1], (field, answers)
        assert answers[0][0] == 400 and f'"{field}"' in answers[0][1], (field, answers)
    assert not Forum.objects.filter(name="Nytt forum").exists()
    assert not Organisation.objects.filter(name="Ny avdelning").exists()
