"""The import pages: upload → column mapping → preview → confirmation → progress, with the
replace confirmation, the problems table and the postcode table; and the import-survey
command."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from brygga.surveys.models import PostcodeArea, SurveyImport, SurveyResponse

from .test_import import HEADER, ROWS, to_csv, wave  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db


def url(name, wave, *args):  # noqa: F811
    return reverse(f"surveys:{name}", args=[wave.municipality.code, wave.year, *args])


def upload(client, wave, content, name="svar.csv"):  # noqa: F811
    return client.post(
        url("survey_import_upload", wave), {"file": SimpleUploadedFile(name, content)}
    )


def mapping_post(client, wave, job, changes=None, **extra):  # noqa: F811
    page = client.get(url("survey_import_mapping", wave, job.pk))
    form = page.context["form"]
    data = {f"col_{n}": form[f"col_{n}"].value() or "" for n in range(len(form.columns))}
    for column, target in (changes or {}).items():
        data[f"col_{form.columns.index(column)}"] = target
    data.update(extra)
    return client.post(url("survey_import_mapping", wave, job.pk), data)


def test_upload_map_preview_confirm_and_done(world, wave, client_for):  # noqa: F811
    client = client_for("coordinator")
    header = ["lopnr", "omr", *HEADER[2:]]
    response = upload(client, wave, to_csv(header=header))
    job = SurveyImport.objects.get(wave=wave)
    assert response.status_code == 302 and response["Location"].endswith(
        url("survey_import_mapping", wave, job.pk)
    )
    page = client.get(url("survey_import_mapping", wave, job.pk))
    assert page.status_code == 200 and b"2281C1010" in page.content
    assert b"keep_file" not in page.content  # a coordinator cannot keep the file
    response = mapping_post(client, wave, job, {"omr": "area_code"})
    assert response.status_code == 302
    page = client.get(url("survey_import", wave, job.pk))
    assert page.status_code == 200 and b'id="survey-per-area"' in page.content
    assert b"Centrum" in page.content and b"Nacksta" in page.content
    response = client.post(url("survey_import", wave, job.pk), {"confirm": "1"})
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.state == "done" and SurveyResponse.objects.filter(wave=wave).count() == 4
    page = client.get(url("survey_import", wave, job.pk))
    assert b'data-state="done"' in page.content and b'data-count="responses">4<' in page.content


def test_the_preview_lists_problems_and_cannot_be_confirmed(world, wave, client_for):  # noqa: F811
    client = client_for("analyst")
    rows = [r[:] for r in ROWS] * 30
    for n, r in enumerate(rows):
        r[0], r[5] = str(n), "7"
    upload(client, wave, to_csv(rows=rows))
    job = SurveyImport.objects.get(wave=wave)
    page = client.get(url("survey_import", wave, job.pk))
    assert b'id="survey-problems"' in page.content and b"120" in page.content
    assert page.content.count(b"svar.csv, r") == 50
    response = client.post(url("survey_import", wave, job.pk), {"confirm": "1"})
    assert response.status_code == 400
    job.refresh_from_db()
    assert job.state == "preview" and not SurveyResponse.objects.exists()


def test_a_reimport_asks_for_confirmation_on_the_page(world, wave, client_for):  # noqa: F811
    client = client_for("coordinator")
    for n, confirm in enumerate([{}, {"replace_confirmed": "on"}]):
        upload(client, wave, to_csv(rows=ROWS[: 4 - n]))
        job = SurveyImport.objects.filter(wave=wave).first()
        if n == 0:
            client.post(url("survey_import", wave, job.pk), {"confirm": "1"})
            continue
        page = client.get(url("survey_import", wave, job.pk))
        assert b'id="survey-replace-note"' in page.content and b"4" in page.content
        refused = client.post(url("survey_import", wave, job.pk), {"confirm": "1"})
        assert refused.status_code == 400
        assert SurveyResponse.objects.filter(wave=wave).count() == 4
        client.post(url("survey_import", wave, job.pk), {"confirm": "1", **confirm})
    assert SurveyResponse.objects.filter(wave=wave).count() == 3


def test_a_municipal_administrator_may_keep_the_file(world, wave, client_for):  # noqa: F811
    client = client_for("municipal_admin")
    upload(client, wave, to_csv())
    job = SurveyImport.objects.get(wave=wave)
    assert b"keep_file" in client.get(url("survey_import_mapping", wave, job.pk)).content
    mapping_post(client, wave, job, keep_file="on")
    client.post(url("survey_import", wave, job.pk), {"confirm": "1"})
    job.refresh_from_db()
    assert job.state == "done" and job.keep_until is not None and bytes(job.content)


def test_an_unreadable_upload_is_refused_with_the_file_name(world, wave, client_for):  # noqa: F811
    response = upload(client_for("coordinator"), wave, b"nonsense", "svar.xlsx")
    assert response.status_code == 400 and b"svar.xlsx" in response.content
    assert not SurveyImport.objects.exists()


def test_the_progress_partial_for_htmx(world, wave, client_for):  # noqa: F811
    client = client_for("coordinator")
    upload(client, wave, to_csv())
    job = SurveyImport.objects.get(wave=wave)
    SurveyImport.objects.filter(pk=job.pk).update(state="running", total_rows=4, done_rows=2)
    part = client.get(url("survey_import", wave, job.pk), headers={"HX-Request": "true"})
    assert b'data-state="running"' in part.content and b'value="50"' in part.content
    assert b"hx-get" in part.content and b"<html" not in part.content


def test_the_postcode_table_page(world, wave, client_for):  # noqa: F811
    client = client_for("coordinator")
    content = "postnummer;område\n85230;2281C1010\n85357;Nacksta\n".encode()
    response = client.post(
        url("survey_postcodes", wave), {"file": SimpleUploadedFile("postnr.csv", content)}
    )
    assert response.status_code == 302
    assert PostcodeArea.objects.filter(layer=wave.layer).count() == 2
    bad = client.post(
        url("survey_postcodes", wave),
        {"file": SimpleUploadedFile("postnr.csv", b"85230;Ingenstans\n")},
    )
    assert bad.status_code == 400 and b"Ingenstans" in bad.content
    assert PostcodeArea.objects.filter(layer=wave.layer).count() == 2


def test_the_command_prints_a_summary_or_the_problems(world, wave, tmp_path, capsys):  # noqa: F811
    good = tmp_path / "svar.csv"
    good.write_bytes(to_csv())
    call_command(
        "import-survey", str(good), "--municipality", "2281", "--year", "2025", "--dry-run"
    )
    out = capsys.readouterr().out
    # four respondents in all; per area under the threshold, as everywhere
    assert "4 " in out and "Centrum: <30" in out and "Nacksta: <30" in out
    assert "Centrum: 2" not in out
    assert not SurveyResponse.objects.exists()
    call_command("import-survey", str(good), "--municipality", "2281", "--year", "2025")
    assert SurveyResponse.objects.filter(wave=wave).count() == 4
    with pytest.raises(CommandError):
        call_command("import-survey", str(good), "--municipality", "2281", "--year", "2025")
    call_command(
        "import-survey", str(good), "--municipality", "2281", "--year", "2025", "--replace"
    )
    bad = tmp_path / "fel.csv"
    rows = [r[:] for r in ROWS]
    rows[0][6] = "12"
    bad.write_bytes(to_csv(rows=rows))
    with pytest.raises(CommandError):
        call_command(
            "import-survey", str(bad), "--municipality", "2281", "--year", "2025", "--replace"
        )
    assert "fel.csv" in capsys.readouterr().err
    with pytest.raises(CommandError):
        call_command(
            "import-survey",
            str(good),
            "--municipality",
            "2281",
            "--year",
            "2025",
            "--map",
            "deso=finns_inte",
        )
    assert SurveyResponse.objects.filter(wave=wave).count() == 4


def test_the_postcode_command(world, wave, tmp_path, capsys):  # noqa: F811
    table = tmp_path / "postnr.csv"
    table.write_text("85230;Centrum\n85357;2281C1020\n", encoding="utf-8")
    call_command("import-postcodes", str(table), "--municipality", "2281", "--year", "2025")
    assert "2" in capsys.readouterr().out
    assert PostcodeArea.objects.filter(layer=wave.layer).count() == 2
    table.write_text("85230;Centrum\n85230;Nacksta\n", encoding="utf-8")
    with pytest.raises(CommandError):
        call_command("import-postcodes", str(table), "--municipality", "2281", "--year", "2025")
    assert "85230" in capsys.readouterr().err


def test_the_progress_ends_on_the_results_page(world, wave, client_for):  # noqa: F811
    """Once done, the polled status sends the browser to the wave's results."""
    results = f"/kommuner/2281/trygghetsmatning/{wave.year}/"
    client = client_for("coordinator")
    upload(client, wave, to_csv())
    job = SurveyImport.objects.get(wave=wave)
    client.post(url("survey_import", wave, job.pk), {"confirm": "1"})
    part = client.get(url("survey_import", wave, job.pk), headers={"HX-Request": "true"})
    assert part.status_code == 200 and part["HX-Redirect"] == results
    # the summary goes with the browser to the results page
    landed = client.get(results).content.decode()
    success = landed.split('class="message message-success">')[1].split("</p>")[0]
    assert success.startswith("4 ") and wave.name in success
    page = client.get(url("survey_import", wave, job.pk))
    assert f'href="{results}"'.encode() in page.content


def test_the_mapping_page_shows_each_columns_values_sorted_never_a_respondents_row(
    world,
    wave,  # noqa: F811
    client_for,
):
    """The column examples are each column's different values, sorted: they help to map the
    column but never line up into the first respondents' rows (regression: the page showed the
    first three values of every column in file order)."""
    client = client_for("coordinator")
    content = to_csv(
        header=["lopnr", "omr", "klotter"],
        rows=[
            ["7", "2281C1020", "4"],
            ["3", "2281C1010", "1"],
            ["5", "2281C1010", "2"],
            *[[str(10 + i), "2281C1010", "2"] for i in range(10)],
        ],
    )
    upload(client, wave, content)
    job = SurveyImport.objects.get(wave=wave)
    page = client.get(url("survey_import_mapping", wave, job.pk)).content.decode()

    def examples(column):
        row = page.split(f'data-column="{column}"')[1].split("</tr>")[0]
        return row.split("<td>")[1].split("</td>")[0]

    assert examples("omr") == "2281C1010, 2281C1020"
    assert examples("klotter") == "1, 2, 4"
    assert examples("lopnr").startswith("3, 5, 7, 10, 11, 12 … (13 ")
    assert "7, " not in examples("lopnr")[:3]  # the first respondent is not first
