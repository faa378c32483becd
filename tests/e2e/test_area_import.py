"""The GIS import of areas in a real browser: upload a zipped Shapefile → choose the fields →
preview with the map → import; axe-core checks every page on the way."""

import pytest

from brygga.core.models import Area

from ..core.test_area_import import shapefile  # noqa: F401 (fixture)

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]
BASE = "/kommuner/2281/omraden"


def test_upload_fields_preview_and_import(session_for, world, shapefile):  # noqa: F811
    s = session_for("coordinator")
    s.goto(f"{BASE}/")
    s.page.click("a[href$='/omraden/importera/']")
    s.page.wait_for_url(f"**{BASE}/importera/")
    s.check()
    s.page.set_input_files("#id_file", str(shapefile))
    s.page.click("main form button[type=submit]")
    s.page.wait_for_selector("#id_name_field")
    s.check()
    # the fields with sample values; the name field guessed
    assert "Skönsberg" in s.page.locator("main table").inner_text()
    assert s.page.locator("#id_name_field").input_value() == "NAMN"
    s.page.fill("#id_new_layer_name", "Stadsdelar")
    s.page.click("main form button.button:not(.button-secondary)")
    s.page.wait_for_selector("#map .leaflet-overlay-pane path")
    s.check()
    # the boundary and the three areas to import are drawn; the one in Timrå is listed
    assert s.page.locator("#map .leaflet-overlay-pane path").count() == 4
    main = s.page.locator("main").inner_text()
    assert "Timrå centrum" in main and "Ärtviken" in main
    assert not Area.objects.filter(layer__name="Stadsdelar").exists()
    s.page.click("button[name=step][value=confirm]")
    s.page.wait_for_url(f"**{BASE}/?lager=*")  # the imported layer's areas
    s.check()
    assert Area.objects.filter(layer__name="Stadsdelar").count() == 3
    areas = s.page.locator("main table:has(caption#areas-caption)").inner_text()
    assert "Norrmalm Åkervägen" in areas
