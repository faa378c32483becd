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


def test_mapping_page_guesses_date_and_time_suggests_a_category_and_preselects_the_organisation(
    session_for, world, tmp_path
):
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    from ..incidents.factories import ImportJobFactory

    path = tmp_path / "kvarter.csv"
    path.write_text(
        "datum,tid,kategori,lat,lon,plats\n"
        "2024-03-05,21:15,Klotter,62.3908,17.3069,Torget\n"
        "2024-03-06,08:05,Skadegörelser,62.391,17.305,Parken\n"
        "2024-07-01,12:00,klottret,62.3908,17.3069,Stationen\n"
        "2024-03-07,10:00,Klottring,62.3908,17.3069,Torget\n",
        encoding="utf-8",
    )
    s = session_for("coordinator")
    s.goto(f"{BASE}/ny/")
    s.page.set_input_files("#id_file", str(path))
    s.page.click("main form button[type=submit]")
    s.page.wait_for_url(f"**{BASE}/*/kolumner/")
    s.check()
    # the date and the time of day as a pair, not "tid" as the combined field
    assert s.page.locator("#id_col_date").input_value() == "datum"
    assert s.page.locator("#id_col_time_of_day").input_value() == "tid"
    assert s.page.locator("#id_col_occurred_at").input_value() == ""
    # the coordinator's one organisation is the reporter
    assert s.page.locator("#id_organisation").input_value() == str(world.orgs["kommun"].pk)
    # inflected names are matched; the unlike value only gets a suggestion to tick
    rows = s.page.locator("#category-mapping tbody tr")
    assert rows.filter(has_text="Skadegörelser").locator("select").input_value() == "skadegorelse"
    assert rows.filter(has_text="klottret").locator("select").input_value() == "klotter"
    klottring = rows.filter(has_text="Klottring")
    assert klottring.locator("select").input_value() == ""
    suggestion = klottring.locator("[data-suggestion]")
    assert suggestion.is_visible()
    assert suggestion.inner_text().strip() == "Använd förslaget ”Klotter”"
    assert not suggestion.locator("input[type=checkbox]").is_checked()
    assert s.page.locator("#category-mapping [data-suggestion]").count() == 1
    suggestion.locator("label").click()  # the label ticks its box
    assert suggestion.locator("input[type=checkbox]").is_checked()
    s.page.click("button[name=action][value=start]")
    s.page.wait_for_url(re.compile(r".*/importer/\d+/$"))
    s.check()
    assert s.page.locator('[data-count="created"]').inner_text() == "4"
    sthlm = ZoneInfo("Europe/Stockholm")
    assert sorted(Incident.objects.values_list("occurred_from", "category__code")) == [
        (datetime(2024, 3, 5, 21, 15, tzinfo=sthlm), "klotter"),
        (datetime(2024, 3, 6, 8, 5, tzinfo=sthlm), "skadegorelse"),
        (datetime(2024, 3, 7, 10, 0, tzinfo=sthlm), "klotter"),
        (datetime(2024, 7, 1, 12, 0, tzinfo=sthlm), "klotter"),
    ]
    assert Incident.objects.filter(reporting_organisation=world.orgs["kommun"]).count() == 4
    # an import no worker has picked up within a minute says what must be started
    waiting = ImportJobFactory(
        municipality=world.sundsvall,
        created_by=world.users["coordinator"],
        options={"started": True},
        updated_ago=timedelta(minutes=2),
    )
    s.goto(f"{BASE}/{waiting.pk}/")
    text = s.page.locator("#import-waiting").inner_text()
    assert text.startswith("Ingen bakgrundsprocess har startat importen ännu.")
    assert "brygga-worker.service" in text and "brygga worker" in text
    s.goto(f"{BASE}/")
    assert s.page.locator("#worker-status").get_attribute("data-worker") == "not-seen"
