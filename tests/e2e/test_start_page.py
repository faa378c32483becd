"""The start page per role in a real browser (issue #12, item 6): what a reporter, a
coordinator and an analyst see on /kommuner/<code>/, the incident counts on an area's and a
forum's page, axe-core on every page, and no sideways scrolling on a 390 × 844 phone."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from brygga.incidents.models import ImportJob, NilReport

from ..incidents.factories import ImportJobFactory, make_incident

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]
BASE = "/kommuner/2281"
PHONE = {"width": 390, "height": 844}
OVERFLOW = """() => {
  const width = document.documentElement.clientWidth;
  const wide = [];
  // the page does not scroll sideways, and no part of a panel sticks out (tables scroll in
  // their own region; the map clips its tiles)
  for (const el of document.querySelectorAll(".panel, .panel *")) {
    const r = el.getBoundingClientRect();
    if (r.width > 0 && r.right > width + 0.5 && !el.parentElement.closest(".table-scroll")) {
      wide.push(el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + " " + Math.round(r.right));
    }
  }
  return {scroll: document.documentElement.scrollWidth, width, wide: wide.slice(0, 5)};
}"""


@pytest.fixture
def data(world):
    now = timezone.now()
    today = timezone.localdate()
    monday = today - dt.timedelta(days=today.weekday())
    this_week = timezone.make_aware(dt.datetime.combine(monday, dt.time.min))
    year, week, weekday = today.isocalendar()
    try:
        same_week = dt.date.fromisocalendar(year - 1, week, weekday)
    except ValueError:  # week 53 of a year after one with 52: no such week to compare with
        same_week = None
    world.same_week_last_year = same_week
    for hours in (2, 30):  # the field workers' own reports, this week
        make_incident(
            world,
            occurred_from=max(now - dt.timedelta(hours=hours), this_week),
            area=world.areas["centrum"],
        )
    make_incident(  # the same ISO week a year earlier (else five weeks earlier)
        world,
        occurred_from=timezone.make_aware(
            dt.datetime.combine(same_week or monday - dt.timedelta(weeks=5), dt.time(12))
        ),
        area=world.areas["nacksta"],
    )
    make_incident(
        world,
        reporting_organisation=world.orgs["housing"],
        occurred_from=max(now - dt.timedelta(hours=3), this_week),
        has_personal_data=True,
        description="Namnet Personsson i trapphuset",
    )
    NilReport.objects.create(
        forum=world.forums["safety"], organisation=world.orgs["housing"], week_start=monday
    )
    ImportJobFactory(
        municipality=world.sundsvall, state=ImportJob.State.FAILED, file_name="veckofil.csv"
    )
    return world


def _no_overflow(s) -> None:
    found = s.page.evaluate(OVERFLOW)
    assert found["scroll"] <= found["width"] and not found["wide"], found


def test_reporter_start_page(session_for, data):
    s = session_for("reporter")
    s.goto(f"{BASE}/")
    button = s.page.get_by_role("link", name="Rapportera en händelse")
    assert button.is_visible()
    assert button.get_attribute("href") == f"{BASE}/handelser/rapportera/"
    box = button.bounding_box()
    assert box["height"] >= 44  # a large target
    recent = s.page.locator(".recent-reports li a")
    assert recent.count() == 3  # this week's two and last year's
    state = s.page.locator(".weekly-states li").first.inner_text()
    assert "Trygghetsgrupp Centrum" in state and "Fältassistenterna" in state
    assert "rapporterat (2 rapporter)" in state
    assert s.page.locator(".panel-trend").count() == 0
    assert s.page.locator(".panel-imports").count() == 0
    recent.first.click()  # to the report itself
    s.page.wait_for_url("**/handelser/*/")
    s.check()


def test_coordinator_start_page(session_for, data):
    s = session_for("coordinator")
    s.goto(f"{BASE}/")
    chart = s.page.locator(".panel-trend svg[role=img]")
    assert chart.count() == 1
    assert "jämfört med samma veckor" in chart.locator("title").text_content()
    assert "Siffrorna finns i tabellen" in chart.locator("desc").text_content()
    # the numbers are in the table right below the chart, this week's count last
    this_row = s.page.locator("#trend-weeks tbody tr").first.locator("td")
    assert this_row.nth(7).inner_text() == "3"  # two own reports this week + the housing one
    last_row = s.page.locator("#trend-weeks tbody tr").nth(1).locator("td")
    assert last_row.nth(7).inner_text() == ("1" if data.same_week_last_year else "–")
    areas = s.page.locator("#trend-areas").inner_text()
    assert "Centrum" in areas and "Nacksta" in areas
    # the safety group: the police have not reported (field workers have, housing said nothing)
    missing = s.page.locator(".round-missing").inner_text()
    assert "Trygghetsgrupp Centrum" in missing and "LPO Medelpad" in missing
    assert "1 av 3" in missing
    assert "veckofil.csv" in s.page.locator(".import-attention").inner_text()
    assert "Personsson" not in s.page.content()


def test_analyst_start_page_on_a_phone(session_for, data):
    s = session_for("analyst", viewport=PHONE)
    s.goto(f"{BASE}/")
    assert s.page.locator(".panel-trend svg[role=img]").is_visible()
    # the analyst may not see the housing company's report with personal data
    assert s.page.locator("#trend-weeks tbody tr").first.locator("td").nth(7).inner_text() == "2"
    assert s.page.locator(".round-missing").count() == 1
    assert "veckofil.csv" in s.page.locator(".import-attention").inner_text()
    _no_overflow(s)


def test_reporter_start_page_on_a_phone(session_for, data):
    s = session_for("reporter", viewport=PHONE)
    s.goto(f"{BASE}/")
    assert s.page.get_by_role("link", name="Rapportera en händelse").is_visible()
    _no_overflow(s)


def test_area_and_forum_pages_count_and_link(session_for, data):
    s = session_for("coordinator", viewport=PHONE)
    area = data.areas["centrum"].pk
    s.goto(f"{BASE}/omraden/{area}/")
    counts = s.page.locator(".place-counts")
    # this year and the last 30 days: the field workers' two (the housing report has no area)
    assert counts.inner_text().count("2 rapporter") == 2
    _no_overflow(s)
    counts.get_by_role("link").last.click()  # the last 30 days, in the list
    s.page.wait_for_url(re.compile(rf"/handelser/\?date_from=\d{{4}}-\d\d-\d\d&area={area}$"))
    s.check()
    assert s.page.locator("table tbody tr").count() == 2
    s.goto(f"{BASE}/forum/{data.forums['safety'].pk}/")
    s.page.get_by_role("link", name="På kartan").click()
    s.page.wait_for_url(re.compile(rf"/handelser/karta/\?forum={data.forums['safety'].pk}$"))
    s.check()
