"""The incident list in the browser: a quick date choice and sorting by column, both with the
keyboard, the date-order error; axe-core and the console check on every page visited."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from brygga.incidents.models import Category

from ..incidents.factories import make_incident

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]
BASE = "/kommuner/2281/handelser/"


@pytest.fixture(autouse=True)
def default_categories(transactional_db):
    """Browser tests flush the database between tests; put the shipped categories back."""
    from brygga.audit.context import acting_as
    from brygga.incidents.models import PoliceTypeMapping
    from brygga.incidents.reference import load_default_categories

    with acting_as(label="test setup"):
        load_default_categories(Category, PoliceTypeMapping)


def _cat(code: str) -> Category:
    return Category.objects.get(code=code, municipality__isnull=True)


def _rows(page) -> list[str]:
    return page.locator("table.incidents tbody tr td:nth-child(3)").all_inner_texts()


def _press(page, name: str) -> None:
    """Reach a link with the keyboard and follow it with Enter."""
    link = page.get_by_role("link", name=name, exact=True)
    link.focus()
    assert page.evaluate("document.activeElement.textContent.trim()").startswith(name)
    with page.expect_navigation():
        page.keyboard.press("Enter")


def test_quick_dates_and_sorting_by_keyboard(session_for, world):
    now = timezone.now()
    make_incident(
        world,
        occurred_from=now - dt.timedelta(days=2),
        category=_cat("klotter-stotande"),
        area=world.areas["nacksta"],
    )
    make_incident(
        world,
        occurred_from=now - dt.timedelta(days=1),
        category=_cat("skadegorelse-fonster"),
        area=world.areas["centrum"],
    )
    make_incident(world, occurred_from=now - dt.timedelta(days=20), area=world.areas["centrum"])
    s = session_for("coordinator")
    s.goto(BASE)
    page = s.page
    assert "3 händelser" in page.locator("#incidents-summary").inner_text()

    _press(page, "Senaste 7 dagarna")
    s.check()
    today = timezone.localdate()
    assert f"date_from={(today - dt.timedelta(days=6)).isoformat()}" in page.url
    assert page.locator("#id_date_to").input_value() == today.isoformat()
    assert "2 händelser" in page.locator("#incidents-summary").inner_text()
    assert page.locator('.quick-dates a[aria-current="true"]').inner_text() == "Senaste 7 dagarna"
    assert _rows(page) == ["Centrum", "Nacksta"]  # newest first
    when = page.locator("th", has_text="När")
    assert when.get_attribute("aria-sort") == "descending"

    _press(page, "Var")
    s.check()
    where = page.locator("th", has_text="Var")
    assert where.get_attribute("aria-sort") == "ascending"
    assert page.locator("th", has_text="När").get_attribute("aria-sort") is None
    assert _rows(page) == ["Centrum", "Nacksta"]
    assert "date_from=" in page.url  # the quick choice stays

    _press(page, "Var")
    s.check()
    assert page.locator("th", has_text="Var").get_attribute("aria-sort") == "descending"
    assert _rows(page) == ["Nacksta", "Centrum"]

    # "Till" before "Från": the form says so in Swedish, the list is not emptied
    page.fill("#id_date_from", "2026-02-01")
    page.fill("#id_date_to", "2026-01-01")
    with page.expect_navigation():
        page.locator("#id_date_to").press("Enter")
    s.check()
    assert "är före" in page.locator(".filter-field.field-error").inner_text()
    assert "3 händelser" in page.locator("#incidents-summary").inner_text()
    # the order chosen survives the form
    assert page.locator("th", has_text="Var").get_attribute("aria-sort") == "descending"
