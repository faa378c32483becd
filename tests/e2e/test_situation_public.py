"""The lägesbild for the public in a real browser, without signing in: the list of published
reports for the public, a report with its protected tables, and the link from a superseded
version to the newer one. axe-core checks every page."""

import pytest

from brygga.situation import services

from ..situation import crawl_world as cw

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]
BASE = "/offentlig/kommuner/2281/lagesbild"


def test_the_public_reads_a_report_without_signing_in(session_for, world, settings):
    settings.BRYGGA_SITUATION_MIN_COUNT = 5
    cw.build(world)
    first = cw.publish(world, "public", title="Lägesbild för allmänheten")
    coordinator = world.users["coordinator"]
    draft = services.report_new_version(actor=coordinator, report=first)
    newer = services.report_publish(actor=coordinator, report=draft, snapshot=first.snapshot)
    cw.publish(world, "council", title="Lägesbild för fullmäktige")

    s = session_for()  # not signed in
    s.goto(f"{BASE}/")
    rows = s.page.locator("#public-reports tbody tr")
    assert rows.count() == 2  # the council's report is not listed
    assert rows.nth(0).get_attribute("data-report") == str(newer.pk)
    assert rows.nth(1).get_attribute("data-superseded") == "1"
    assert "fullmäktige" not in s.page.inner_text("main")

    rows.nth(1).locator("a").click()
    s.page.wait_for_url(f"**{BASE}/{first.pk}/")
    s.check()
    assert s.page.locator("#report-superseded").is_visible()
    assert "<5" in s.page.locator("#table-omraden").inner_text()
    assert cw.OTHER_TEXT not in s.page.content()
    assert s.page.locator("form textarea").count() == 0  # no comment or text form
    s.page.locator("#report-superseded a").click()
    s.page.wait_for_url(f"**{BASE}/{newer.pk}/")
    s.check()
    # a report that is not for the public is not found
    s.goto(f"{BASE}/{newer.pk + 1}/", status=404, check=False)
