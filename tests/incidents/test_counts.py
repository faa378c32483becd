"""The lägesbild's rollups (``IncidentCount`` per hour, ``IncidentDayCount`` per day) never
disagree with a direct count of the incidents: after every kind of write, the stored counts per
local day (and hour), category and stream — the municipality's totals and each layer's areas —
equal what the incidents themselves add up to, counted here in Python from the rows (not
through the rollup's own queries), and ``count_differences`` finds nothing. ``brygga
incident-counts`` checks and rebuilds them."""

from __future__ import annotations

import io
import json
import random
from collections import Counter
from datetime import datetime, timedelta
from io import StringIO
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone, translation

from brygga.audit.context import acting_as
from brygga.core.access import SystemActor
from brygga.core.models import LayerKind, Municipality
from brygga.core.services import areas as area_services
from brygga.incidents import services
from brygga.incidents.imports import tabular
from brygga.incidents.imports.police import import_records
from brygga.incidents.location import resolve
from brygga.incidents.models import (
    Incident,
    IncidentCount,
    IncidentDayCount,
    IncidentPlacement,
    PoliceTypeMapping,
    Source,
    Status,
)
from brygga.incidents.services.imports import police_mapping_update
from brygga.incidents.services.rollups import count_differences

from ..core.factories import AreaLayerFactory
from .factories import P1, P2, category, csv_bytes, field_key, row, tip
from .georeport import post

pytestmark = pytest.mark.usefixtures("default_categories")
STOCKHOLM = ZoneInfo("Europe/Stockholm")
SYSTEM = SystemActor("test counts")
SAMPLE = Path(__file__).parent / "fixtures" / "police_sample.jsonl"
P3 = ("62.45", "17.10")  # inside Sundsvall, outside every test area

# (lat, lon) in the world's areas and in the layers made by the ``layers`` fixture
IN_CENTRE = (62.39, 17.295)  # Centrum, DeSO west
IN_TORGET = (62.391, 17.312)  # Centrum and Torget, DeSO east
IN_NACKSTA = (62.395, 17.25)
OUTSIDE = (62.45, 17.10)
WEST = [[17.29, 62.385], [17.305, 62.385], [17.305, 62.397], [17.29, 62.397], [17.29, 62.385]]
EAST = [[17.305, 62.385], [17.32, 62.385], [17.32, 62.397], [17.305, 62.397], [17.305, 62.385]]
TORGET = [[17.31, 62.39], [17.315, 62.39], [17.315, 62.393], [17.31, 62.393], [17.31, 62.39]]
WHOLE_CENTRE = [
    [17.29, 62.385],
    [17.32, 62.385],
    [17.32, 62.397],
    [17.29, 62.397],
    [17.29, 62.385],
]
NACKSTA_WEST = [[17.24, 62.392], [17.25, 62.392], [17.25, 62.4], [17.24, 62.4], [17.24, 62.392]]


def polygon(ring) -> dict:
    return {"type": "Polygon", "coordinates": [ring]}


def local(*args, fold: int = 0) -> datetime:
    return datetime(*args, tzinfo=STOCKHOLM).replace(fold=fold)


# --- the direct count ------------------------------------------------------------------------
def _stream(source: str) -> str:
    return {"police": "police", "import": "register", "open311": "public"}.get(source, "partner")


def _counted(i: Incident) -> bool:
    """What the lägesbild counts, decided per row in Python."""
    return not (
        i.deleted_at is not None
        or i.status == Status.REJECTED
        or i.is_summary
        or i.county_event
        or (i.source == Source.OPEN311 and i.status == Status.NEW)
    )


def direct(municipality) -> dict[tuple, tuple[int, int]]:
    """(layer, area, local day, hour, category, stream) → (incidents, events), from the
    incidents and their placements; layer and area ``None`` for the municipality's totals."""
    areas: dict[int, list[tuple[int, int]]] = {}
    for incident_id, layer_id, area_id in IncidentPlacement.objects.filter(
        municipality=municipality
    ).values_list("incident_id", "layer_id", "area_id"):
        areas.setdefault(incident_id, []).append((layer_id, area_id))
    out: Counter = Counter()
    n: Counter = Counter()
    for i in Incident.objects.filter(municipality=municipality):
        if not _counted(i):
            continue
        when = i.occurred_from.astimezone(STOCKHOLM)
        key = (when.date(), when.hour, i.category_id, _stream(i.source))
        for where in [(None, None), *areas.get(i.pk, [])]:
            n[(*where, *key)] += 1
            out[(*where, *key)] += i.count
    return {k: (n[k], out[k]) for k in n}


