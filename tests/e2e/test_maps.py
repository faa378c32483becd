"""The maps in a real browser, with every tile request blocked (conftest.OUTSIDE), as where tiles
cannot load: the background map is asked for and allowed by the CSP, the boundary and the areas
stay visible at every zoom, Leaflet's buttons speak the UI language and area shapes are no Tab
stops."""

from __future__ import annotations

import pytest

from brygga.incidents.models import Category

from ..incidents.factories import IncidentFactory

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]
BASE = "/kommuner/2281/handelser"
TILES = "https://tile.openstreetmap.org/"
CENTRE = (62.39, 17.305)  # inside Centrum

# The outlines drawn in the map (boundary and areas), with their size on the screen and whether
# they overlap the visible map.
OUTLINES = """(selector) => {
  const box = document.querySelector(selector).getBoundingClientRect();
  return Array.from(document.querySelectorAll(selector + " .leaflet-overlay-pane path"))
    .filter((p) => !p.classList.contains("chosen-point"))
    .map((p) => {
      const r = p.getBoundingClientRect();
      const seen = r.right > box.left && r.left < box.right && r.bottom > box.top
        && r.top < box.bottom;
      return { stroke: p.getAttribute("stroke"), w: r.width, h: r.height, seen: seen,
               d: (p.getAttribute("d") || "").length };
    });
}"""

FOCUSED = """() => {
  const a = document.activeElement;
  return { tag: a.tagName.toLowerCase(), inMap: !!a.closest(".leaflet-container"),
           name: (a.getAttribute("aria-label") || a.getAttribute("title")
                  || a.textContent || "").trim() };
}"""


@pytest.fixture(autouse=True)
def default_categories(transactional_db):
    """Browser tests flush the database between tests; put the shipped categories back."""
    from brygga.audit.context import acting_as
    from brygga.incidents.models import PoliceTypeMapping
    from brygga.incidents.reference import load_default_categories

    with acting_as(label="test setup"):
        load_default_categories(Category, PoliceTypeMapping)


def _background_asked_for_and_blocked(s, selector: str) -> None:
    """The tile layer is there and asked for OpenStreetMap's tiles (the CSP let the requests
    out: a refused one is a console error, which Session.check reports); none loaded."""
    page = s.page
    assert any(url.startswith(TILES) for url in s.blocked), s.blocked
    assert page.locator(f"{selector} .leaflet-tile-pane img.leaflet-tile").count() > 0
    assert page.locator(f"{selector} .leaflet-tile-loaded").count() == 0
    link = page.locator(f"{selector} .leaflet-control-attribution a", has_text="OpenStreetMap")
    assert link.inner_text() == "OpenStreetMap-bidragsgivare"
    assert link.get_attribute("href") == "https://www.openstreetmap.org/copyright"


def test_outlines_stay_visible_at_every_zoom_without_tiles(session_for, world):
    s = session_for("coordinator")
    s.goto("/kommuner/2281/")
    page = s.page
    page.wait_for_selector("#map .leaflet-overlay-pane path")
    _background_asked_for_and_blocked(s, "#map")
    corner = world.areas["nacksta"].geometry["coordinates"][0][0]  # [lon, lat]
    boundary = world.sundsvall.boundary["coordinates"][0][10]
    for lon, lat in (corner, boundary):
        for zoom in (8, 12, 16, 19):
            page.evaluate(
                "([lat, lon, zoom]) => document.querySelector('#map').brygga"
                ".setView([lat, lon], zoom, { animate: false })",
                [lat, lon, zoom],
            )
            seen = [o for o in page.evaluate(OUTLINES, "#map") if o["seen"] and o["d"]]
            assert seen, (lat, lon, zoom)
    # on a light neutral background, the outlines stand out (WCAG 1.4.11: 3:1)
    background = page.evaluate("getComputedStyle(document.querySelector('#map')).backgroundColor")
    assert background == "rgb(238, 238, 234)"
    for stroke in {o["stroke"] for o in page.evaluate(OUTLINES, "#map")}:
        assert _contrast(stroke, (238, 238, 234)) >= 3, stroke


def _contrast(hex_colour: str, rgb: tuple[int, int, int]) -> float:
    def luminance(c):
        parts = [v / 255 for v in c]
        lin = [p / 12.92 if p <= 0.03928 else ((p + 0.055) / 1.055) ** 2.4 for p in parts]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]

    h = hex_colour.lstrip("#")
    a = luminance(tuple(int(h[i : i + 2], 16) for i in (0, 2, 4)))
    b = luminance(rgb)
    return (max(a, b) + 0.05) / (min(a, b) + 0.05)


@pytest.mark.parametrize(
    "path, selector", [("/kommuner/2281/", "#map"), (f"{BASE}/karta/", "#incident-map")]
)
def test_area_shapes_are_no_tab_stops(session_for, world, path, selector):
    from django.utils import timezone

    category = Category.objects.get(code="klotter", municipality__isnull=True)
    for i in range(3):
        IncidentFactory(
            municipality=world.sundsvall,
            category=category,
            occurred_from=timezone.now(),
            lat=CENTRE[0] + i * 0.001,
            lon=CENTRE[1],
            area=world.areas["centrum"],
            reporting_organisation=world.orgs["housing"],
        )
    s = session_for("coordinator")
    s.goto(path)
    page = s.page
    page.wait_for_selector(f"{selector} path.leaflet-interactive")
    assert page.locator(f"{selector} path.leaflet-interactive").count() == 2  # both areas
    page.locator(selector).focus()
    stops = []
    for _ in range(12):
        page.keyboard.press("Tab")
        stops.append(page.evaluate(FOCUSED))
    in_map = [stop for stop in stops if stop["inMap"]]
    assert in_map, stops
    assert not [stop for stop in in_map if stop["tag"] == "path"], in_map
    assert all(stop["name"] for stop in in_map), in_map
    s.check()


def test_zoom_buttons_follow_the_ui_language(session_for, world):
    s = session_for("coordinator")
    s.page.context.add_cookies([{"name": "django_language", "value": "en", "url": s.base_url}])
    s.goto("/kommuner/2281/")
    zoom_in = s.page.locator("#map .leaflet-control-zoom-in")
    zoom_in.wait_for()
    assert zoom_in.get_attribute("title") == "Zoom in"
    assert zoom_in.get_attribute("aria-label") == "Zoom in"
    s.page.context.clear_cookies(name="django_language")
    s.goto("/kommuner/2281/")
    assert zoom_in.get_attribute("aria-label") == "Zooma in"
    assert s.page.locator("#map .leaflet-control-zoom-out").get_attribute("title") == "Zooma ut"
