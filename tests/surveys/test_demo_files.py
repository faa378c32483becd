"""The demo waves as a vendor would deliver them — CSV, Excel and SPSS — each imported through
the import pipeline: the three formats give the same respondents and the same results, and the
same results as the demo's own loader."""

from __future__ import annotations

import csv
import io

import pytest

from brygga.core.demo import load_demo
from brygga.core.models import Municipality
from brygga.surveys import demo
from brygga.surveys.models import SurveyResponse, SurveyWave
from brygga.surveys.selectors import results_dict, wave_results
from brygga.surveys.services import load_template, wave_create, wave_responses_replace
from brygga.surveys.services.imports import import_survey_file

pytestmark = pytest.mark.django_db
YEARS = (2023, 2024, 2025)


def as_csv(columns, rows) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        # Swedish decimal comma for the weight, empty cells for no answer
        writer.writerow(
            [
                "" if v is None else str(v).replace(".", ",") if isinstance(v, float) else v
                for v in row
            ]
        )
    return out.getvalue().encode("cp1252")


def as_xlsx(columns, rows) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "Svar"
    sheet.append(columns)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def as_sav(columns, rows, tmp_path) -> bytes:
    """SPSS as vendors deliver it: codes with value labels, "vet ej" declared missing, gender
    as a labelled code."""
    import pandas as pd
    import pyreadstat

    questions = {q["code"]: q for q in load_template()["questions"]}
    genders = {"Kvinna": 1, "Man": 2}
    frame = pd.DataFrame(rows, columns=columns)
    frame["kon"] = frame["kon"].map(genders)
    labels = {"kon": {1: "Kvinna", 2: "Man"}}
    missing = {}
    for code, q in questions.items():
        frame[code] = frame[code].astype(float)
        labels[code] = {int(o["value"]): o["label"] for o in q["scale"]}
        missing[code] = [int(v) for v in q["missing"]]
    path = tmp_path / "svar.sav"
    pyreadstat.write_sav(frame, str(path), variable_value_labels=labels, missing_ranges=missing)
    return path.read_bytes()


def results_of(wave) -> dict:
    wave.refresh_from_db()
    return results_dict(wave_results(wave))


def stored(wave) -> list[tuple]:
    return sorted(
        (r.area_id, r.age_group, r.gender, r.weight, tuple(sorted(r.answers.items())))
        for r in SurveyResponse.objects.filter(wave=wave)
    )


@pytest.fixture
def sundsvall(db):
    load_demo()
    return Municipality.objects.get(code="2281")


def test_the_demo_waves_as_csv_xlsx_and_sav_import_to_identical_results(sundsvall, tmp_path):
    from brygga.core.access import SystemActor

    actor = SystemActor("tests")
    layer = demo.demo_layer(sundsvall)
    for year in YEARS:
        columns, rows = demo.demo_wave_table(sundsvall, year)
        wave = wave_create(actor=actor, municipality=sundsvall, year=year, layer=layer)
        seen = []
        for name, content in [
            (f"svar{year}.csv", as_csv(columns, rows)),
            (f"svar{year}.xlsx", as_xlsx(columns, rows)),
            (f"svar{year}.sav", as_sav(columns, rows, tmp_path)),
        ]:
            _, summary = import_survey_file(
                actor=actor,
                municipality=sundsvall,
                year=year,
                file_name=name,
                content=content,
                columns={"omrade": "area_name"},
                replace=True,
            )
            assert summary.responses == len(rows), name
            seen.append((stored(wave), results_of(wave)))
        # and as the demo's own loader stores them
        areas = {a.name: a for a in demo.demo_areas(sundsvall)}
        wave_responses_replace(
            actor=actor, wave=wave, respondents=demo.respondents_from_table(columns, rows, areas)
        )
        seen.append((stored(wave), results_of(wave)))
        assert seen[0] == seen[1] == seen[2] == seen[3], year
        results = seen[0][1]
        assert len(results["areas"]) == 13, year
    assert SurveyWave.objects.filter(municipality=sundsvall).count() == 3