def stored(municipality) -> dict[tuple, tuple[int, int]]:
    out = {}
    for r in IncidentCount.objects.filter(municipality=municipality):
        key = (r.layer_id, r.area_id, r.day, r.hour, r.category_id, r.stream)
        assert key not in out, f"two rows for {key}"
        assert r.incidents > 0 and r.events >= r.incidents
        out[key] = (r.incidents, r.events)
    return out


def per_day(counts: dict) -> dict[tuple, tuple[int, int]]:
    """Counts keyed (layer, area, day, hour, category, stream) summed over the hours."""
    out: dict[tuple, tuple[int, int]] = {}
    for (layer, area, day, _hour, category_id, stream), (n, e) in counts.items():
        k = (layer, area, day, category_id, stream)
        a, b = out.get(k, (0, 0))
        out[k] = (a + n, b + e)
    return out


def stored_days(municipality) -> dict[tuple, tuple[int, int]]:
    out = {}
    for r in IncidentDayCount.objects.filter(municipality=municipality):
        key = (r.layer_id, r.area_id, r.day, r.category_id, r.stream)
        assert key not in out, f"two day rows for {key}"
        assert r.incidents > 0 and r.events >= r.incidents
        out[key] = (r.incidents, r.events)
    return out


def agree(*municipalities) -> dict[tuple, tuple[int, int]]:
    """Assert that both rollups equal the direct count (of Sundsvall and Timrå by default);
    returns Sundsvall's (the first) hourly counts."""
    if not municipalities:
        municipalities = tuple(Municipality.objects.filter(code__in=("2281", "2262")))
        municipalities = sorted(municipalities, key=lambda m: m.code != "2281")
    for m in municipalities:
        assert count_differences(municipality_id=m.pk) == [], m.name
        hourly = stored(m)
        assert hourly == direct(m), m.name
        # the day rollup: the direct count and the hourly rows, each summed per day
        assert stored_days(m) == per_day(direct(m)) == per_day(hourly), m.name
    return stored(municipalities[0])


def totals(counts: dict) -> dict[tuple, tuple[int, int]]:
    """The municipality's total rows (no layer), keyed (day, hour, category, stream)."""
    return {k[2:]: v for k, v in counts.items() if k[0] is None}


def events(counts: dict, layer=None, area=None) -> int:
    return sum(v[1] for k, v in counts.items() if k[0] == layer and k[1] == area)


# --- writers used by the tests ---------------------------------------------------------------
def report(world, lat_lon=IN_CENTRE, *, when=None, code="klotter", count=1, **kw) -> Incident:
    """An incident filed through the report form's service."""
    with acting_as(world.users["coordinator"]):
        return services.incident_create(
            actor=world.users["coordinator"],
            municipality=world.sundsvall,
            category=category(code),
            occurred_from=when or timezone.now() - timedelta(hours=1),
            location=resolve(world.sundsvall, lat=lat_lon[0], lon=lat_lon[1]),
            count=count,
            **kw,
        )


def update(world, incident, **fields) -> Incident:
    with acting_as(world.users["coordinator"]):
        return services.incident_update(
            actor=world.users["coordinator"], incident=incident, **fields
        )


def set_status(world, incident, status) -> Incident:
    with acting_as(world.users["coordinator"]):
        return services.incident_set_status(
            actor=world.users["coordinator"], incident=incident, status=status
        )


BULK = ("category_id", "occurred_from", "lat", "lon", "count", "source_id")


def bulk(world, rows) -> int:
    return services.incidents_create_bulk(
        actor=SYSTEM,
        municipality=world.sundsvall,
        columns=BULK,
        rows=rows,
        constants={"municipality_id": world.sundsvall.pk, "source": Source.IMPORT},
    )


