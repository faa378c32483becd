"""The safety survey's results in a real browser: the waves, a wave's indices per area with the
chart, the change from the previous survey and a breakdown, an area's profile, and a small
area shown as "fewer than 30 responses". axe-core checks every page."""

import pytest

from brygga.audit.context import acting_as

from ..core.factories import AreaFactory
from ..surveys.factories import make_wave

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]
BASE = "/kommuner/2281/trygghetsmatning"


def test_results_per_area_change_and_small_area(session_for, world):
    c, a = world.users["coordinator"], world.areas
    with acting_as(label="test setup"):
        small = AreaFactory(municipality=world.sundsvall, name="Småby")
        bergsaker = AreaFactory(municipality=world.sundsvall, name="Bergsåker")
    make_wave(c, world.sundsvall, 2024, {a["centrum"]: 150, a["nacksta"]: 120, bergsaker: 80})
    make_wave(
        c,
        world.sundsvall,
        2025,
        {a["centrum"]: {"n": 160, "level": 0.7}, a["nacksta"]: 120, bergsaker: 80, small: 12},
        seed=2,
    )
    s = session_for("coordinator")
    s.goto(f"{BASE}/")
    assert s.page.locator("#survey-waves tbody tr").count() == 2
    s.page.click(f"#survey-waves a[href='{BASE}/2025/']")
    s.page.wait_for_url(f"**{BASE}/2025/")
    s.check()
    assert s.page.locator("svg[role=img]").count() == 4
    table = s.page.locator("#table-problemindex")
    centrum = table.locator("tr", has_text="Centrum")
    assert centrum.locator("strong.change-clear").count() == 1  # clearly worse than 2024
    small_row = table.locator("tr", has_text="Småby").inner_text()
    assert "<30" in small_row and ("30 svar" in small_row or "30 responses" in small_row)
    # one index, by age group
    s.page.select_option("#id_index", "otrygghetsindex")
    s.page.select_option("#id_grupp", "alder")
    s.page.click("form.filters button[type=submit]")
    s.page.wait_for_url("**index=otrygghetsindex**")
    s.check()
    assert s.page.locator("svg[role=img]").count() == 1
    assert s.page.locator("#groups-otrygghetsindex").is_visible()
    # an area's profile and trend
    s.page.click("#table-otrygghetsindex a:has-text('Centrum')")
    s.page.wait_for_url(f"**{BASE}/2025/omrade/*/")
    s.check()
    assert s.page.locator("#area-items tbody tr").count() == 16
    assert s.page.locator("#area-items tr.stands-out").count() >= 1
    s.goto(f"/kommuner/2281/omraden/{a['centrum'].pk}/")
    assert s.page.locator("#panel-survey tbody tr").count() == 4
