"""The action plans and measures in the API: lists and details through the resolver (the
same readers as the pages), measures added and changed through the services (coordinators; the
owner organisation's reporter changes the status), bad input as a field-keyed 400."""

import pytest

from brygga.plans.models import Measure

from . import factories

pytestmark = pytest.mark.django_db
API = "/api/v1/plans/2281"


@pytest.fixture
def plan(world):
    p = factories.plan(world.sundsvall, forum=world.forums["safety"])
    problem = factories.problem(p, offender="Unga", place="Torget", victim="Boende")
    factories.measure(p, world.orgs["field"], problem=problem, areas=[world.areas["centrum"]])
    return p


def test_the_plan_list_nests_problems_and_measures(world, client_for, plan):
    data = client_for("reporter").get(f"{API}/plans/").json()
    assert [p["id"] for p in data] == [plan.pk]
    item = data[0]
    assert item["municipality"] == "2281" and item["state"] == "draft"
    assert item["problems"][0]["has_cause_analysis"] is True
    measure = item["measures"][0]
    assert item["problems"][0]["measures"] == [measure["id"]]
    assert measure["owner"] == world.orgs["field"].pk
    assert measure["areas"] == [world.areas["centrum"].pk]
    detail = client_for("reporter").get(f"{API}/plans/{plan.pk}/").json()
    assert detail == item


def test_readers_and_others(world, client_for, plan):
    assert client_for("viewer").get(f"{API}/plans/").json() == []
    assert client_for("viewer").get(f"{API}/plans/{plan.pk}/").status_code == 404
    assert client_for("outsider").get(f"{API}/plans/").status_code == 404
    assert client_for("anon").get(f"{API}/plans/").status_code == 403
    assert client_for("case_worker").get(f"{API}/measures/").json() == []


def test_a_measure_is_added_by_a_coordinator(world, client_for, plan):
    payload = {
        "plan": plan.pk,
        "title": "Trygghetsvandring",
        "owner": world.orgs["housing"].pk,
        "partners": [world.orgs["police"].pk],
        "level": "universal",
        "start": "2025-05-01",
        "end": "2025-05-31",
    }
    response = client_for("coordinator").post(
        f"{API}/measures/", payload, content_type="application/json"
    )
    assert response.status_code == 201, response.content
    measure = Measure.objects.get(pk=response.json()["id"])
    assert measure.status == "planned" and measure.partners.get() == world.orgs["police"]
    refused = client_for("reporter").post(
        f"{API}/measures/", {**payload, "title": "x"}, content_type="application/json"
    )
    assert refused.status_code == 403


@pytest.mark.parametrize(
    "bad,field",
    [
        ({"start": "2024-12-01"}, "start"),
        ({"end": "2027-01-01"}, "end"),
        ({"start": "2025-06-01", "end": "2025-05-01"}, "end"),
        ({"owner": "TIMRA"}, "owner"),
        ({"level": "everyone"}, "level"),
        ({"start": "not a date"}, "start"),
    ],
)
def test_bad_measures_are_refused_with_the_field(world, client_for, plan, bad, field):
    if bad.get("owner") == "TIMRA":
        bad = {"owner": world.orgs["timra"].pk}
    payload = {
        "plan": plan.pk,
        "title": "Fel",
        "owner": world.orgs["housing"].pk,
        "level": "universal",
        "start": "2025-05-01",
        **bad,
    }
    response = client_for("coordinator").post(
        f"{API}/measures/", payload, content_type="application/json"
    )
    assert response.status_code == 400
    assert field in response.json()
    assert not Measure.objects.filter(title="Fel").exists()


def test_patch_by_the_owner_organisation_and_the_coordinator(world, client_for, plan):
    measure = plan.measures.get()
    url = f"{API}/measures/{measure.pk}/"
    r = client_for("reporter").patch(url, {"status": "ongoing"}, content_type="application/json")
    assert r.status_code == 200 and r.json()["status"] == "ongoing"
    r = client_for("reporter").patch(
        url, {"owner": world.orgs["police"].pk}, content_type="application/json"
    )
    assert r.status_code == 403
    r = client_for("analyst").patch(url, {"status": "done"}, content_type="application/json")
    assert r.status_code == 403
    r = client_for("coordinator").patch(
        url, {"owner": world.orgs["police"].pk}, content_type="application/json"
    )
    assert r.status_code == 200 and r.json()["owner"] == world.orgs["police"].pk
    measure.refresh_from_db()
    assert (measure.status, measure.owner) == ("ongoing", world.orgs["police"])
