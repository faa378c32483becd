"""The work log: logging and editing operations (bad input refused on its field, no 500),
who may log what, a safety walk's observation passed on as an incident report, the effort
table beside the incident counts (equal to a direct count) and its CSV, and the API."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from brygga.incidents.models import Incident
from brygga.plans import services
from brygga.plans.models import Operation, WalkObservation

from ..incidents.factories import category
from . import factories as f
from .test_work_helpers import direct_events, make_incidents, plan_and_measure

CODE = "2281"


def _url(name, **kw):
    return reverse(f"plans:{name}", kwargs={"code": CODE, **kw})


def _form(w, measure, **kw):
    data = {
        "kind": "targeted",
        "title": "Riktad insats mot narkotikahandel",
        "measure": measure.pk,
        "started_at": "2025-03-07T18:00",
        "ended_at": "2025-03-07T23:00",
        "area": w.areas["centrum"].pk,
        "organisations": [w.orgs["field"].pk],
        "hours": "12.5",
        "participants": "3",
        "notes": "",
    }
    data.update(kw)
    return data


@pytest.fixture
def measure(world):
    return plan_and_measure(world)[1]


def test_a_reporter_logs_an_operation_of_their_measure(world, client_for, measure):
    c = client_for("reporter")
    r = c.post(_url("operation_new"), _form(world, measure))
    assert r.status_code == 302
    op = Operation.objects.get(title="Riktad insats mot narkotikahandel")
    assert r["Location"] == _url("operation_detail", pk=op.pk)
    assert op.hours == Decimal("12.5") and op.measure == measure and op.participants == 3
    assert list(op.organisations.all()) == [world.orgs["field"]]
    page = c.get(r["Location"])
    assert page.status_code == 200 and b'data-hours="12.5"' in page.content


@pytest.mark.parametrize(
    "change, field",
    [
        ({"ended_at": "2025-03-07T17:00"}, "ended_at"),  # ends before it starts
        ({"hours": "-1"}, "hours"),
        ({"started_at": "igår"}, "started_at"),
        ({"area": "999999"}, "area"),
        ({"kind": "party"}, "kind"),
    ],
)
def test_bad_operations_are_refused_on_their_field(world, client_for, measure, change, field):
    r = client_for("coordinator").post(_url("operation_new"), _form(world, measure, **change))
    assert r.status_code == 400
    assert field in r.context["form"].errors
    assert not Operation.objects.exists()


def test_the_service_refuses_an_end_before_the_start(world, measure):
    start = timezone.make_aware(dt.datetime(2025, 3, 7, 18))
    with pytest.raises(ValidationError) as exc:
        services.operation_create(
            actor=world.users["coordinator"],
            municipality=world.sundsvall,
            kind="targeted",
            title="x",
            started_at=start,
            ended_at=start - dt.timedelta(hours=1),
            hours=Decimal(1),
        )
    assert "ended_at" in exc.value.message_dict


def test_a_reporter_cannot_log_for_others(world, client_for):
    """The analyst (police) may report, but not an operation of the field workers' measure
    with only the field workers taking part: refused on the organisations, nothing saved."""
    _plan, measure = plan_and_measure(world)
    r = client_for("analyst").post(_url("operation_new"), _form(world, measure))
    assert r.status_code == 400 and "organisations" in r.context["form"].errors
    assert not Operation.objects.exists()
    with pytest.raises(PermissionDenied):
        services.operation_create(
            actor=world.users["viewer"],
            municipality=world.sundsvall,
            kind="other",
            title="x",
            started_at=timezone.now(),
            ended_at=timezone.now(),
            hours=Decimal(1),
        )


def test_edit_an_operation(world, client_for, measure):
    op = f.operation(world.sundsvall, measure=measure, organisations=[world.orgs["field"]])
    c = client_for("reporter")
    assert c.get(_url("operation_edit", pk=op.pk)).status_code == 200
    r = c.post(_url("operation_edit", pk=op.pk), _form(world, measure, hours="3.0"))
    assert r.status_code == 302
    op.refresh_from_db()
    assert op.hours == Decimal("3.0") and op.kind == "targeted"


def test_a_safety_walks_observation_becomes_an_incident(world, client_for, measure):
    walk = f.operation(
        world.sundsvall,
        kind="safety_walk",
        measure=measure,
        area=world.areas["centrum"],
        organisations=[world.orgs["field"]],
    )
    c = client_for("reporter")
    r = c.post(
        _url("observation_new", pk=walk.pk),
        {"text": "Trasig belysning i gångtunneln", "latitude": "62.391", "longitude": "17.306"},
    )
    assert r.status_code == 302
    obs = WalkObservation.objects.get(operation=walk)
    obs_no_place = services.observation_create(
        actor=world.users["reporter"], operation=walk, text="Skymd stig"
    )
    cat = category("skadegorelse")
    for o in (obs, obs_no_place):
        r = c.post(_url("observation_to_incident", pk=o.pk), {f"obs{o.pk}-category": cat.pk})
        assert r.status_code == 302
        o.refresh_from_db()
        assert o.incident is not None
    first = Incident.objects.get(pk=obs.incident_id)
    assert (first.lat, first.lon) == (62.391, 17.306)
    assert first.category == cat and first.description == "Trasig belysning i gångtunneln"
    assert first.area == world.areas["centrum"]
    second = Incident.objects.get(pk=obs_no_place.incident_id)
    centrum = world.areas["centrum"]
    assert (second.lat, second.lon) == (centrum.centre_lat, centrum.centre_lon)
    page = c.get(_url("operation_detail", pk=walk.pk))
    assert f'data-incident="{first.pk}"'.encode() in page.content
    # passed on once only
    with pytest.raises(ValidationError):
        services.observation_to_incident(
            actor=world.users["reporter"], observation=obs, category=cat
        )


def test_a_bad_observation_position_is_refused(world, client_for, measure):
    walk = f.operation(
        world.sundsvall, kind="safety_walk", measure=measure, organisations=[world.orgs["field"]]
    )
    r = client_for("reporter").post(
        _url("observation_new", pk=walk.pk), {"text": "Något", "latitude": "62.39"}
    )
    assert r.status_code == 400
    assert not WalkObservation.objects.exists()
    other = f.operation(world.sundsvall, organisations=[world.orgs["field"]])
    with pytest.raises(ValidationError):
        services.observation_create(actor=world.users["reporter"], operation=other, text="x")


def test_effort_beside_incidents_equals_direct_counts_and_csv(world, client_for, measure):
    make_incidents(world, n=120, start=(2025, 1, 1), end=(2025, 7, 1))
    centrum, nacksta = world.areas["centrum"], world.areas["nacksta"]
    tz = timezone.get_current_timezone()
    for month, hours, area in ((2, "4.0", centrum), (2, "2.5", centrum), (5, "6.0", nacksta)):
        f.operation(
            world.sundsvall,
            started_at=dt.datetime(2025, month, 10, 18, tzinfo=tz),
            hours=Decimal(hours),
            area=area,
            measure=measure,
            organisations=[world.orgs["field"]],
        )
    c = client_for("coordinator")
    r = c.get(_url("operations"), {"period": "2025-01-01..2025-06-30"})
    assert r.status_code == 200
    table = r.context["table"]
    rows = {row.area.pk: row for row in table.rows}
    assert set(rows) == {centrum.pk, nacksta.pk}
    assert rows[centrum.pk].hours[1] == Decimal("6.5") and rows[nacksta.pk].hours[4] == 6
    months = [
        (dt.date(2025, m, 1), dt.date(2025, m + 1, 1) - dt.timedelta(days=1)) for m in range(1, 7)
    ]
    for area in (centrum, nacksta):
        assert rows[area.pk].incidents == [
            direct_events(world, a, b, areas=[area]) for a, b in months
        ]
    assert sum(rows[centrum.pk].incidents) > 0
    # the CSV has the same numbers
    r = c.get(_url("operation_export_csv"), {"period": "2025-01-01..2025-06-30"})
    assert r.status_code == 200 and r["Content-Type"].startswith("text/csv")
    lines = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig")), delimiter=";"))
    assert len(lines) == 12
    got = {(x["area"], x["month"]): (Decimal(x["hours"]), int(x["incidents"])) for x in lines}
    assert got[("Centrum", "2025-02")] == (Decimal("6.5"), rows[centrum.pk].incidents[1])
    # the filters narrow the list
    r = c.get(_url("operations"), {"omrade": nacksta.pk, "typ": "field_presence"})
    assert [op.area for op in r.context["page"].object_list] == [nacksta]
    r = c.get(_url("operations"), {"period": "2025-13"})
    assert r.status_code == 200 and "period" in r.context["form"].errors


def test_a_viewer_outside_the_plan_sees_no_operation(world, client_for, measure):
    f.operation(world.sundsvall, measure=measure, organisations=[world.orgs["field"]])
    r = client_for("viewer").get(_url("operations"))
    assert r.status_code == 200 and list(r.context["page"].object_list) == []
    assert len(client_for("reporter").get(_url("operations")).context["page"].object_list) == 1


def test_api_lists_and_logs_operations(world, client_for, measure):
    c = client_for("reporter")
    payload = {
        "kind": "school_contact",
        "title": "Skolkontakt",
        "started_at": "2025-03-07T10:00:00+01:00",
        "ended_at": "2025-03-07T11:00:00+01:00",
        "hours": "1.5",
        "measure": measure.pk,
        "organisations": [world.orgs["field"].pk],
    }
    r = c.post(f"/api/v1/plans/{CODE}/operations/", payload, content_type="application/json")
    assert r.status_code == 201, r.content
    op_id = r.json()["id"]
    bad = {**payload, "ended_at": "2025-03-07T09:00:00+01:00"}
    r = c.post(f"/api/v1/plans/{CODE}/operations/", bad, content_type="application/json")
    assert r.status_code == 400 and "ended_at" in r.json()
    listed = c.get(f"/api/v1/plans/{CODE}/operations/").json()
    assert [o["id"] for o in listed] == [op_id] and listed[0]["hours"] == "1.5"
    detail = c.get(f"/api/v1/plans/{CODE}/operations/{op_id}/").json()
    assert detail["observations"] == [] and detail["measure"] == measure.pk
    assert client_for("viewer").get(f"/api/v1/plans/{CODE}/operations/{op_id}/").status_code == 404
