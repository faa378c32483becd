"""A municipality's own categories in a real browser: a coordinator adds a sub-category, sees it
in the category list and in the report form's choices, then deactivates it and it is no longer
offered. axe-core (WCAG 2.1 AA) and the console/CSP check run on every page visited."""

from __future__ import annotations

import pytest

from brygga.incidents.models import Category

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]
BASE = "/kommuner/2281/handelser"
PAGES = f"{BASE}/kategorier/"


@pytest.fixture(autouse=True)
def default_categories(transactional_db):
    """Browser tests flush the database between tests; put the shipped categories back."""
    from brygga.audit.context import acting_as
    from brygga.incidents.models import PoliceTypeMapping
    from brygga.incidents.reference import load_default_categories

    with acting_as(label="test setup"):
        load_default_categories(Category, PoliceTypeMapping)


def _submit(s) -> None:
    s.page.click("button[type=submit].button")
    s.page.wait_for_load_state("load")
    s.check()


def test_coordinator_adds_a_sub_category_and_reporters_can_choose_it(session_for, world):
    s = session_for("coordinator")
    page = s.page
    s.goto(f"{BASE}/")
    page.click(f".subnav a[href='{PAGES}']")
    page.wait_for_url(f"**{PAGES}")
    s.check()
    klotter = page.locator("#categories tr[data-code='klotter']")
    assert "nationell" in klotter.inner_text() or "national" in klotter.inner_text()
    assert klotter.locator("a", has_text="Redigera").count() == 0  # national: read-only

    page.click(f"a.button[href='{PAGES}ny/']")
    page.wait_for_load_state("load")
    s.check()
    page.select_option("#id_parent", label="Klotter")
    _submit(s)  # no name: the form says so, next to the field
    assert page.locator(".field-error #id_name").count() == 1
    page.fill("#id_name", "Klotter på skola")
    page.fill("#id_description", "Skolgårdar och skolbyggnader")
    page.click("button[type=submit].button")
    page.wait_for_url(f"**{PAGES}")
    s.check()
    own = Category.objects.get(municipality=world.sundsvall)
    assert own.parent.code == "klotter" and own.code == "klotter-pa-skola"
    row = page.locator(f"#categories tr[data-code='{own.code}']")
    assert "Klotter på skola" in row.inner_text()
    # listed right after its main category's other sub-categories, before the next main one
    codes = page.locator("#categories tbody tr").evaluate_all(
        "rows => rows.map(r => r.dataset.code)"
    )
    assert codes.index("klotter") < codes.index(own.code) < codes.index("nedskrapning")

    # the report form offers it, grouped under its main category
    s.goto(f"{BASE}/rapportera/")
    option = page.locator(
        "#id_category optgroup[label='Klotter'] option", has_text="Klotter på skola"
    )
    assert option.count() == 1 and option.get_attribute("value") == str(own.pk)

    # deactivated (after the confirmation page), it is no longer offered
    s.goto(PAGES)
    row.locator(f"a[href='{PAGES}{own.pk}/aktivering/']").click()
    page.wait_for_load_state("load")
    s.check()
    page.click("button[type=submit].button-danger")
    page.wait_for_url(f"**{PAGES}")
    s.check()
    own.refresh_from_db()
    assert not own.is_active
    assert page.locator(f"#categories tr[data-code='{own.code}'] .tag-inactive").count() == 1
    s.goto(f"{BASE}/rapportera/")
    assert page.locator("#id_category option", has_text="Klotter på skola").count() == 0