def sample() -> list[dict]:
    with open(SAMPLE, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def police_event(police_id: str, place: str, when: str = "2024-11-20 23:45:00 +01:00", **kw):
    return {
        "id": police_id,
        "datetime": when,
        "name": f"20 november 23:40, Brand, {place}",
        "summary": "Brand i flerfamiljshus.",
        "url": "/aktuellt/handelser/2024/november/20/brand-x/",
        "type": "Brand",
        "location": {"name": place, "gps": "62.39,17.30"},
        **kw,
    }


def csv_import(world, data: bytes, **kw):
    mapping = tabular.Mapping(
        columns={
            "source_id": "Id",
            "occurred_at": "Tidpunkt",
            "category": "Kategori",
            "lat": "Lat",
            "lon": "Lon",
            "description": "Beskrivning",
        }
    )
    user = world.users["coordinator"]  # may update rows imported before
    f = io.BytesIO(data)
    detected = tabular.detect(f, "h.csv", has_header=True)
    job = tabular.import_job_create(
        actor=user, municipality=world.sundsvall, file_name="h.csv", detected=detected
    )
    with translation.override("en"):
        return tabular.run_import(
            source=f,
            file_name="h.csv",
            municipality=world.sundsvall,
            mapping=mapping,
            job=job,
            actor=user,
            detected=detected,
            **kw,
        )


@pytest.fixture
def layers(world, django_capture_on_commit_callbacks):
    """Besides the world's own layer (Centrum, Nacksta): Torget inside Centrum in it, and a
    DeSO layer of two squares over Centrum, saved through the services (each change places
    the incidents again once it commits)."""
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


def edit_area(world, area, ring, capture, *, layer=None):
    admin = world.users["municipal_admin"]
    with acting_as(admin), capture(execute=True):
        return area_services.area_save(
            actor=admin,
            municipality=world.sundsvall,
            layer=layer or area.layer,
            instance=area,
            name=area.name,
            official_code=area.official_code,
            geometry=polygon(ring),
        )


# --- single writes ---------------------------------------------------------------------------
def test_a_report_through_the_form_is_counted_on_its_local_day(world, client_for, layers):
    from .factories import form_data

    c = client_for("reporter")
    r = c.post(
        "/kommuner/2281/handelser/rapportera/",
        form_data(
            occurred_from="2026-03-31T23:30",
            lat=str(IN_TORGET[0]),
            lon=str(IN_TORGET[1]),
            count="3",
            reporting_organisation=world.orgs["field"].pk,
        ),
    )
    assert r.status_code == 302
    counts = agree()
    klotter = category().pk
    # 23:30 on 31 March in Stockholm is 21:30 UTC: still 31 March, hour 23
    key = (datetime(2026, 3, 31).date(), 23, klotter, "partner")
    assert totals(counts) == {key: (1, 3)}
    assert counts[(layers["own"].pk, layers["torget"].pk, *key)] == (1, 3)
    assert counts[(layers["deso"].pk, layers["east"].pk, *key)] == (1, 3)
    assert events(counts, layers["own"].pk, world.areas["centrum"].pk) == 0


@pytest.mark.parametrize(
    ("before", "after", "days"),
    [
        # across local midnight (UTC still on the day before)
        (local(2026, 3, 31, 23, 30), local(2026, 4, 1, 0, 30), ("2026-03-31", "2026-04-01")),
        # the spring change: 01:30 CET and 03:30 CEST are an hour apart on one day
        (local(2026, 3, 29, 1, 30), local(2026, 3, 29, 3, 30), ("2026-03-29", "2026-03-29")),
        # the autumn change: 02:30 twice, first in summer time, then in winter time
        (
            local(2026, 10, 25, 2, 30),
            local(2026, 10, 25, 2, 30, fold=1),
            ("2026-10-25", "2026-10-25"),
        ),
        # to another month
        (local(2026, 1, 10, 12), local(2026, 2, 10, 12), ("2026-01-10", "2026-02-10")),
    ],
)
def test_an_incident_moved_in_time_is_counted_on_its_new_local_day(world, before, after, days):
    incident = report(world, when=before)
    other = report(world, when=before, code="skadegorelse-fonster")  # stays where it was
    counts = agree()
    assert {k[0].isoformat() for k in totals(counts)} == {days[0]}
    update(world, incident, occurred_from=after)
    counts = agree()
    assert {k[0].isoformat() for k in totals(counts)} == set(days)
    by_day = Counter()
    for (day, hour, cat, _s), (n, _e) in totals(counts).items():
        by_day[(day.isoformat(), hour, cat)] += n
    assert by_day[(days[1], after.astimezone(STOCKHOLM).hour, incident.category_id)] == 1
    assert by_day[(days[0], before.astimezone(STOCKHOLM).hour, other.category_id)] == 1


def test_category_area_and_count_changes_move_the_counts(world, layers):
    incident = report(world, IN_TORGET, code="klotter", count=1)
    report(world, IN_NACKSTA, code="klotter")
    agree()
    update(world, incident, category=category("skadegorelse-fonster"))
    counts = agree()
    assert {k[2] for k in totals(counts)} == {category("klotter").pk, incident.category_id}
    # moved from Torget (own layer) and DeSO east to Nacksta, which no DeSO area covers
    update(world, incident, location=resolve(world.sundsvall, lat=IN_NACKSTA[0], lon=IN_NACKSTA[1]))
    counts = agree()
    assert events(counts, layers["own"].pk, layers["torget"].pk) == 0
    assert events(counts, layers["deso"].pk, layers["east"].pk) == 0
    assert events(counts, layers["own"].pk, world.areas["nacksta"].pk) == 2
    update(world, incident, count=5)
    counts = agree()
    assert events(counts) == 6
    assert events(counts, layers["own"].pk, world.areas["nacksta"].pk) == 6


def test_a_rejected_incident_is_not_counted_until_it_is_taken_back(world, layers):
    incident = report(world, IN_TORGET, count=2)
    report(world, IN_TORGET)
    assert events(agree()) == 3
    set_status(world, incident, Status.REJECTED)
    counts = agree()
    assert events(counts) == 1
    assert events(counts, layers["own"].pk, layers["torget"].pk) == 1
    set_status(world, incident, Status.REVIEWED)
    assert events(agree(), layers["own"].pk, layers["torget"].pk) == 3


def test_a_deleted_incident_is_not_counted(world, layers):
    incident = report(world, IN_TORGET, count=2)
    report(world)
    with acting_as(world.users["coordinator"]):
        services.incident_delete(actor=world.users["coordinator"], incident=incident)
    counts = agree()
    assert events(counts) == 1
    assert events(counts, layers["own"].pk, layers["torget"].pk) == 0


def test_a_public_tip_is_counted_once_it_is_reviewed(world, client):
    _key, secret = field_key(world)
    r = post(client, "json", tip(secret), as_json=True)
    assert r.status_code == 201, r.content
    incident = Incident.objects.get(source=Source.OPEN311)
    assert agree() == {}, "a new tip is not counted"
    set_status(world, incident, Status.REVIEWED)
    counts = agree()
    assert {k[3] for k in totals(counts)} == {"public"}
    assert events(counts) == 1
    set_status(world, incident, Status.NEW)
    assert agree() == {}


# --- bulk writes -----------------------------------------------------------------------------
def test_bulk_rows_are_counted_once_at_the_end(world, layers, django_assert_max_num_queries):
    klotter = category("klotter").pk
    when = local(2026, 3, 31, 23, 30)
    rows = [
        (klotter, when + timedelta(hours=h), *IN_TORGET, c, f"b{h}-{c}")
        for h in range(0, 30, 3)
        for c in (1, 4)
    ]
    assert bulk(world, rows) == 20
    counts = agree()
    assert events(counts) == 50
    assert events(counts, layers["deso"].pk, layers["east"].pk) == 50
    assert {k[3] for k in totals(counts)} == {"register"}
    assert min(k[0] for k in totals(counts)).isoformat() == "2026-03-31"


def test_county_level_events_are_never_counted(world):
    county = world.sundsvall.county_id
    klotter = category("klotter").pk
    when = local(2024, 5, 1, 12)
    services.incidents_create_bulk(
        actor=SYSTEM,
        municipality=None,
        columns=("municipality_id", "county_id", "category_id", "occurred_from", "source_id"),
        rows=[
            (None, county, klotter, when, "c1"),
            (world.sundsvall.pk, county, klotter, when, "m"),
        ],
        constants={"source": Source.POLICE},
    )
    assert Incident.objects.filter(county_event=True).count() >= 2  # a copy per municipality
    counts = agree()
    assert events(counts) == 1 and {k[3] for k in totals(counts)} == {"police"}
    assert agree(*Municipality.objects.filter(county_id=county)) is not None


def test_police_import_counts_events_but_not_summaries_or_county_level_events(world):
    result = import_records(sample(), file_name="feed.jsonl")
    assert result.summaries and result.county_level
    counts = agree()
    assert {k[3] for k in totals(counts)} == {"police"}
    expected = Incident.objects.filter(
        municipality=world.sundsvall, is_summary=False, county_event=False
    ).count()
    assert events(counts) == expected > 0
    for m in Municipality.objects.filter(county_id=world.sundsvall.county_id):
        agree(m)
    # a second import of the same file changes nothing
    import_records(sample(), file_name="feed-again.jsonl")
    assert agree() == counts


def test_a_feed_event_takes_the_place_of_the_municipalitys_own_copy(world):
    own = [police_event("900000001", "Sundsvall"), police_event("900000002", "Sundsvall")]
    result = import_records(own, file_name="own.jsonl", municipality=world.sundsvall, feed=False)
    assert result.created == 2
    counts = agree()
    # 23:45 on 20 November (UTC+1) is that day in Stockholm
    assert {k[0].isoformat() for k in totals(counts)} == {"2024-11-20"}
    assert events(counts) == 2
    feed = [police_event("900000001", "Sundsvall", summary="Från flödet")]
    result = import_records(feed, file_name="feed.jsonl")
    assert (result.created, result.superseded) == (1, 1)
    assert events(agree()) == 2, "the feed's event counted instead of the own copy, not twice"


def test_a_police_type_mapped_again_moves_its_events(world):
    """Regression: re-categorising a police type (or marking it a summary) changes what the
    rollup counts; the mapping's service recounts the days of its events."""
    import_records([police_event("900000011", "Sundsvall")], file_name="feed.jsonl")
    mapping = PoliceTypeMapping.objects.get(police_type="Brand")
    admin = world.users["system_admin"]
    with acting_as(admin):
        police_mapping_update(
            actor=admin, mapping=mapping, category=category("klotter"), is_summary=False
        )
    counts = agree()
    assert {k[2] for k in totals(counts)} == {category("klotter").pk}
    with acting_as(admin):
        police_mapping_update(
            actor=admin, mapping=mapping, category=category("klotter"), is_summary=True
        )
    assert agree() == {}


def test_csv_import_and_its_updates_are_counted(world, layers):
    data = csv_bytes(
        [
            row("A1", "2024-03-31 23:30", point=P1),
            row("A2", "2024-03-05 21:30", point=P2),
            row("A3", "2024-03-05 10:00", point=P3),
        ]
    )
    result = csv_import(world, data)
    assert result.created == 3
    counts = agree()
    assert {k[0].isoformat() for k in totals(counts)} == {"2024-03-31", "2024-03-05"}
    assert {k[3] for k in totals(counts)} == {"register"}
    changed = csv_bytes(
        [
            row("A1", "2024-04-01 00:30", point=P3),  # the next day, out of Centrum
            row("A2", "2024-03-05 21:30", cat="Skadegörelse", point=P2),
            row("A3", "2024-03-05 10:00", point=P3),
        ]
    )
    result = csv_import(world, changed, on_conflict="update")
    assert result.updated == 2
    counts = agree()
    assert {k[0].isoformat() for k in totals(counts)} == {"2024-04-01", "2024-03-05"}
    assert events(counts, layers["own"].pk, world.areas["centrum"].pk) == 1


# --- layers ----------------------------------------------------------------------------------
def test_an_edited_boundary_recounts_the_layer(world, layers, django_capture_on_commit_callbacks):
    report(world, IN_TORGET, count=2)
    report(world, IN_CENTRE)
    counts = agree()
    assert events(counts, layers["deso"].pk, layers["east"].pk) == 2
    # the east square moves away to Nacksta: its incident is in no DeSO area any more
    edit_area(world, layers["east"], NACKSTA_WEST, django_capture_on_commit_callbacks)
    counts = agree()
    assert events(counts, layers["deso"].pk, layers["east"].pk) == 0
    assert events(counts, layers["deso"].pk, layers["west"].pk) == 1
    assert events(counts) == 3, "the municipality's total is unchanged"
    edit_area(world, layers["west"], WHOLE_CENTRE, django_capture_on_commit_callbacks)
    assert events(agree(), layers["deso"].pk, layers["west"].pk) == 3


def test_an_area_moved_to_another_layer_and_a_deleted_area(
    world, layers, django_capture_on_commit_callbacks
):
    report(world, IN_TORGET, count=2)
    report(world, IN_NACKSTA)
    agree()
    # Torget moves from the own layer into a new layer of its own
    schools = AreaLayerFactory(municipality=world.sundsvall, name="Skolområden")
    edit_area(world, layers["torget"], TORGET, django_capture_on_commit_callbacks, layer=schools)
    counts = agree()
    assert events(counts, schools.pk, layers["torget"].pk) == 2
    assert events(counts, layers["own"].pk, layers["torget"].pk) == 0
    assert events(counts, layers["own"].pk, world.areas["centrum"].pk) == 2
    admin = world.users["municipal_admin"]
    with acting_as(admin), django_capture_on_commit_callbacks(execute=True):
        area_services.area_delete(actor=admin, area=layers["torget"])
    counts = agree()
    assert not [k for k in counts if k[0] == schools.pk]
    assert events(counts, layers["deso"].pk, layers["east"].pk) == 2
    with acting_as(admin), django_capture_on_commit_callbacks(execute=True):
        area_services.area_delete(actor=admin, area=layers["east"])
    counts = agree()
    assert not [k for k in counts if k[0] == layers["deso"].pk]
    assert events(counts) == 3


def test_the_demo_is_counted(db, capsys):
    call_command("demo", "--no-serve")
    capsys.readouterr()
    county = Municipality.objects.get(code="2281").county_id
    for m in Municipality.objects.filter(county_id=county):
        agree(m)
    assert IncidentCount.objects.filter(municipality__code="2281", layer__isnull=False).exists()


# --- random sequences of writes -------------------------------------------------------------
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_writes_keep_the_counts(world, layers, seed, django_capture_on_commit_callbacks):
    rnd = random.Random(seed)
    places = [IN_CENTRE, IN_TORGET, IN_NACKSTA, OUTSIDE]
    codes = ["klotter", "skadegorelse-fonster"]
    start = local(2026, 3, 28, 22)

    def when():  # around the spring change and a month end, on quarter hours
        return start + timedelta(minutes=15 * rnd.randrange(4 * 24 * 5))

    def some():
        alive = list(Incident.objects.filter(municipality=world.sundsvall, deleted_at=None))
        return rnd.choice(alive) if alive else None

    def do_report():
        report(world, rnd.choice(places), when=when(), code=rnd.choice(codes))

    def do_update():
        i = some()
        if i is None:
            return
        choice = rnd.randrange(4)
        if choice == 0:
            update(world, i, occurred_from=when())
        elif choice == 1:
            update(world, i, category=category(rnd.choice(codes)))
        elif choice == 2:
            lat, lon = rnd.choice(places)
            update(world, i, location=resolve(world.sundsvall, lat=lat, lon=lon))
        else:
            update(world, i, count=rnd.randint(1, 5))

    def do_status():
        i = some()
        if i is not None:
            set_status(world, i, rnd.choice([Status.REJECTED, Status.REVIEWED, Status.NEW]))

    def do_delete():
        i = some()
        if i is not None:
            with acting_as(world.users["coordinator"]):
                services.incident_delete(actor=world.users["coordinator"], incident=i)

    def do_bulk():
        rows = [
            (category(rnd.choice(codes)).pk, when(), *rnd.choice(places), rnd.randint(1, 3), None)
            for _ in range(rnd.randint(1, 8))
        ]
        rows = [(*r[:-1], f"r{seed}-{rnd.random()}") for r in rows]
        bulk(world, rows)

    def do_police():
        pid = str(900_100_000 + rnd.randrange(50))
        t = when().astimezone(STOCKHOLM).strftime("%Y-%m-%d %H:%M:%S %z")
        t = f"{t[:-2]}:{t[-2:]}"
        place = rnd.choice(["Sundsvall", "Västernorrlands län", "Timrå"])
        feed = rnd.random() < 0.6
        import_records(
            [police_event(pid, place, when=t)],
            file_name="p.jsonl",
            municipality=None if feed else world.sundsvall,
            feed=feed,
        )

    def do_layer():
        area = rnd.choice([layers["east"], layers["west"], layers["torget"]])
        ring = rnd.choice([EAST, WEST, TORGET, WHOLE_CENTRE, NACKSTA_WEST])
        edit_area(world, area, ring, django_capture_on_commit_callbacks)

    steps = [do_report] * 4 + [do_update] * 4 + [do_status, do_delete, do_bulk, do_police]
    steps += [do_layer]
    for _step in range(25):
        rnd.choice(steps)()
        agree()


# --- the command -----------------------------------------------------------------------------
def run_command(*args) -> tuple[int, str]:
    out = StringIO()
    with translation.override("en"):
        try:
            call_command("incident-counts", *args, stdout=out, stderr=StringIO())
        except SystemExit as exc:
            return exc.code, out.getvalue()
    return 0, out.getvalue()


def test_the_command_finds_differences_and_rebuilds_them(world, layers):
    report(world, IN_TORGET, count=2)
    report(world, IN_NACKSTA, when=local(2026, 3, 31, 23, 30))
    code, out = run_command("--municipality", "2281", "--check")
    assert code == 0 and "agree" in out
    # a count gone wrong, one gone missing and one that should not be there
    row = IncidentCount.objects.filter(municipality=world.sundsvall, layer=None).first()
    IncidentCount.objects.filter(pk=row.pk).update(events=99)
    IncidentCount.objects.filter(municipality=world.sundsvall, layer=layers["own"]).first().delete()
    IncidentCount.objects.create(
        municipality=world.timra,
        day=local(2026, 1, 1).date(),
        hour=3,
        category=category(),
        stream="partner",
        incidents=1,
        events=1,
    )
    code, out = run_command("--municipality", "2281", "--check")
    assert code == 1
    assert "Sundsvall: 2 counts differ" in out
    assert "stored 1 incidents, 99 events" in out and "stored –" in out
    code, out = run_command("--all", "--check")
    assert code == 1 and "Timrå: 1 counts differ" in out
    code, out = run_command("--municipality", "2281", "--rebuild")
    assert code == 0 and "Sundsvall:" in out and "counts written" in out
    assert run_command("--municipality", "2281", "--check")[0] == 0
    run_command("--all", "--rebuild")
    code, out = run_command("--all", "--check")
    assert code == 0 and "agree" in out
    agree()


def test_the_command_checks_and_rebuilds_the_day_rows(world, layers):
    report(world, IN_TORGET, count=2)
    report(world, IN_TORGET, when=local(2026, 3, 31, 8, 15))
    agree()
    # the hourly rows are right, the day rows are not: one wrong, one missing
    day_rows = IncidentDayCount.objects.filter(municipality=world.sundsvall)
    assert day_rows.filter(layer=None).count() == 2
    wrong = day_rows.filter(layer=None).order_by("day").first()
    IncidentDayCount.objects.filter(pk=wrong.pk).update(events=7)
    day_rows.filter(layer=layers["own"]).first().delete()
    assert stored_days(world.sundsvall) != per_day(stored(world.sundsvall))
    found = count_differences(municipality_id=world.sundsvall.pk)
    assert len(found) == 2 and {d["hour"] for d in found} == {None}
    code, out = run_command("--municipality", "2281", "--check")
    assert code == 1 and "Sundsvall: 2 counts differ" in out
    assert f"{wrong.day} (whole day)" in out and "stored 1 incidents, 7 events" in out
    code, out = run_command("--municipality", "2281", "--rebuild")
    assert code == 0
    assert run_command("--municipality", "2281", "--check")[0] == 0
    agree()


def test_the_day_rows_are_the_hourly_rows_summed_per_day(world, layers):
    """Several hours, categories and areas on the same days: fewer day rows than hourly rows,
    and each the sum of that day's hours."""
    for hour in (1, 9, 13, 23):
        report(world, IN_TORGET, when=local(2026, 2, 10, hour, 0), count=hour % 3 + 1)
        report(world, IN_NACKSTA, when=local(2026, 2, 10, hour, 30))
    report(world, IN_TORGET, when=local(2026, 2, 11, 0, 5), code="skadegorelse")
    hourly = agree()
    days = stored_days(world.sundsvall)
    assert len(days) < len(hourly)
    assert days == per_day(hourly)
    feb10 = local(2026, 2, 10).date()
    total = days[(None, None, feb10, category("klotter").pk, "partner")]
    assert total == (8, 4 + sum(h % 3 + 1 for h in (1, 9, 13, 23)))


def test_the_command_needs_a_known_municipality_and_one_action(world):
    with pytest.raises(CommandError, match="9999"):
        run_command("--municipality", "9999", "--check")
    with pytest.raises(CommandError):
        run_command("--municipality", "2281")
