"""The lägesbild's map layers against direct counts from ``Incident`` and the analysis library
called directly: the areas' events (via ``IncidentPlacement``), the Gi* hot-spot classes of a
direct grid count of the points, the density surface, the police events and valid GeoJSON."""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pytest
from django.db.models import Sum
from django.http import QueryDict
from shapely.geometry import shape

from brygga.analysis.grid import GridSpec, grid_counts, polygon_cell_mask
from brygga.analysis.hotspots import gi_star_grid
from brygga.analysis.kde import kde_grid
from brygga.core.geo import boundary_sweref, wgs84_to_sweref
from brygga.incidents.models import Incident, IncidentPlacement
from brygga.incidents.rollup_models import counted_through
from brygga.incidents.services.rollups import rebuild_counts
from brygga.situation import maps
from brygga.situation.scope import scope_from_query

from ..incidents.factories import PoliceEventFactory, category, make_incident

BASE = "/kommuner/2281/lagesbild/karta/"
TZ = dt.timezone(dt.timedelta(hours=1))
HOT = (62.391, 17.305)  # inside the test area Centrum


def _when(rng) -> dt.datetime:
    return dt.datetime(2025, 1, 1, 12, tzinfo=TZ) + dt.timedelta(days=int(rng.integers(0, 360)))


@pytest.fixture
def incidents(world):
    """A tight cluster in Centrum, points scattered over the town, incidents without a place,
    a rejected one, one of 2024 and police events (2025, with and without a point)."""
    rng = np.random.default_rng(4)
    out = []
    for _ in range(40):
        out.append(
            make_incident(
                world,
                lat=HOT[0] + rng.normal(0, 0.0004),
                lon=HOT[1] + rng.normal(0, 0.0008),
                occurred_from=_when(rng),
                count=int(rng.integers(1, 3)),
                category=category("stold-inbrott-inbrott"),
            )
        )
    for _ in range(60):
        out.append(
            make_incident(
                world,
                lat=62.36 + rng.uniform(0, 0.07),
                lon=17.22 + rng.uniform(0, 0.15),
                occurred_from=_when(rng),
            )
        )
    for _ in range(5):
        out.append(make_incident(world, occurred_from=_when(rng), area=world.areas["nacksta"]))
    make_incident(world, lat=HOT[0], lon=HOT[1], occurred_from=_when(rng), status="rejected")
    make_incident(world, lat=HOT[0], lon=HOT[1], occurred_from=dt.datetime(2024, 6, 1, tzinfo=TZ))
    for i in range(6):
        PoliceEventFactory(
            municipality=world.sundsvall,
            lat=62.39 + i * 0.001,
            lon=17.3,
            source_type="Inbrott",
            occurred_from=dt.datetime(2025, 3, 1 + i, 8, tzinfo=TZ),
        )
    PoliceEventFactory(
        municipality=world.sundsvall, occurred_from=dt.datetime(2025, 3, 9, tzinfo=TZ)
    )
    rebuild_counts(municipality_id=world.sundsvall.pk)
    return out


def _scope(world, query="period=2025", actor="coordinator"):
    return scope_from_query(world.users[actor], world.sundsvall, QueryDict(query))


def _direct(world, **extra):
    """The counted incidents of Sundsvall in 2025 (local time), directly from ``Incident``."""
    return Incident.objects.filter(counted_through()).filter(
        municipality=world.sundsvall,
        occurred_from__gte=dt.datetime(2025, 1, 1, tzinfo=TZ),
        occurred_from__lt=dt.datetime(2026, 1, 1, tzinfo=TZ),
        **extra,
    )


def test_choropleth_counts_equal_direct_counts(world, incidents):
    scope = _scope(world)
    data = maps.area_collection(world.users["coordinator"], scope)
    by_area = {f["properties"]["id"]: f["properties"] for f in data["features"]}
    assert by_area, "the layer's areas are on the map"
    for area_id, props in by_area.items():
        placed = IncidentPlacement.objects.filter(layer=scope.layer, area_id=area_id).values(
            "incident_id"
        )
        direct = _direct(world, pk__in=placed).aggregate(n=Sum("count"))["n"] or 0
        assert props["events"] == direct
        assert props["rate"] is None  # no population known for the test areas
    assert sum(p["events"] for p in by_area.values()) > 0
    # every area is in a class, and the last break is the largest count
    assert data["breaks"]["events"][-1] == max(p["events"] for p in by_area.values())
    assert all(p["class_events"] for p in by_area.values())


def test_class_breaks_are_ascending_and_cover_every_value():
    values = [0, 1, 3, 7, 12, 40, 41, 90, 400]
    breaks = maps.class_breaks(values)
    assert breaks == sorted(set(breaks)) and breaks[-1] == 400 and len(breaks) <= 5
    classes = [maps.class_of(v, breaks) for v in values]
    assert classes == sorted(classes) and classes[0] == 1 and classes[-1] == len(breaks)
    assert maps.class_breaks([None, None]) == []


def _direct_grid(world, qs, cell=250):
    rows = list(qs.filter(sweref_e__isnull=False).values_list("sweref_e", "sweref_n", "count"))
    x, y, w = (np.array(c, dtype=float) for c in zip(*rows, strict=True))
    area = boundary_sweref(world.sundsvall)
    grid = GridSpec.from_polygon(area, cell)
    counts = grid_counts(x, y, grid, weights=w).counts
    return grid, counts, polygon_cell_mask(grid, area), w.sum()


def _cells_of(grid, features) -> dict:
    out = {}
    for f in features:
        c = shape(f["geometry"]).centroid
        e, n = wgs84_to_sweref(c.x, c.y)
        row, col, inside = grid.cell_index([e], [n])
        assert inside[0]
        out[(int(row[0]), int(col[0]))] = f["properties"]["class"]
    return out


