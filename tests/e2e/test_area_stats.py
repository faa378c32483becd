"""The area statistics in a real browser: upload an SCB export, see what it holds, confirm,
find the series on the statistics page and the population with rates on an area's page; a
faulty file lists its problems. axe-core checks every page."""

from pathlib import Path

import pytest

from brygga.areastats.models import StatValue
from brygga.core.models import Area

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]
BASE = "/kommuner/2281/statistik"
POPULATION = (
    Path(__file__).resolve().parents[1] / "areastats" / "fixtures" / "folkmangd_deso_sundsvall.csv"
)


def submit(s, path: Path) -> None:
    s.page.set_input_files("#id_file", str(path))
    s.page.click("main form button[type=submit]")
    s.page.wait_for_url(f"**{BASE}/importera/*/")
    s.check()


def test_upload_preview_confirm(session_for, world, tmp_path):
    s = session_for("coordinator")
    s.goto(f"{BASE}/")
    s.goto(f"{BASE}/importera/")
    submit(s, POPULATION)
    preview = s.page.locator("#stats-preview").inner_text()
    assert "Folkmängd, totalt" in preview and "2022, 2023" in preview
    assert StatValue.objects.count() == 0
    s.page.click("button[name=confirm]")
    s.page.wait_for_load_state("load")
    s.page.locator('#stats-job-status[data-state="done"]').wait_for()
    s.check()
    assert s.page.locator('[data-count="created"]').inner_text() == "59"
    assert StatValue.objects.count() == 59
    s.goto(f"{BASE}/")
    assert s.page.locator("#stats-series tbody tr").count() == 10  # 5 series × 2 years

    centrum = Area.objects.get(official_code="2281C1010")
    s.goto(f"/kommuner/2281/omraden/{centrum.pk}/")
    assert "2178" in s.page.locator(".area-population").inner_text().replace("\xa0", "").replace(
        " ", ""
    )

    # a file with a region that is no code: the problem named, nothing saved
    bad = tmp_path / "fel.csv"
    bad.write_text('"Folkmängd"\n\n"region";"år";"Folkmängd, totalt"\n"Okänd";"2023";"5"\n')
    s.goto(f"{BASE}/importera/")
    submit(s, bad)
    assert "Okänd" in s.page.locator("#stats-problems").inner_text()
    s.page.click("button[name=discard]")
    s.page.wait_for_url(f"**{BASE}/importera/")
    s.check()
    assert StatValue.objects.count() == 59
