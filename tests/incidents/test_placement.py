"""An incident with a point lies in one area of each layer (the smallest where areas of a
layer overlap); the placements follow the areas when a layer changes (a task with a progress
bar on the areas page, `brygga place-incidents` on the command line), and an area's counts and
the list's area filter read them, whatever the area's layer."""

from __future__ import annotations

import re
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from brygga.audit.context import acting_as
from brygga.core.access import SystemActor
from brygga.core.models import LayerKind
from brygga.core.services import areas as area_services
from brygga.incidents import services
from brygga.incidents.imports import jobs
from brygga.incidents.location import resolve
from brygga.incidents.models import ImportJob, Incident, IncidentPlacement, Source
from brygga.incidents.placements import queue_layer_placement

from .factories import IncidentFactory, PoliceEventFactory, category

pytestmark = pytest.mark.usefixtures("default_categories")
BASE = "/kommuner/2281"
SYSTEM = SystemActor("test placement")

# Centrum (the world's own area) spans lon 17.29–17.32, lat 62.385–62.397. The DeSO layer
# splits it into a west and an east square; "Torget" is a small own area inside Centrum.
WEST = [[17.29, 62.385], [17.305, 62.385], [17.305, 62.397], [17.29, 62.397], [17.29, 62.385]]
EAST = [[17.305, 62.385], [17.32, 62.385], [17.32, 62.397], [17.305, 62.397], [17.305, 62.385]]
TORGET = [[17.31, 62.39], [17.315, 62.39], [17.315, 62.393], [17.31, 62.393], [17.31, 62.39]]
WEST_AND_EAST = [
    [17.29, 62.385],
    [17.32, 62.385],
    [17.32, 62.397],
    [17.29, 62.397],
    [17.29, 62.385],
]
NACKSTA_WEST = [[17.24, 62.392], [17.25, 62.392], [17.25, 62.4], [17.24, 62.4], [17.24, 62.392]]
CORNER = [[17.29, 62.385], [17.3, 62.385], [17.3, 62.386], [17.29, 62.386], [17.29, 62.385]]
IN_WEST = (62.39, 17.295)  # (lat, lon): Centrum, DeSO west
IN_TORGET = (62.391, 17.312)  # Centrum and Torget (own layer), DeSO east


def polygon(ring) -> dict:
    return {"type": "Polygon", "coordinates": [ring]}


@pytest.fixture
def layers(world, django_capture_on_commit_callbacks):
    """The world's own layer (Centrum, Nacksta, and Torget inside Centrum) and a DeSO layer
    of two squares over Centrum, saved through the services (each change queues a run)."""
    admin = world.users["municipal_admin"]
    s = world.sundsvall
    own = world.areas["centrum"].layer
    with acting_as(admin), django_capture_on_commit_callbacks(execute=True):
        deso = area_services.statistical_layer(actor=admin, municipality=s, kind=LayerKind.DESO)
        made = {
            "torget": area_services.area_save(
                actor=admin, municipality=s, layer=own, name="Torget", geometry=polygon(TORGET)
            ),
            "west": area_services.area_save(
                actor=admin,
                municipality=s,
                layer=deso,
                name="Centrum väst",
                official_code="2281C1010",
                geometry=polygon(WEST),
            ),
            "east": area_services.area_save(
                actor=admin,
                municipality=s,
                layer=deso,
                name="Centrum öst",
                official_code="2281C1020",
                geometry=polygon(EAST),
            ),
        }
    return {"own": own, "deso": deso, **made}


def placed(incident) -> dict[str, str]:
    """Layer name → area name of an incident's placements."""
    return {
        p.layer.name: p.area.name
        for p in IncidentPlacement.objects.filter(incident=incident).select_related("layer", "area")
    }


def report(world, lat_lon, **kw) -> Incident:
    """An incident reported through the form's service at a point."""
    with acting_as(world.users["reporter"]):
        return services.incident_create(
            actor=world.users["reporter"],
            municipality=world.sundsvall,
            category=category("klotter"),
            occurred_from=timezone.now() - timedelta(hours=1),
            location=resolve(world.sundsvall, lat=lat_lon[0], lon=lat_lon[1]),
            **kw,
        )


def listed(client, query: str) -> set[int]:
    html = client.get(f"{BASE}/handelser/?{query}").content.decode()
    return {int(pk) for pk in re.findall(r"/handelser/(\d+)/", html)}


def counted(client, area) -> int:
    """The number of reports this year on the area's page."""
    html = client.get(f"{BASE}/omraden/{area.pk}/").content.decode()
    match = re.search(r"place-counts.*?<a [^>]*>(\d+) ", html, re.S)
    return int(match.group(1))


def edit(world, area, ring, django_capture_on_commit_callbacks):
    admin = world.users["municipal_admin"]
    with acting_as(admin), django_capture_on_commit_callbacks(execute=True):
        return area_services.area_save(
            actor=admin,
            municipality=world.sundsvall,
            layer=area.layer,
            instance=area,
            name=area.name,
            official_code=area.official_code,
            geometry=polygon(ring),
        )