@pytest.mark.parametrize("cell", [250, 500])
def test_hotspot_classes_equal_the_library_on_a_direct_grid_count(world, incidents, cell):
    data = maps.hotspots(world.users["coordinator"], _scope(world), cell)
    grid, counts, mask, events = _direct_grid(world, _direct(world), cell)
    expected = gi_star_grid(counts, mask=mask, permutations=0, fdr=True).hotspot_class
    want = {
        (int(r), int(c)): int(expected[r, c]) for r, c in zip(*np.nonzero(expected), strict=True)
    }
    assert _cells_of(grid, data["features"]) == want
    assert any(k == 3 for k in want.values()), "the cluster in Centrum is a 99 % hot spot"
    assert data["events"] == events
    summary = {s["class"]: s["cells"] for s in data["summary"]}
    assert summary[3] == int((expected == 3).sum()) and sum(summary.values()) == len(want)


def test_hotspots_of_an_area_scope_count_only_its_incidents(world, incidents):
    scope = _scope(world, f"period=2025&omrade={world.areas['centrum'].pk}")
    data = maps.hotspots(world.users["coordinator"], scope)
    placed = IncidentPlacement.objects.filter(area=world.areas["centrum"]).values("incident_id")
    direct = _direct(world, pk__in=placed, sweref_e__isnull=False).aggregate(n=Sum("count"))["n"]
    assert data["events"] == direct
    assert data["cells"] < 100  # the cells of Centrum only, not of the municipality


def test_density_sums_to_the_events_and_equals_the_library(world, incidents):
    data = maps.density(world.users["coordinator"], _scope(world))
    grid, counts, mask, events = _direct_grid(world, _direct(world))
    assert data["events"] == events
    assert data["mass"] == pytest.approx(events, rel=1e-6)
    rows, cols = np.nonzero(counts)
    xc, yc = grid.cell_centers()
    kde = kde_grid(xc[cols], yc[rows], grid, weights=counts[rows, cols])
    top = kde.density[mask].max()
    got = {}
    for f in data["features"]:
        c = shape(f["geometry"]).centroid
        e, n = wgs84_to_sweref(c.x, c.y)
        r, cc, _ = grid.cell_index([e], [n])
        got[(int(r[0]), int(cc[0]))] = f["properties"]["density"]
    assert got and max(got.values()) == pytest.approx(top, abs=1e-3)
    for (r, c), d in got.items():
        assert d == pytest.approx(kde.density[r, c], abs=1e-3)
        assert d >= 0.05 * top - 1e-3


def test_police_points_are_police_events_only_newest_first_and_limited(world, incidents):
    user = world.users["coordinator"]
    data = maps.police_points(user, _scope(world))
    direct = _direct(world, source="police", lat__isnull=False)
    assert data["total"] == direct.count() == 6 and len(data["features"]) == 6
    assert all(f["properties"]["type"] == "Inbrott" for f in data["features"])
    limited = maps.police_points(user, _scope(world), limit=2)
    assert len(limited["features"]) == 2 and limited["truncated"]
    newest = [
        d.isoformat()
        for d in direct.order_by("-occurred_from").values_list("occurred_from", flat=True)[:2]
    ]
    assert [f["properties"]["time"] for f in limited["features"]] == newest
    assert maps.police_points(user, _scope(world, "period=2025&kalla=partner"))["features"] == []


def _valid_collection(data):
    assert data["type"] == "FeatureCollection"
    for f in data["features"]:
        assert f["type"] == "Feature"
        geom = shape(f["geometry"])
        assert geom.is_valid and not geom.is_empty
        x0, y0, x1, y1 = geom.bounds
        assert 10 < x0 <= x1 < 25 and 55 < y0 <= y1 < 70  # WGS84 in Sweden


@pytest.mark.parametrize("name", ["omraden", "hotspots", "tathet", "polisen"])
def test_layers_are_valid_geojson(client_for, world, incidents, name):
    r = client_for("viewer").get(f"{BASE}{name}.geojson?period=2025")
    assert r.status_code == 200 and r["Content-Type"] == "application/geo+json"
    data = r.json()
    _valid_collection(data)
    assert data["features"]


def test_api_layers(client_for, world, incidents):
    c = client_for("analyst")
    hot = c.get("/api/v1/situation/2281/hotspots/?period=2025&cell=500").json()
    _valid_collection(hot)
    assert hot["cell"] == 500 and hot["features"]
    areas = c.get("/api/v1/situation/2281/areas/?period=2025").json()
    _valid_collection(areas)
    bad = c.get("/api/v1/situation/2281/areas/?period=2025-13")
    assert bad.status_code == 400 and bad.json()["param"] == "period"


@pytest.mark.parametrize(
    "query,param", [("period=snart", "period"), ("cell=50", "cell"), ("dagar=0", "dagar")]
)
def test_bad_parameters_show_the_message(client_for, world, query, param):
    c = client_for("coordinator")
    r = c.get(f"{BASE}?{query}")
    assert r.status_code == 400
    assert re.search(rf"[“”]{param}[”]", r.content.decode())  # the message names it
    if param != "dagar":
        r = c.get(f"{BASE}hotspots.geojson?{query}")
        assert r.status_code == 400 and r.json()["param"] == param


def test_map_page_shows_tables(client_for, world, incidents):
    r = client_for("viewer").get(f"{BASE}?period=2025")
    assert r.status_code == 200
    html = r.content.decode()
    assert 'id="map-areas"' in html and 'id="map-hotspots"' in html
    assert "situation-map-data" in html and "Centrum" in html
