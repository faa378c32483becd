"""Every new incident gets its derived fields in one place (`services.set_derived_fields`): the
county from the municipality, the other coordinate system and the area from a point. The bulk
writer the imports use writes only where its actor may import."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from brygga.core.access import SystemActor
from brygga.core.geo import wgs84_to_sweref
from brygga.core.models import Municipality
from brygga.incidents import services
from brygga.incidents.location import resolve
from brygga.incidents.models import Incident, Source

from .factories import CENTRE, category

pytestmark = pytest.mark.usefixtures("default_categories")
SYSTEM = SystemActor("test writer")
COLUMNS = ("category_id", "occurred_from", "lat", "lon", "sweref_e", "sweref_n", "source_id")


def rows(*points) -> list[tuple]:
    when = timezone.now() - timedelta(hours=1)
    klotter = category("klotter").pk
    return [(klotter, when, *point, f"id{i}") for i, point in enumerate(points)]


def test_a_reported_incident_gets_the_county_of_its_municipality(world):
    incident = services.incident_create(
        actor=world.users["reporter"],
        municipality=world.sundsvall,
        category=category("klotter"),
        occurred_from=timezone.now() - timedelta(hours=1),
        location=resolve(world.sundsvall, lat=CENTRE[0], lon=CENTRE[1]),
    )
    assert incident.county_id == world.sundsvall.county_id
    assert incident.area == world.areas["centrum"]


def test_bulk_rows_are_completed_like_the_report_form_does(world):
    lat, lon = CENTRE
    e, n = wgs84_to_sweref(lon, lat)
    services.incidents_create_bulk(
        actor=SYSTEM,
        municipality=world.sundsvall,
        columns=COLUMNS,
        rows=rows((lat, lon, None, None), (None, None, e, n)),
        constants={"municipality_id": world.sundsvall.pk, "source": Source.IMPORT},
    )
    wgs, sweref = Incident.objects.order_by("source_id")
    for incident in (wgs, sweref):
        assert incident.county_id == world.sundsvall.county_id
        assert incident.area == world.areas["centrum"]
        assert incident.lat == pytest.approx(lat, abs=1e-6)
        assert incident.sweref_e == pytest.approx(e, abs=0.01)
    assert (wgs.sweref_e, wgs.sweref_n) == (round(e, 2), round(n, 2))


def test_a_county_level_event_keeps_its_county_and_a_given_county_is_overruled(world):
    county = world.sundsvall.county_id
    other = type(world.sundsvall.county).objects.exclude(pk=county).first()
    services.incidents_create_bulk(
        actor=SYSTEM,
        municipality=None,
        columns=("municipality_id", "county_id", *COLUMNS),
        rows=[
            (None, county, *rows((None, None, None, None))[0]),
            (world.sundsvall.pk, other.pk, *rows((None, None, None, None))[0][:-1], "id1"),
        ],
        constants={"source": Source.POLICE},
    )
    # the county-level row: one copy per municipality of its county, each marked as such
    copies = Incident.objects.exclude(source_id="id1")
    members = Municipality.objects.filter(county_id=county)
    assert sorted(copies.values_list("municipality_id", flat=True)) == sorted(
        members.values_list("pk", flat=True)
    )
    assert {(c.county_id, c.county_event) for c in copies} == {(county, True)}
    placed = Incident.objects.get(source_id="id1")
    assert (placed.county_id, placed.county_event) == (county, False)


def test_a_row_without_municipality_or_county_is_refused(world):
    with pytest.raises(ValueError, match="municipality"):
        services.incidents_create_bulk(
            actor=SYSTEM,
            municipality=None,
            columns=COLUMNS,
            rows=rows((None, None, None, None)),
        )
    assert not Incident.objects.exists()


def test_the_bulk_writer_writes_only_where_its_actor_may_import(world):
    args = {"columns": COLUMNS, "rows": rows((None, None, None, None))}
    constants = {"municipality_id": world.sundsvall.pk}
    with pytest.raises(PermissionDenied):
        services.incidents_create_bulk(
            actor=world.users["reporter"],
            municipality=world.sundsvall,
            constants=constants,
            **args,
        )
    with pytest.raises(PermissionDenied):  # every municipality: system administrators only
        services.incidents_create_bulk(
            actor=world.users["coordinator"], municipality=None, constants=constants, **args
        )
    with pytest.raises(PermissionDenied):  # a row of another municipality
        services.incidents_create_bulk(
            actor=world.users["coordinator"],
            municipality=world.sundsvall,
            constants={"municipality_id": world.timra.pk},
            **args,
        )
    assert not Incident.objects.exists()
    services.incidents_create_bulk(
        actor=world.users["analyst"], municipality=world.sundsvall, constants=constants, **args
    )
    assert Incident.objects.get().county_id == world.sundsvall.county_id
