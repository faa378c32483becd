"""The lägesbild's map in a real browser: the page loads its layers, the layer control turns
hot spots, density and police events on and off with the legend following, the tables are
there, and axe-core finds no violations."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from brygga.incidents.services.rollups import rebuild_counts

from ..incidents.factories import PoliceEventFactory, category, make_incident

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]
URL = "/kommuner/2281/lagesbild/karta/?period=2025"
TZ = dt.timezone(dt.timedelta(hours=1))


def _setup(world):
    rng = np.random.default_rng(3)
    start = dt.datetime(2025, 1, 1, 12, tzinfo=TZ)
    for _ in range(40):
        make_incident(
            world,
            lat=62.391 + rng.normal(0, 0.0004),
            lon=17.305 + rng.normal(0, 0.0008),
            occurred_from=start + dt.timedelta(days=int(rng.integers(0, 300))),
            category=category("stold-inbrott-inbrott"),
        )
    for _ in range(30):
        make_incident(
            world,
            lat=62.36 + rng.uniform(0, 0.07),
            lon=17.22 + rng.uniform(0, 0.15),
            occurred_from=start + dt.timedelta(days=int(rng.integers(0, 300))),
        )
    for i in range(5):
        PoliceEventFactory(
            municipality=world.sundsvall,
            lat=62.39 + i * 0.002,
            lon=17.3,
            source_type="Skadegörelse",
            occurred_from=start + dt.timedelta(days=i),
        )
    rebuild_counts(municipality_id=world.sundsvall.pk)


def _ready(s):
    s.page.wait_for_selector("#situation-map[data-layers-ready='1']")


def _legend_titles(s) -> int:
    return s.page.locator("[data-situation-legend] .situation-legend-title").count()


def test_map_layers_legend_and_tables(session_for, world):
    _setup(world)
    s = session_for("coordinator")
    s.goto(URL, check=False)
    _ready(s)
    s.check()
    pane = s.page.locator("#situation-map .leaflet-overlay-pane path")
    # the boundary, the areas shaded by events and the hot-spot cells
    with_hotspots = pane.count()
    assert with_hotspots > 3
    assert _legend_titles(s) == 2
    # hot spots off: fewer shapes, one legend less
    s.page.uncheck("#layer-hotspots")
    _ready(s)
    assert pane.count() < with_hotspots and _legend_titles(s) == 1
    # density on
    s.page.check("#layer-density")
    _ready(s)
    assert pane.count() > with_hotspots - 3 and _legend_titles(s) == 2
    # the police events: five circle markers
    before = pane.count()
    s.page.check("#layer-police")
    _ready(s)
    assert pane.count() == before + 5 and _legend_titles(s) == 3
    # the areas by rate, then no shading
    s.page.check("input[name=map-areas][value=rate]")
    _ready(s)
    assert _legend_titles(s) == 3
    s.page.check("input[name=map-areas][value='']")
    _ready(s)
    assert _legend_titles(s) == 2
    s.check()
    # the tables below the map
    assert s.page.locator("#map-areas tbody tr").count() >= 1
    assert s.page.locator("#map-hotspots tbody tr").count() == 6
    assert s.page.locator("#knox-stold-inbrott").is_visible()


def test_bad_parameter_page(session_for, world):
    s = session_for("viewer")
    s.goto("/kommuner/2281/lagesbild/karta/?cell=5", status=400)
    assert s.page.locator("[role=alert]").is_visible()