# --- one area per layer ----------------------------------------------------------------------
def test_a_reported_incident_lies_in_one_area_of_each_layer(world, layers):
    west = report(world, IN_WEST)
    torget = report(world, IN_TORGET)
    assert placed(west) == {"Egna områden": "Centrum", "DeSO": "Centrum väst"}
    # Torget lies inside Centrum: the smaller area of the own layer wins
    assert placed(torget) == {"Egna områden": "Torget", "DeSO": "Centrum öst"}


def test_imported_incidents_are_placed_in_every_layer_in_bulk(world, layers):
    klotter = category("klotter").pk
    when = timezone.now() - timedelta(hours=1)
    with acting_as(SYSTEM):
        services.incidents_create_bulk(
            actor=SYSTEM,
            municipality=world.sundsvall,
            columns=("category_id", "occurred_from", "lat", "lon", "source_id"),
            rows=[
                (klotter, when, *IN_WEST, "a"),
                (klotter, when, *IN_TORGET, "b"),
                (klotter, when, None, None, "c"),  # no point: no area
            ],
            constants={"municipality_id": world.sundsvall.pk, "source": Source.IMPORT},
        )
    by_id = {i.source_id: i for i in Incident.objects.all()}
    assert placed(by_id["a"]) == {"Egna områden": "Centrum", "DeSO": "Centrum väst"}
    assert placed(by_id["b"]) == {"Egna områden": "Torget", "DeSO": "Centrum öst"}
    assert placed(by_id["c"]) == {}


def test_an_area_page_and_the_list_count_the_incidents_placed_in_it(world, layers, client_for):
    west, torget = report(world, IN_WEST), report(world, IN_TORGET)
    c = client_for("viewer")
    # a DeSO area counts what lies in it, though an incident has one ``area`` of its own
    assert counted(c, layers["west"]) == 1
    assert counted(c, layers["east"]) == 1
    # one area per layer: Torget's incident lies in Torget, not also in Centrum around it
    assert counted(c, world.areas["centrum"]) == 1
    assert counted(c, layers["torget"]) == 1
    assert listed(c, f"area={layers['east'].pk}") == {torget.pk}
    assert listed(c, f"area={world.areas['centrum'].pk}") == {west.pk}
    # the need-to-know rule still applies: Timrå's coordinator sees none of it
    assert listed(client_for("outsider"), f"area={layers['east'].pk}") == set()


# --- a layer changes -------------------------------------------------------------------------
def test_a_moved_boundary_moves_the_placements(world, layers, django_capture_on_commit_callbacks):
    incident = report(world, IN_TORGET)
    # the east square moves away to Nacksta: the incident is in no DeSO area any more
    edit(world, layers["east"], NACKSTA_WEST, django_capture_on_commit_callbacks)
    assert placed(incident) == {"Egna områden": "Torget"}
    # the west square grows over the whole of Centrum: the incident lies in it
    edit(world, layers["west"], WEST_AND_EAST, django_capture_on_commit_callbacks)
    assert placed(incident) == {"Egna områden": "Torget", "DeSO": "Centrum väst"}
    run = ImportJob.objects.filter(kind=ImportJob.Kind.PLACEMENT).order_by("-pk").first()
    assert (run.state, run.progress, run.file_name) == ("done", 100, "DeSO")


def test_a_point_outside_every_area_of_a_layer_leaves_that_layer(
    world, layers, django_capture_on_commit_callbacks
):
    incident = report(world, IN_WEST)
    edit(world, layers["west"], CORNER, django_capture_on_commit_callbacks)
    assert placed(incident) == {"Egna områden": "Centrum"}


def test_a_deleted_area_takes_its_placements_and_keeps_the_incidents(
    world, layers, client_for, django_capture_on_commit_callbacks
):
    incident = report(world, IN_TORGET)
    admin = world.users["municipal_admin"]
    with acting_as(admin), django_capture_on_commit_callbacks(execute=True):
        area_services.area_delete(actor=admin, area=layers["torget"])
    # back in Centrum, the area that now contains it in the own layer
    assert placed(incident) == {"Egna områden": "Centrum", "DeSO": "Centrum öst"}
    with acting_as(admin), django_capture_on_commit_callbacks(execute=True):
        area_services.area_delete(actor=admin, area=layers["east"])
    assert placed(incident) == {"Egna områden": "Centrum"}
    assert listed(client_for("viewer"), "") == {incident.pk}


