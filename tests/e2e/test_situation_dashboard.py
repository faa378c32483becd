"""The lägesbild dashboard in a real browser: the coordinator opens it, changes the period and
a category with the form, the URL carries the filters, the tables and charts follow, and
axe-core finds no violations."""

import re

import pytest

from brygga.situation.scope import Period

from ..incidents.factories import category
from ..situation.test_figures import counted, events, make_incidents

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]
BASE = "/kommuner/2281/lagesbild/"


def test_coordinator_filters_the_dashboard(session_for, world):
    make_incidents(world, n=120)
    s = session_for("coordinator")
    s.goto(f"{BASE}?period=2025")
    s.check()
    total = events(counted(world, Period.parse("2025")))
    assert s.page.locator(".headline-number").inner_text() == str(total)
    # categories, areas, sources, months, the weeks against the baseline, the reference rates
    assert s.page.locator("svg[role=img]").count() == 6
    # the map draws its layers and offers its layer control
    s.page.locator("[data-situation-layers]").wait_for(state="visible")
    assert s.page.locator("#situation-map .leaflet-interactive").count() > 0
    for table in ("#table-summary", "#table-categories", "#table-areas", "#table-heat"):
        assert s.page.locator(table).is_visible()
    # a quarter and one category, chosen with the form
    s.page.fill("#id_period", "2025-K2")
    s.page.select_option("#id_kategori", ["klotter"])
    s.page.click("form.situation-filters button[type=submit]")
    s.page.wait_for_url(re.compile(r".*period=2025-K2.*kategori=klotter.*"))
    s.check()
    n = events(counted(world, Period.parse("2025-K2"), main=category("klotter")))
    assert s.page.locator(".headline-number").inner_text() == str(n)
    rows = s.page.locator("#table-categories tbody tr")
    assert rows.count() == 1 and rows.first.locator("td").first.inner_text() == str(n)
    assert s.page.locator("#table-months tbody tr").count() == 3
    # the previous quarter, by its link, keeps the category
    s.page.click(
        ".period-links a:has-text('Föregående period'), .period-links a:has-text('Previous period')"
    )
    s.page.wait_for_url(re.compile(r".*period=2025-K1.*kategori=klotter.*"))
    n = events(counted(world, Period.parse("2025-K1"), main=category("klotter")))
    assert s.page.locator(".headline-number").inner_text() == str(n)
