"""Administration → Gallring in a real browser: the municipal administrator opens the page from
the menu, sees what the next run removes per rule, is told in Swedish when a period is out of
range, shortens the period for deleted incidents and sees the count change. axe-core (WCAG 2.1
AA) and the console/CSP check run on every page visited."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from brygga.core.models import RetentionPeriod
from brygga.incidents.models import Incident

from ..incidents.factories import make_incident

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]
BASE = "/kommuner/2281"
PAGE = f"{BASE}/gallring/"


def _deleted(world, days: int) -> Incident:
    incident = make_incident(world)
    Incident.objects.filter(pk=incident.pk).update(deleted_at=timezone.now() - timedelta(days=days))
    return incident


def _submit(s) -> None:
    s.page.click("form[method=post] button[type=submit].button")
    s.page.wait_for_load_state("load")
    s.check()


def test_admin_shortens_a_retention_period_and_sees_the_next_run_grow(session_for, world):
    _deleted(world, 40)  # past the default 30 days
    _deleted(world, 10)  # inside it
    s = session_for("municipal_admin")
    page = s.page
    s.goto(f"{BASE}/")
    page.click(f"nav.main-nav a[href='{PAGE}']")
    page.wait_for_url(f"**{PAGE}")
    s.check()
    assert page.locator("h1").inner_text() == "Gallring"

    def count() -> str:
        return page.locator("#rule-incidentsdeleted [data-count]").get_attribute("data-count")

    field = page.get_by_label("Borttagna händelser")
    assert field.input_value() == "30" and count() == "1"

    # out of range: the page says so next to the field, and nothing is saved
    field.fill("0")
    _submit(s)
    error = page.locator("#rule-incidentsdeleted .error")
    assert error.inner_text() == "Mellan 1 och 365 dagar."
    assert not RetentionPeriod.objects.exists()

    page.get_by_label("Borttagna händelser").fill("7")
    page.click("form[method=post] button[type=submit].button")
    page.wait_for_url(f"**{PAGE}")
    page.wait_for_load_state("load")
    s.check()
    assert "Gallringsfristerna sparades." in page.locator(".messages").inner_text()
    assert page.get_by_label("Borttagna händelser").input_value() == "7"
    assert count() == "2"
    assert list(RetentionPeriod.objects.values_list("rule", "value")) == [("incidents.deleted", 7)]
    assert "2 rader" in page.locator("#retention-total").inner_text()