def test_a_code_only_area_places_nothing_by_point_but_keeps_its_incidents(
    world, layers, django_capture_on_commit_callbacks
):
    admin = world.users["municipal_admin"]
    with acting_as(admin):
        code_only = area_services.area_for_code(
            actor=admin, municipality=world.sundsvall, code="2281C1030"
        )
    by_code = IncidentFactory(municipality=world.sundsvall, area=code_only)
    with_point = report(world, (62.40, 17.36))  # in no area at all
    assert placed(by_code) == {"DeSO": "2281C1030"}
    assert placed(with_point) == {}
    # an import with points beside the code-only area: placed by the areas with a boundary
    with acting_as(SYSTEM):
        services.incidents_create_bulk(
            actor=SYSTEM,
            municipality=world.sundsvall,
            columns=("category_id", "occurred_from", "lat", "lon", "source_id"),
            rows=[(category("klotter").pk, timezone.now(), *IN_WEST, "w")],
            constants={"municipality_id": world.sundsvall.pk, "source": Source.IMPORT},
        )
    imported = Incident.objects.get(source_id="w")
    assert placed(imported) == {"Egna områden": "Centrum", "DeSO": "Centrum väst"}
    # the layer computed again keeps the incident known by its code
    with acting_as(admin), django_capture_on_commit_callbacks(execute=True):
        queue_layer_placement(layers["deso"])
    assert placed(by_code) == {"DeSO": "2281C1030"}
    assert placed(with_point) == {}


def test_a_county_level_event_copy_is_placed_like_any_incident(world, layers):
    event = PoliceEventFactory(
        county_level=True,
        municipality=world.sundsvall,
        lat=IN_WEST[0],
        lon=IN_WEST[1],
        placed=False,
    )
    assert event.county_event and placed(event) == {}
    call_command("place-incidents", "--municipality", "2281", stdout=StringIO())
    assert placed(event) == {"Egna områden": "Centrum", "DeSO": "Centrum väst"}
    timra_copy = Incident.objects.get(source_id=event.source_id, municipality=world.timra)
    assert placed(timra_copy) == {}  # Timrå has no area there


# --- the command -----------------------------------------------------------------------------
def test_the_command_places_every_incident_again(world, layers):
    incident = IncidentFactory(lat=IN_TORGET[0], lon=IN_TORGET[1], placed=False)
    out = StringIO()
    call_command("place-incidents", "--municipality", "2281", "--layer", "DeSO", stdout=out)
    assert placed(incident) == {"DeSO": "Centrum öst"}
    assert "DeSO: 1 händelser ligger i ett område i lagret." in out.getvalue()
    call_command("place-incidents", "--all", stdout=StringIO())
    assert placed(incident) == {"Egna områden": "Torget", "DeSO": "Centrum öst"}
    with pytest.raises(CommandError, match="inget områdeslager ”Skolor”"):
        call_command("place-incidents", "--municipality", "2281", "--layer", "Skolor")


# --- the progress bar ------------------------------------------------------------------------
def test_the_areas_page_shows_a_running_placement_with_its_progress(world, layers, client_for):
    with acting_as(SYSTEM):
        job = jobs.create(
            kind=ImportJob.Kind.PLACEMENT,
            municipality=world.sundsvall,
            file_name="DeSO",
            options={"layer": layers["deso"].pk},
        )
        jobs.start(job)
        jobs.progress(job, processed_rows=400, total_rows=1000, progress=40)
    html = client_for("coordinator").get(f"{BASE}/omraden/").content.decode()
    row = re.search(
        rf'<li data-layer="{layers["deso"].pk}" data-state="running">.*?</li>', html, re.S
    )
    assert row, html
    assert 'value="40"' in row.group(0) and "400" in row.group(0)
    assert 'hx-trigger="every 2s"' in html  # the page follows the run
    # who may not see the municipality's imports does not see the runs
    viewer = client_for("viewer").get(f"{BASE}/omraden/").content.decode()
    assert 'id="placement-runs"' not in viewer


def test_a_finished_placement_says_so_and_stops_polling(world, layers, client_for):
    html = client_for("coordinator").get(f"{BASE}/omraden/").content.decode()
    assert 'data-state="done"' in html
    assert "hx-trigger" not in html.split('id="placement-runs"')[1].split("</section>")[0]
    assert (
        not ImportJob.objects.filter(kind=ImportJob.Kind.PLACEMENT).exclude(state="done").exists()
    )


def test_a_stopped_placement_is_failed_when_the_worker_starts_and_the_page_says_what_to_do(
    world, layers, client_for
):
    with acting_as(SYSTEM):
        job = jobs.create(
            kind=ImportJob.Kind.PLACEMENT,
            municipality=world.sundsvall,
            file_name="DeSO",
            options={"layer": layers["deso"].pk},
        )
        jobs.start(job)
    recovered = jobs.recover_stale_jobs(timezone.now() + timedelta(hours=2))
    assert [j.pk for j in recovered] == [job.pk]
    html = client_for("coordinator").get(f"{BASE}/omraden/").content.decode()
    assert "brygga place-incidents" in html
    assert 'data-state="failed"' in html
