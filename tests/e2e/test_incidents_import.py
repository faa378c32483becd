"""The CSV/Excel import in a real browser: upload → preview and mapping → result with row
errors → import the valid rows; axe-core checks every page on the way."""

import re

import pytest

from brygga.incidents.models import ImportJob, ImportProfile, Incident

from ..incidents.factories import HEADER, csv_bytes, row, xlsx

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]
BASE = "/kommuner/2281/handelser/importer"


@pytest.fixture(autouse=True)
def categories(transactional_db):
    """The default categories come from a data migration, which a transactional test's flush
    removes: put them back."""
    from brygga.incidents.models import Category, PoliceTypeMapping
    from brygga.incidents.reference import load_default_categories

    load_default_categories(Category, PoliceTypeMapping)


def test_upload_mapping_result_and_valid_rows(session_for, world, tmp_path):
    path = tmp_path / "rapporter.csv"
    path.write_bytes(
        csv_bytes(
            [row("A1", text="Tags på vägg"), row("A2", cat="Tags"), row("A3", when="2024-02-30")],
            encoding="cp1252",
        )
    )
    s = session_for("analyst")
    s.goto(f"{BASE}/")
    s.goto(f"{BASE}/ny/")
    s.page.set_input_files("#id_file", str(path))
    s.page.click("main form button[type=submit]")
    s.page.wait_for_url(f"**{BASE}/*/kolumner/")
    s.check()
    assert s.page.locator("#preview tbody tr").count() == 3
    assert s.page.locator('[data-detected="encoding"]').inner_text() == "Windows-1252"
    assert s.page.locator("#id_col_occurred_at").input_value() == "Tidpunkt"
    # the value "Tags" is not a category: map it, and save the mapping as a profile
    s.page.locator("#category-mapping tbody tr", has_text="Tags").locator("select").select_option(
        "klotter"
    )
    s.page.check("#id_save_profile")
    s.page.fill("#id_profile_name", "Fältappen")
    s.page.click("button[name=action][value=start]")
    s.page.wait_for_url(re.compile(r".*/importer/\d+/$"))
    s.check()
    job = ImportJob.objects.get()
    assert job.state == "failed" and not Incident.objects.exists()
    errors = s.page.locator("#import-errors tbody tr")
    assert errors.count() == 1
    assert errors.first.locator("td").nth(0).inner_text() == "4"
    assert errors.first.locator("td").nth(1).inner_text() == "Tidpunkt"
    assert ImportProfile.objects.get().mapping["categories"]["tags"] == "klotter"
    # import the valid rows without uploading again
    s.page.click("button[name=action][value=valid_only]")
    s.page.wait_for_url(re.compile(r".*/importer/\d+/$"))
    s.check()
    assert s.page.locator('[data-count="created"]').inner_text() == "2"
    assert Incident.objects.count() == 2
    s.goto(f"{BASE}/")
    assert s.page.locator("#import-jobs tbody tr").count() == 1
    s.goto(f"{BASE}/profiler/")
    s.goto(f"{BASE}/profiler/{ImportProfile.objects.get().pk}/ta-bort/")


def test_excel_workbook_with_several_sheets(session_for, world, tmp_path):
    path = tmp_path / "bok.xlsx"
    path.write_bytes(
        xlsx(
            {
                "Info": [["Export från systemet"]],
                "Data": [HEADER, ["X1", "2024-03-05 21:30", "Klotter", 62.39, 17.30, "a"]],
            }
        )
    )
    s = session_for("coordinator")
    s.goto(f"{BASE}/ny/")
    s.page.set_input_files("#id_file", str(path))
    s.page.click("main form button[type=submit]")
    s.page.wait_for_url(f"**{BASE}/*/kolumner/")
    s.check()
    s.page.select_option("#id_sheet", "Data")
    s.page.click("button[name=action][value=refresh]")
    s.page.wait_for_load_state("load")
    s.check()
    assert s.page.locator('[data-detected="sheet"]').inner_text() == "Data"
    s.page.select_option("#id_col_occurred_at", "Tidpunkt")
    s.page.select_option("#id_col_category", "Kategori")
    s.page.select_option("#id_col_lat", "Lat")
    s.page.select_option("#id_col_lon", "Lon")
    s.page.click("button[name=action][value=start]")
    s.page.wait_for_url(re.compile(r".*/importer/\d+/$"))
    s.check()
    assert s.page.locator('[data-count="created"]').inner_text() == "1"
