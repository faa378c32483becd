"""Defining a survey wave in a real browser: a coordinator creates the year's wave from the
national template, reads its questions and indices, replaces them from an uploaded codebook,
and removes the wave after the confirmation page. axe-core checks every page."""

from pathlib import Path

import pytest

from brygga.surveys.codebook import codebook_csv
from brygga.surveys.models import SurveyQuestion, SurveyWave
from brygga.surveys.services import load_template

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]
BASE = "/kommuner/2281/trygghetsmatning"


def test_define_a_wave_read_its_questions_replace_them_and_remove_it(
    session_for, world, tmp_path: Path
):
    s = session_for("coordinator")
    s.goto(f"{BASE}/ny/")
    s.page.fill("#id_year", "2025")
    s.page.fill("#id_sample_size", "9000")
    s.page.select_option("#id_method", "mixed")
    s.page.click("main form button[type=submit]")
    s.page.wait_for_url(f"**{BASE}/2025/**")
    wave = SurveyWave.objects.get(municipality=world.sundsvall, year=2025)
    assert wave.sample_size == 9000

    s.goto(f"{BASE}/2025/fragor/")
    assert s.page.locator("#survey-questions tbody tr").count() == 16
    assert s.page.locator("#index-problemindex").count() == 1

    questionnaire = load_template()
    questionnaire["questions"][1]["text"] = "Klotter på husväggar"
    path = tmp_path / "kodbok.csv"
    path.write_bytes(codebook_csv(questionnaire))
    s.goto(f"{BASE}/2025/kodbok/")
    s.page.set_input_files("#id_codebook", str(path))
    s.page.click("main form button[type=submit]")
    s.page.wait_for_url(f"**{BASE}/2025/fragor/")
    s.check()
    assert "Klotter på husväggar" in s.page.locator("#survey-questions").inner_text()
    assert SurveyQuestion.objects.get(wave=wave, code="klotter").text == "Klotter på husväggar"

    s.goto(f"{BASE}/2025/ta-bort/")
    assert "0" in s.page.locator("#wave-delete-responses").inner_text()
    s.page.click("main form button[type=submit]")
    s.page.wait_for_load_state("load")
    assert not SurveyWave.objects.filter(pk=wave.pk).exists()
