"""The wave pages: a new wave from the national template or a codebook, its edit, its removal
after a confirmation that counts the responses, the questionnaire in words, the codebook upload
and download; 403 for members who may not define waves, 404 for another municipality's."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from brygga.audit.models import AuditEvent
from brygga.surveys.codebook import codebook_csv, codebook_xlsx, read_codebook
from brygga.surveys.models import SurveyIndex, SurveyQuestion, SurveyResponse, SurveyWave
from brygga.surveys.services import Respondent, load_template, wave_create, wave_responses_replace

pytestmark = pytest.mark.django_db

BASE = "/kommuner/2281/trygghetsmatning/"


def _wave(world, year=2025, **kw):
    return wave_create(
        actor=world.users["coordinator"], municipality=world.sundsvall, year=year, **kw
    )


def _form(world, **overrides):
    data = {
        "year": "2025",
        "name": "",
        "method": "postal",
        "vendor": "Demoinstitutet AB",
        "sample_size": "9000",
        "period_start": "2025-09-01",
        "period_end": "2025-10-31",
        "layer": str(world.areas["centrum"].layer_id),
        "description": "",
        "questionnaire": "template",
    }
    data.update(overrides)
    return data


def test_a_new_wave_from_the_template(world, client_for):
    client = client_for("analyst")
    assert client.get(BASE + "ny/").status_code == 200
    response = client.post(BASE + "ny/", _form(world))
    assert response.status_code == 302
    assert "/trygghetsmatning/2025/" in response["Location"]
    wave = SurveyWave.objects.get(municipality=world.sundsvall, year=2025)
    assert (wave.vendor, wave.sample_size, wave.layer_id) == (
        "Demoinstitutet AB",
        9000,
        world.areas["centrum"].layer_id,
    )
    assert "2025" in wave.name
    assert SurveyQuestion.objects.filter(wave=wave).count() == len(load_template()["questions"])
    assert set(SurveyIndex.objects.filter(wave=wave).values_list("code", flat=True)) == {
        "problemindex",
        "otrygghetsindex",
        "otrygga_kvall",
        "utsatthet",
    }


@pytest.mark.parametrize("suffix", ["csv", "xlsx"])
def test_a_new_wave_from_a_codebook(suffix, world, client_for):
    questionnaire = load_template()
    questionnaire["questions"] = questionnaire["questions"][:8]
    questionnaire["indices"] = questionnaire["indices"][:1]
    content = (codebook_csv if suffix == "csv" else codebook_xlsx)(questionnaire)
    upload = SimpleUploadedFile(f"leverantor.{suffix}", content)
    response = client_for("coordinator").post(
        BASE + "ny/", _form(world, year="2024", questionnaire="codebook", codebook=upload)
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    wave = SurveyWave.objects.get(municipality=world.sundsvall, year=2024)
    assert SurveyQuestion.objects.filter(wave=wave).count() == 8
    assert list(SurveyIndex.objects.filter(wave=wave).values_list("code", flat=True)) == [
        "problemindex"
    ]


def test_a_bad_codebook_or_a_taken_year_is_explained_and_nothing_is_saved(world, client_for):
    client = client_for("coordinator")
    bad = SimpleUploadedFile(
        "trasig.csv", "kod;fråga;svarsalternativ\nklotter;Klotter;Inget;\n".encode()
    )
    response = client.post(BASE + "ny/", _form(world, questionnaire="codebook", codebook=bad))
    assert response.status_code == 400
    text = response.content.decode()
    assert "trasig.csv" in text and "svarsalternativ" in text
    assert not SurveyWave.objects.filter(municipality=world.sundsvall).exists()
    response = client.post(BASE + "ny/", _form(world, questionnaire="codebook"))
    assert response.status_code == 400
    _wave(world)
    response = client.post(BASE + "ny/", _form(world))
    assert response.status_code == 400 and "2025" in response.content.decode()
    assert SurveyWave.objects.filter(municipality=world.sundsvall).count() == 1


def test_another_municipalitys_layer_is_not_offered(world, client_for):
    from brygga.core.models import AreaLayer

    timra_layer = AreaLayer.objects.filter(municipality=world.timra).first()
    assert timra_layer is not None
    response = client_for("coordinator").post(BASE + "ny/", _form(world, layer=str(timra_layer.pk)))
    assert response.status_code == 400
    assert not SurveyWave.objects.filter(municipality=world.sundsvall).exists()


def test_edit_a_wave(world, client_for):
    wave = _wave(world)
    client = client_for("coordinator")
    assert client.get(BASE + "2025/andra/").status_code == 200
    response = client.post(
        BASE + "2025/andra/",
        _form(world, name="Trygghetsmätningen 2025", sample_size="8500", year="1999"),
    )
    assert response.status_code == 302 and "/trygghetsmatning/2025/" in response["Location"]
    wave.refresh_from_db()
    assert (wave.name, wave.sample_size, wave.year) == ("Trygghetsmätningen 2025", 8500, 2025)
    response = client.post(
        BASE + "2025/andra/", _form(world, period_start="2025-11-01", period_end="2025-10-01")
    )
    assert response.status_code == 400


def test_removal_asks_first_and_says_how_many_responses_go(world, client_for):
    wave = _wave(world)
    area = world.areas["centrum"]
    wave_responses_replace(
        actor=world.users["coordinator"],
        wave=wave,
        respondents=[Respondent({"klotter": 2.0}, area_id=area.pk) for _ in range(37)],
    )
    client = client_for("coordinator")
    page = client.get(BASE + "2025/ta-bort/")
    assert page.status_code == 200
    assert "37" in page.content.decode()
    assert SurveyWave.objects.filter(pk=wave.pk).exists()
    response = client.post(BASE + "2025/ta-bort/")
    assert response.status_code == 302 and response["Location"].endswith("/trygghetsmatning/")
    assert not SurveyWave.objects.filter(pk=wave.pk).exists()
    assert not SurveyResponse.objects.filter(municipality=world.sundsvall).exists()
    event = AuditEvent.objects.filter(event_type="survey_wave_deleted").get()
    assert "37" in str(event.changes)


def test_the_questionnaire_in_words(world, client_for):
    _wave(world)
    page = client_for("viewer").get(BASE + "2025/fragor/")
    assert page.status_code == 200
    text = page.content.decode()
    for code in ("nedskrapning", "trygg_kvall", "problemindex", "utsatthet"):
        assert code in text
    assert "Ganska stort problem" in text and "Vet ej" in text
    assert "Går aldrig ut ensam sent en kväll" in text  # a missing value of trygg_kvall
    assert 'id="survey-questions"' in text
    assert '/2025/kodbok/"' not in text  # a viewer does not replace questions


def test_the_codebook_download_is_the_waves_questionnaire(world, client_for):
    _wave(world)
    client = client_for("viewer")
    response = client.get(BASE + "2025/kodbok/export/")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert "kodbok-2281-2025.csv" in response["Content-Disposition"]
    back = read_codebook(response.content, "kodbok.csv")
    assert [q["code"] for q in back["questions"]] == [
        q["code"] for q in load_template()["questions"]
    ]
    response = client.get(BASE + "2025/kodbok/export/?format=xlsx")
    assert "spreadsheetml" in response["Content-Type"]
    assert load_workbook(io.BytesIO(response.content)).sheetnames == ["Frågor", "Index"]


def test_replace_the_questions_from_a_codebook_until_there_are_responses(world, client_for):
    wave = _wave(world)
    questionnaire = load_template()
    questionnaire["questions"][0]["text"] = "Skräp på gator och torg"
    client = client_for("analyst")
    assert client.get(BASE + "2025/kodbok/").status_code == 200
    upload = SimpleUploadedFile("ny.csv", codebook_csv(questionnaire))
    response = client.post(BASE + "2025/kodbok/", {"codebook": upload})
    assert response.status_code == 302 and response["Location"].endswith("/2025/fragor/")
    assert SurveyQuestion.objects.get(wave=wave, code="nedskrapning").text.startswith("Skräp")
    wave_responses_replace(
        actor=world.users["coordinator"], wave=wave, respondents=[Respondent({"klotter": 1.0})]
    )
    upload = SimpleUploadedFile("igen.csv", codebook_csv(load_template()))
    response = client.post(BASE + "2025/kodbok/", {"codebook": upload})
    assert response.status_code == 400
    assert SurveyQuestion.objects.get(wave=wave, code="nedskrapning").text.startswith("Skräp")


@pytest.mark.parametrize("actor", ["viewer", "reporter", "case_worker"])
def test_members_who_may_not_define_waves_get_403(actor, world, client_for):
    _wave(world)
    client = client_for(actor)
    for url in ("ny/", "2025/andra/", "2025/ta-bort/", "2025/kodbok/"):
        assert client.get(BASE + url).status_code == 403
        assert client.post(BASE + url, _form(world)).status_code == 403
    assert SurveyWave.objects.filter(municipality=world.sundsvall).count() == 1


def test_another_municipalitys_wave_is_not_found(world, client_for):
    from brygga.core.access import SystemActor

    wave_create(actor=SystemActor("test"), municipality=world.timra, year=2023)
    client = client_for("coordinator")
    for url in ("2023/andra/", "2023/ta-bort/", "2023/fragor/", "2023/kodbok/"):
        assert client.get(BASE + url).status_code == 404
    assert client.post(BASE + "2023/ta-bort/").status_code == 404
    assert client.get(BASE + "2023/kodbok/export/").status_code == 404
    assert client.get("/kommuner/2262/trygghetsmatning/2023/fragor/").status_code == 404
    assert SurveyWave.objects.filter(municipality=world.timra).count() == 1
