"""The work part in a real browser, as a coordinator: log an operation under a measure, add an
indicator to the measure and see its computed values (equal to a direct count), evaluate the
measure with a comparison area and see the result. axe-core checks every page."""

import datetime as dt
import re

import pytest

from brygga.audit.context import acting_as
from brygga.incidents.services.rollups import rebuild_counts

from ..incidents.factories import IncidentFactory, category
from ..plans import factories as f
from ..plans.test_work_helpers import direct_events

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]
BASE = "/kommuner/2281"


def _incidents(world):
    """Klotter in Centrum and Nacksta: more in Centrum before July 2024, fewer after."""
    with acting_as(label="test setup"):
        for month, n, area in (
            (2, 8, "centrum"),
            (9, 3, "centrum"),
            (2, 4, "nacksta"),
            (9, 5, "nacksta"),
        ):
            for i in range(n):
                IncidentFactory(
                    municipality=world.sundsvall,
                    category=category("klotter"),
                    occurred_from=dt.datetime(2024, month, 1 + i, 12, tzinfo=dt.UTC),
                    reporting_organisation=world.orgs["field"],
                    area=world.areas[area],
                    counted=False,
                )
    rebuild_counts(municipality_id=world.sundsvall.pk)


def test_operation_indicator_evaluation(session_for, world):
    _incidents(world)
    plan = f.plan(world.sundsvall, forum=world.forums["safety"])
    measure = f.measure(plan, world.orgs["field"], areas=[world.areas["centrum"]])
    s = session_for("coordinator")

    # log an operation under the measure
    s.goto(f"{BASE}/insatser/?atgard={measure.pk}")
    s.page.click("#operation-new")
    s.page.wait_for_url(f"**{BASE}/insatser/ny/**")
    s.check()
    s.page.select_option("#id_kind", "safety_walk")
    s.page.fill("#id_title", "Trygghetsvandring i centrum")
    assert s.page.locator("#id_measure").input_value() == str(measure.pk)
    s.page.fill("#id_started_at", "2024-09-12T18:00")
    s.page.fill("#id_ended_at", "2024-09-12T20:30")
    s.page.select_option("#id_area", str(world.areas["centrum"].pk))
    s.page.fill("#id_hours", "7.5")
    s.page.click("#operation-save")
    s.page.wait_for_url(re.compile(r"/insatser/\d+/$"))
    s.check()
    assert s.page.locator("#operation-hours").get_attribute("data-hours") == "7.5"
    s.goto(f"{BASE}/insatser/?period=2024&atgard={measure.pk}")
    centrum = world.areas["centrum"].pk
    hours = s.page.locator(f'#effort tr[data-area="{centrum}"][data-figure="hours"] td.num')
    assert hours.nth(8).inner_text().replace(",", ".") == "7.5"  # September
    incidents = s.page.locator(f'#effort tr[data-area="{centrum}"][data-figure="incidents"] td.num')
    assert incidents.nth(8).inner_text() == "3"

    # an indicator on the measure: its values are computed
    s.page.click("#indicator-new")
    s.page.wait_for_url(f"**/atgarder/{measure.pk}/indikatorer/ny/")
    s.check()
    s.page.fill("#id_name", "Klotter i centrum")
    s.page.select_option("#id_source", "incidents")
    s.page.select_option("#id_categories", [str(category("klotter").pk)])
    s.page.select_option("#id_areas", [str(centrum)])
    s.page.select_option("#id_granularity", "quarter")
    s.page.fill("#id_baseline_start", "2024-01-01")
    s.page.fill("#id_baseline_end", "2024-06-30")
    s.page.fill("#id_target_value", "2")
    s.page.click("#indicator-save")
    s.page.wait_for_url(re.compile(r"/indikatorer/\d+/$"))
    s.check()
    q1 = s.page.locator('#indicator-values tr[data-start="2024-01-01"]')
    q3 = s.page.locator('#indicator-values tr[data-start="2024-07-01"]')
    cats = [category("klotter")]
    area = [world.areas["centrum"]]
    assert (
        q1.get_attribute("data-count")
        == str(
            direct_events(world, dt.date(2024, 1, 1), dt.date(2024, 3, 31), areas=area, cats=cats)
        )
        == "8"
    )
    assert q3.get_attribute("data-count") == "3"
    assert s.page.locator("svg[role=img]").count() == 1

    # evaluate the measure with Nacksta as comparison area
    s.goto(f"{BASE}/insatser/?atgard={measure.pk}")
    s.page.click("#evaluation-new")
    s.page.wait_for_url(f"**/atgarder/{measure.pk}/utvarderingar/ny/")
    s.check()
    s.page.check(f"input[name=comparison_areas][value='{world.areas['nacksta'].pk}']")
    s.page.select_option("#id_categories", [str(category("klotter").pk)])
    s.page.fill("#id_before_start", "2024-01-01")
    s.page.fill("#id_before_end", "2024-06-30")
    s.page.fill("#id_after_start", "2024-07-01")
    s.page.fill("#id_after_end", "2024-12-31")
    s.page.click("#evaluation-save")
    s.page.wait_for_url(re.compile(r"/utvarderingar/\d+/$"))
    s.check()
    table = s.page.locator("#evaluation-result")
    assert table.get_attribute("data-design") == "did"
    assert s.page.locator('tr[data-group="treated"] td').all_inner_texts() == ["8", "3"]
    assert s.page.locator('tr[data-group="comparison"] td').all_inner_texts() == ["4", "5"]
    assert float(table.get_attribute("data-rate-ratio")) < 1
    assert s.page.locator("#evaluation-reading").inner_text().strip()
