"""The maps in a real browser, with every tile request blocked (conftest.OUTSIDE), as where tiles
cannot load: the background map is asked for and allowed by the CSP, the boundary and the areas
stay visible at every zoom, Leaflet's buttons speak the UI language, area shapes are no Tab
stops, and the report form names the area of a tapped point and refuses a point outside the
municipality before anything is sent."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from brygga.incidents.models import Category, Incident

from ..incidents.factories import IncidentFactory

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]
BASE = "/kommuner/2281/handelser"
PHONE = {"width": 390, "height": 844}
TILES = "https://tile.openstreetmap.org/"
NACKSTA = (62.3985, 17.255)  # inside the test world's Nacksta square
CENTRE = (62.39, 17.305)  # inside Centrum
TIMRA = (62.487, 17.325)  # Timrå, about a kilometre beyond Sundsvall's boundary

TAP_POINT = """([selector, lat, lon, zoom]) => {
  const map = document.querySelector(selector).brygga;
  map.setView([lat, lon], zoom, { animate: false });
  const p = map.latLngToContainerPoint([lat, lon]);
  return [p.x, p.y];
}"""

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


def _tap(page, latlon, zoom=12) -> None:
    x, y = page.evaluate(TAP_POINT, ["#report-map", *latlon, zoom])
    page.locator("#report-map").click(position={"x": x, "y": y})


def _background_asked_for_and_blocked(s, selector: str) -> None:
    """The tile layer is there and asked for OpenStreetMap's tiles (the CSP let the requests
    out: a refused one is a console error, which Session.check reports); none loaded."""
    page = s.page
    tiles = [url for url in s.blocked if url.startswith(TILES)]
    assert tiles, s.blocked
    # the site's origin as Referer (OpenStreetMap's policy), never the page's address
    assert {s.referers[url] for url in tiles} == {s.base_url + "/"}
    assert page.locator(f"{selector} .leaflet-tile-pane img.leaflet-tile").count() > 0
    assert page.locator(f"{selector} .leaflet-tile-loaded").count() == 0
    link = page.locator(f"{selector} .leaflet-control-attribution a", has_text="OpenStreetMap")
    assert link.inner_text() == "OpenStreetMap-bidragsgivare"
    assert link.get_attribute("href") == "https://www.openstreetmap.org/copyright"


def test_filing_a_report_on_a_phone_with_the_map(session_for, world):
    window = Category.objects.get(code="skadegorelse-fonster", municipality__isnull=True)
    s = session_for("reporter", viewport=PHONE)
    s.goto(f"{BASE}/rapportera/")
    page = s.page
    page.wait_for_selector("#report-map .leaflet-overlay-pane path")
    _background_asked_for_and_blocked(s, "#report-map")
    # the boundary and both areas are drawn although no tile loaded
    outlines = page.evaluate(OUTLINES, "#report-map")
    assert len(outlines) == 3, outlines
    assert all(o["seen"] and o["w"] > 0 and o["h"] > 0 for o in outlines), outlines
    assert page.get_attribute("#report-map .leaflet-control-zoom-in", "title") == "Zooma in"
    assert page.get_attribute("#report-map .leaflet-control-zoom-out", "title") == "Zooma ut"

    status = page.locator("#map-status")
    error = page.locator("#map-error")
    marker = page.locator("#report-map path.chosen-point")
    assert error.get_attribute("aria-live") == "assertive"
    assert error.inner_text() == ""

    # a tap outside the municipality is refused at once, next to the map
    page.locator("#report-map").scroll_into_view_if_needed()
    _tap(page, TIMRA)
    assert error.is_visible()
    assert error.inner_text() == (
        "Punkten ligger utanför kommunen Sundsvall. Välj en plats innanför kommungränsen."
    )
    assert page.input_value("#id_lat") == "" and page.input_value("#id_lon") == ""
    assert marker.count() == 0
    assert status.inner_text() == "Ingen punkt vald ännu. Tryck på kartan där det hände."
    s.check()  # the error is accessible (contrast, no console error)

    # a tap in Nacksta is taken and named
    _tap(page, NACKSTA, zoom=13)
    assert status.inner_text().startswith("Vald plats: Nacksta (62.39"), status.inner_text()
    assert error.inner_text() == ""
    assert marker.count() == 1
    lat = page.input_value("#id_lat")
    assert abs(float(lat) - NACKSTA[0]) < 0.002

    # another tap outside: refused, and the point chosen before stays
    _tap(page, TIMRA)
    assert error.inner_text().startswith("Punkten ligger utanför kommunen Sundsvall.")
    assert page.input_value("#id_lat") == lat
    assert status.inner_text().startswith("Vald plats: Nacksta")
    assert marker.count() == 1

    # typed coordinates: the status line follows them, and an outside point is refused
    page.click("details.coordinates summary")
    page.fill("#id_lat", "62,39")
    page.fill("#id_lon", "17,305")
    assert status.inner_text() == "Vald plats: Centrum (62.39000, 17.30500)"
    assert error.inner_text() == ""
    page.fill("#id_lat", "62,487")
    page.fill("#id_lon", "17,325")
    page.locator("#id_lon").press("Tab")  # leaving the field commits it
    assert error.inner_text().startswith("Punkten ligger utanför kommunen Sundsvall.")
    assert page.get_attribute("#id_lat", "aria-invalid") == "true"
    assert marker.count() == 0
    assert status.inner_text().startswith("Ingen punkt vald ännu.")
    page.fill("#id_lat", str(NACKSTA[0]))
    page.fill("#id_lon", str(NACKSTA[1]))
    page.locator("#id_lon").press("Tab")
    assert error.inner_text() == ""
    assert page.get_attribute("#id_lat", "aria-invalid") is None
    assert status.inner_text() == "Vald plats: Nacksta (62.39850, 17.25500)"

    page.select_option("#id_category", str(window.pk))
    page.click("button.button-big")
    page.wait_for_url("**/kvitto/")
    s.check()
    incident = Incident.objects.get()
    assert incident.area == world.areas["nacksta"]
    assert abs(incident.lat - NACKSTA[0]) < 1e-6


def test_my_position_outside_the_municipality_is_refused(session_for, world):
    s = session_for("reporter", viewport=PHONE)
    context = s.page.context
    context.grant_permissions(["geolocation"])
    context.set_geolocation({"latitude": TIMRA[0], "longitude": TIMRA[1]})
    s.goto(f"{BASE}/rapportera/")
    page = s.page
    page.wait_for_selector("#report-map .leaflet-overlay-pane path")
    page.click("#use-position")
    error = page.locator("#map-error")
    error.wait_for(state="visible")
    assert error.inner_text().startswith("Punkten ligger utanför kommunen Sundsvall.")
    assert page.input_value("#id_lat") == ""
    assert page.locator("#map-status").inner_text().startswith("Ingen punkt vald ännu.")
    context.set_geolocation({"latitude": CENTRE[0], "longitude": CENTRE[1]})
    page.click("#use-position")
    expect(page.locator("#map-status")).to_have_text(re.compile(r"^Vald plats: Centrum \("))
    assert error.inner_text() == ""
    assert abs(float(page.input_value("#id_lat")) - CENTRE[0]) < 1e-5
    s.check()


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


def test_leaflets_texts_follow_the_ui_language(session_for, world):
    s = session_for("coordinator")
    s.page.context.add_cookies([{"name": "django_language", "value": "en", "url": s.base_url}])
    s.goto("/kommuner/2281/")
    zoom_in = s.page.locator("#map .leaflet-control-zoom-in")
    zoom_in.wait_for()
    assert zoom_in.get_attribute("title") == "Zoom in"
    assert zoom_in.get_attribute("aria-label") == "Zoom in"
    leaflet = s.page.locator("#map .leaflet-control-attribution a", has_text="Leaflet")
    assert leaflet.get_attribute("title") == "A JavaScript library for interactive maps"
    s.page.context.clear_cookies(name="django_language")
    s.goto("/kommuner/2281/")
    assert zoom_in.get_attribute("aria-label") == "Zooma in"
    assert s.page.locator("#map .leaflet-control-zoom-out").get_attribute("title") == "Zooma ut"
    assert leaflet.get_attribute("title") == "Ett JavaScript-bibliotek för interaktiva kartor"
