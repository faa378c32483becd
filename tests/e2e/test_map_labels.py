"""Area names on the maps are text: a name written as HTML shows as those characters and puts
no element into the page (map.js on the overview, incidents.js on the incident map)."""

import pytest

from brygga.core.models import Area

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]
NAME = "<img src=x onerror=alert(1)>"

OPEN_TOOLTIP = """([selector, name]) => {
  const map = document.querySelector(selector).brygga;
  let opened = 0;
  map.eachLayer((layer) => {
    if (layer.feature && layer.feature.properties.name === name && layer.getTooltip()) {
      layer.openTooltip(layer.getBounds().getCenter());
      opened += 1;
    }
  });
  return opened;
}"""


@pytest.mark.parametrize(
    "path, selector",
    [("/kommuner/2281/", "#map"), ("/kommuner/2281/handelser/karta/", "#incident-map")],
)
def test_area_name_in_a_map_tooltip_is_text(session_for, world, path, selector):
    Area.objects.filter(pk=world.areas["centrum"].pk).update(name=NAME)
    s = session_for("coordinator")
    dialogs = []
    s.page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    s.goto(path)
    s.page.wait_for_selector(f"{selector} path.leaflet-interactive")
    assert s.page.evaluate(OPEN_TOOLTIP, [selector, NAME]) == 1
    tooltip = s.page.locator(f"{selector} .leaflet-tooltip")
    tooltip.wait_for()
    assert tooltip.inner_text().startswith(NAME)
    assert s.page.locator(f"{selector} .leaflet-tooltip img").count() == 0
    assert s.page.locator('img[src="x"]').count() == 0
    s.check()  # axe, and no console error (a CSP report or a request for "x" would be one)
    assert dialogs == []
