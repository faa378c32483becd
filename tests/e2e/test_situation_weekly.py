"""The EST weekly picture in a real browser: a reporter opens their safety group's week, sees
what stands out and who did not report, assesses the group's area for their organisation,
turns the e-mail on, and finds the week on the group's page. axe-core checks each page."""

import datetime as dt

import pytest
from django.utils import timezone

from ..incidents.factories import category, make_incident

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def _monday(weeks_ago=1):
    today = timezone.localdate()
    return today - dt.timedelta(days=today.weekday() + 7 * weeks_ago)


def test_a_reporter_reads_and_assesses_the_week(session_for, world):
    week = _monday(1)
    glass = category("skadegorelse-fonster")
    for k in range(1, 9):
        make_incident(
            world,
            area=world.areas["centrum"],
            category=glass,
            occurred_from=timezone.make_aware(
                dt.datetime.combine(week - dt.timedelta(weeks=k), dt.time(20))
            ),
        )
    for h in range(7):
        make_incident(
            world,
            area=world.areas["centrum"],
            category=glass,
            occurred_from=timezone.make_aware(dt.datetime.combine(week, dt.time(10 + h))),
        )
    reporter = world.users["reporter"]
    reporter.email = "falt@example.se"
    reporter.save()
    s = session_for("reporter")
    s.goto("/kommuner/2281/lagesbild/veckobild/")
    s.check()
    page = s.page
    assert page.locator("#weekly-categories tr.row-stands-out").count() == 1
    assert "Mitthem" in page.locator("section[aria-labelledby=weekly-round]").inner_text()
    form = page.locator("form.assessment-form")
    form.get_by_label("Oroligt", exact=True).check()
    form.get_by_role("button").click()
    page.wait_for_load_state()
    s.check()
    row = page.locator("#weekly-areas tbody tr", has_text="Centrum")
    assert "3,0" in row.inner_text() or "3.0" in row.inner_text()
    page.locator("section[aria-labelledby=weekly-digest] button").click()
    page.wait_for_load_state()
    assert (
        page.locator("section[aria-labelledby=weekly-digest] input[name=on][value='0']").count()
        == 1
    )
    s.goto(f"/kommuner/2281/forum/{world.forums['safety'].pk}/")
    s.check()
    assert page.locator("#panel-weekly-heading").count() == 1
