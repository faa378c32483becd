"""The report-back in a real browser: the coordinator starts one for the safety group's plan
from the list, writes what we learned, issues it after the confirmation, and the issued page
still shows the hours of the period after more work is logged; the field worker (a member of
the group) reads it and downloads its PDF. axe-core checks every page."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from ..plans import factories as f

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]
BASE = "/kommuner/2281/aterrapporter"


def _at(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime(day.year, day.month, day.day, 19))


def test_coordinator_issues_a_report_back(session_for, world):
    plan = f.plan(world.sundsvall, forum=world.forums["safety"], title="Trygg i centrum")
    walks = f.measure(plan, world.orgs["field"], title="Kvällsvandringar", status="ongoing")
    for day, hours in [(dt.date(2025, 2, 7), "6.0"), (dt.date(2025, 3, 14), "4.5")]:
        f.operation(world.sundsvall, measure=walks, started_at=_at(day), hours=Decimal(hours))

    s = session_for("coordinator")
    s.goto(f"{BASE}/")
    s.page.click(f"#fu-new-links a[href$='/planer/{plan.pk}/aterrapporter/ny/']")
    s.page.wait_for_url(f"**/planer/{plan.pk}/aterrapporter/ny/")
    s.check()
    s.page.fill("#id_title", "Återrapport första halvåret")
    s.page.fill("#id_period_start", "2025-01-01")
    s.page.fill("#id_period_end", "2025-06-30")
    s.page.click("#fu-create")
    s.page.wait_for_url(f"**{BASE}/*/")
    s.check()
    row = s.page.locator(f"#fu-measures-table tr[data-measure='{walks.pk}']")
    assert "10,5" in row.inner_text()  # 6.0 + 4.5 hours
    s.page.fill("#id_learned", "Kvällsvandringarna behöver fler vuxna på fredagar.")
    s.page.click("#fu-save")
    s.page.wait_for_load_state("load")
    assert "fler vuxna" in s.page.locator("#fu-learned").inner_text()
    report_url = s.page.url

    s.page.click("#fu-issue")
    s.page.wait_for_url("**/utfarda/")
    s.check()
    s.page.click("#fu-issue-confirm")
    s.page.wait_for_url(report_url)
    s.check()
    assert s.page.locator("#fu-state").get_attribute("data-state") == "issued"
    assert s.page.locator("#fu-issue").count() == 0

    # more work in the period after it was issued: the report-back does not change
    f.operation(
        world.sundsvall, measure=walks, started_at=_at(dt.date(2025, 4, 4)), hours=Decimal("20.0")
    )
    r = session_for("reporter")
    r.goto(report_url.removeprefix(r.base_url))
    r.check()
    assert (
        "10,5" in r.page.locator(f"#fu-measures-table tr[data-measure='{walks.pk}']").inner_text()
    )
    with r.page.expect_download() as download:
        r.page.click("#fu-pdf")
    with open(download.value.path(), "rb") as pdf:
        assert pdf.read(5) == b"%PDF-"
