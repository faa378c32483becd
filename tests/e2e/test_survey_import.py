"""The survey import in a real browser: a coordinator uploads a CSV of responses, corrects the
mapping of a column the suggestion missed, sees the preview per area, confirms and waits for
the import to end. axe-core checks the upload, mapping, preview and result pages."""

import pytest

from brygga.surveys.models import SurveyResponse

from ..surveys.test_import import ROWS, to_csv, wave  # noqa: F401 - the fixture

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]
BASE = "/kommuner/2281/trygghetsmatning/2025/importera"


def test_upload_map_preview_confirm(session_for, world, wave, tmp_path):  # noqa: F811
    header = ["lopnr", "omr", "kon", "alder", "vikt", "klotter", "trygg_kvall", "oro_brott"]
    path = tmp_path / "svar.csv"
    path.write_bytes(to_csv(header=header, rows=ROWS))
    s = session_for("coordinator")
    s.goto(f"{BASE}/")
    s.page.set_input_files("#id_file", str(path))
    s.page.click("main form button[type=submit]")
    s.page.wait_for_url(f"**{BASE}/*/kolumner/")
    s.check()
    # "omr" is not a name Brygga knows: the coordinator says it holds the area code
    select = s.page.locator('tr[data-column="omr"] select')
    assert select.input_value() == ""
    assert s.page.locator('tr[data-column="klotter"] select').input_value() == "q:klotter"
    select.select_option("area_code")
    s.page.click("main form button[type=submit]:not([name])")
    s.page.wait_for_url(f"**{BASE}/*/")
    s.check()
    table = s.page.locator("#survey-per-area").inner_text()
    assert "Centrum" in table and "Nacksta" in table
    assert SurveyResponse.objects.count() == 0
    s.page.click("button[name=confirm]")
    s.page.wait_for_load_state("load")
    s.page.locator('#survey-job-status[data-state="done"], main h1').first.wait_for()
    if s.page.locator("#survey-job-status").count():
        s.page.locator('#survey-job-status[data-state="done"]').wait_for()
        assert s.page.locator('[data-count="responses"]').inner_text() == "4"
    s.check()
    assert SurveyResponse.objects.filter(wave=wave).count() == 4
