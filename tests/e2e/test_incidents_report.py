"""Issue 3's done-when in a real browser: a reporter files an incident on a 390×844 phone by
tapping the map; a coordinator then sees it in the list, on the map and in the CSV export.
axe-core (WCAG 2.1 AA) and the console/CSP check run on every page visited."""

from __future__ import annotations

import csv
import io

import pytest

from brygga.incidents.models import Category, Incident

from ..incidents.factories import IncidentFactory

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]
BASE = "/kommuner/2281/handelser"
PHONE = {"width": 390, "height": 844}
CENTRE = (62.39, 17.305)


@pytest.fixture(autouse=True)
def default_categories(transactional_db):
    """Browser tests flush the database between tests; put the shipped categories back."""
    from brygga.audit.context import acting_as
    from brygga.incidents.models import PoliceTypeMapping
    from brygga.incidents.reference import load_default_categories

    with acting_as(label="test setup"):
        load_default_categories(Category, PoliceTypeMapping)


def _fits_the_screen(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page scrolls sideways: {width}px"


def test_reporter_files_on_a_phone_and_coordinator_sees_it_everywhere(session_for, world):
    window = Category.objects.get(code="skadegorelse-fonster", municipality__isnull=True)
    s = session_for("reporter", viewport=PHONE)
    s.goto(f"{BASE}/rapportera/")
    page = s.page
    _fits_the_screen(page)
    submit = page.locator("button.button-big")
    assert submit.bounding_box()["height"] >= 44  # a thumb-sized target

    page.select_option("#id_category", str(window.pk))
    # quick choice "last night": an interval, so the exact-time box is ticked and "to" shown
    assert page.locator("#id_occurred_to").is_hidden()
    page.click("[data-quick=night]")
    assert page.locator("#id_time_unknown").is_checked()
    assert page.locator("#id_occurred_to").is_visible()
    assert page.input_value("#id_occurred_to")
    page.click("[data-quick=now]")
    assert not page.locator("#id_time_unknown").is_checked()

    # tap the map where it happened
    page.wait_for_selector("#report-map.leaflet-container path")
    page.locator("#report-map").scroll_into_view_if_needed()
    x, y = page.evaluate(
        "([lat, lon]) => { const p = document.getElementById('report-map').brygga"
        ".latLngToContainerPoint([lat, lon]); return [p.x, p.y]; }",
        list(CENTRE),
    )
    page.locator("#report-map").click(position={"x": x, "y": y})
    assert page.input_value("#id_lat") and page.input_value("#id_lon")
    assert abs(float(page.input_value("#id_lat")) - CENTRE[0]) < 0.02
    assert page.locator("#map-status").inner_text() != ""
    assert page.locator("#report-map .leaflet-overlay-pane path").count() >= 2

    page.fill("#id_description", "Krossad ruta i busskuren.")
    submit.click()
    page.wait_for_url("**/kvitto/")
    s.check()
    _fits_the_screen(page)
    incident = Incident.objects.get()
    assert incident.has_point and incident.reporting_organisation == world.orgs["field"]
    assert page.locator(".confirmation").count() == 1
    assert page.locator("table.incidents tbody tr.highlight").count() == 1

    # the coordinator: list, detail, map, export
    c = session_for("coordinator")
    c.goto(f"{BASE}/")
    rows = c.page.locator("table.incidents tbody tr")
    assert rows.count() == 1 and window.name in rows.first.inner_text()
    c.goto(f"{BASE}/{incident.pk}/")
    assert "Krossad ruta i busskuren." in c.page.content()
    c.page.wait_for_selector("#incident-map.leaflet-container path")
    c.goto(f"{BASE}/karta/")
    c.page.wait_for_selector("#incident-map .incident-dot, #incident-map .marker-cluster")
    assert c.page.locator("#incident-map .incident-dot, #incident-map .marker-cluster").count() == 1
    c.check()  # again, with the markers drawn
    counts = c.page.locator("table.area-counts tbody tr").all_inner_texts()
    assert any(t.startswith("Centrum") and "\t1\t" in t for t in counts), counts
    c.goto(f"{BASE}/")
    with c.page.expect_download() as info:
        c.page.click("p.exports a:text('CSV')")
    download = info.value
    assert download.suggested_filename.endswith(".csv")
    text = open(download.path(), encoding="utf-8-sig").read()  # noqa: SIM115
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert [int(r[0]) for r in rows[1:]] == [incident.pk]


def test_other_incident_pages_are_accessible(session_for, world):
    from django.utils import timezone

    category = Category.objects.get(code="klotter", municipality__isnull=True)
    incident = IncidentFactory(
        municipality=world.sundsvall,
        category=category,
        occurred_from=timezone.now(),
        area=world.areas["nacksta"],
        reporting_organisation=world.orgs["housing"],
    )
    s = session_for("coordinator")
    for path in (
        f"{BASE}/rapportera/",
        f"{BASE}/{incident.pk}/andra/",
        f"{BASE}/{incident.pk}/ta-bort/",
        f"{BASE}/veckorapportering/",
        f"{BASE}/?category={category.pk}&date_from=2020-01-01",
        f"{BASE}/karta/?area={world.areas['nacksta'].pk}",
    ):
        s.goto(path)
    # a form with errors is accessible too
    s.goto(f"{BASE}/rapportera/")
    s.page.click("button.button-big")
    s.page.wait_for_load_state("load")
    s.check()
    # the category's field, and the place as a whole (its fieldset)
    assert s.page.locator(".field-error, fieldset.group-error").count() >= 2
    # the weekly round on a phone: mark "nothing to report"
    r = session_for("reporter", viewport=PHONE)
    r.goto(f"{BASE}/veckorapportering/")
    _fits_the_screen(r.page)
    r.page.click("form.nil-form button")
    r.page.wait_for_load_state("load")
    r.check()
    assert r.page.locator(".row-nothing").count() == 1
