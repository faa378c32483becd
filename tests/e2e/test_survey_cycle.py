"""The survey from file to figures in a real browser: a coordinator imports this year's file,
maps the column Brygga did not recognise, confirms, and lands on the results per area with the
change since last year's survey. axe-core checks every page on the way."""

import numpy as np
import pytest

from brygga.audit.context import acting_as
from brygga.core.models import Area
from brygga.surveys.services import wave_create

from ..surveys.factories import make_wave

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]
BASE = "/kommuner/2281/trygghetsmatning/2025"


def this_years_file(path) -> None:
    """60 respondents in each of Centrum and Nacksta; Centrum's feel much less safe than last
    year's (answers at the worse end), Nacksta's as before."""
    rng = np.random.default_rng(7)
    lines = ["lopnr;omr;kon;vikt;trygg_kvall;avstatt_aktivitet;oro_brott"]
    n = 0
    for code, worse in (("2281C1010", True), ("2281C1020", False)):
        for _ in range(60):
            n += 1
            if worse:
                answers = [rng.choice([3, 4]), rng.choice([2, 3]), rng.choice([3, 4])]
            else:
                answers = [
                    rng.choice([1, 2, 3, 4]),
                    rng.choice([1, 2, 3]),
                    rng.choice([1, 2, 3, 4]),
                ]
            gender = rng.choice(["Kvinna", "Man"])
            weight = f"{rng.uniform(0.5, 2.0):.2f}".replace(".", ",")
            lines.append(";".join([str(n), code, gender, weight, *map(str, answers)]))
    path.write_text("\n".join(lines), encoding="utf-8")


def test_import_map_and_see_the_change_per_area(session_for, world, tmp_path):
    centrum, nacksta = world.areas["centrum"], world.areas["nacksta"]
    coordinator = world.users["coordinator"]
    with acting_as(label="test setup"):
        Area.objects.filter(pk=centrum.pk).update(official_code="2281C1010")
        Area.objects.filter(pk=nacksta.pk).update(official_code="2281C1020")
        make_wave(
            coordinator, world.sundsvall, 2024, {centrum: 80, nacksta: 80}, layer=centrum.layer
        )
        wave_create(actor=coordinator, municipality=world.sundsvall, year=2025, layer=centrum.layer)
    path = tmp_path / "trygghet2025.csv"
    this_years_file(path)

    s = session_for("coordinator")
    s.goto(f"{BASE}/importera/")
    s.check()
    s.page.set_input_files("#id_file", str(path))
    s.page.click("main form button[type=submit]")
    s.page.wait_for_url(f"**{BASE}/importera/*/kolumner/")
    s.check()
    area_column = s.page.locator('tr[data-column="omr"] select')
    assert area_column.input_value() == ""  # "omr" is no name Brygga knows
    area_column.select_option("area_code")
    s.page.click("main form button[type=submit]:not([name])")
    s.page.wait_for_url(f"**{BASE}/importera/*/")
    s.check()
    per_area = s.page.locator("#survey-per-area").inner_text()
    assert "Centrum" in per_area and "60" in per_area
    s.page.click("button[name=confirm]")
    # the import runs (inline in tests, so it is done when its page opens; with a worker the
    # page polls and then moves on to the results by itself): its summary links the results
    s.page.locator('#survey-job-status[data-state="done"]').wait_for()
    assert s.page.locator('[data-count="responses"]').inner_text() == "120"
    s.check()
    s.page.locator(f'main a[href$="{BASE}/"]').first.click()
    s.page.wait_for_url(f"**{BASE}/")
    s.check()
    table = s.page.locator("#table-otrygghetsindex")
    centrum_row = table.locator("tr", has=s.page.locator("th", has_text="Centrum"))
    nacksta_row = table.locator("tr", has=s.page.locator("th", has_text="Nacksta"))
    assert "60" in centrum_row.inner_text()
    assert centrum_row.locator(".change-clear").count() == 1  # clearly less safe than 2024
    assert centrum_row.locator("td").nth(3).inner_text().startswith("+")
    assert nacksta_row.locator(".change-clear").count() == 0
    # the area's own page: its indices over both years
    centrum_row.locator("th a").click()
    s.page.wait_for_url(f"**{BASE}/omrade/{centrum.pk}/")
    s.check()
    assert "2024" in s.page.locator("main").inner_text()
