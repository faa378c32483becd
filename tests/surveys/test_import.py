"""The survey import: mapping suggestions, the check of every row (each bad input of issue #14
with its own test), atomicity, the replace confirmation and the job's states."""

from __future__ import annotations

import pytest
from django.utils import timezone

from brygga.audit.context import acting_as
from brygga.core.models import Area
from brygga.surveys.mapping import suggest_mapping
from brygga.surveys.models import SurveyImport, SurveyResponse, SurveyWave
from brygga.surveys.readers import read_file
from brygga.surveys.services import wave_create
from brygga.surveys.services.imports import (
    SurveyImportError,
    import_survey_file,
    preview_of,
    recover_stale_imports,
    survey_import_map,
    survey_import_preview,
    survey_import_queue,
)
from brygga.surveys.tasks import run_survey_import

pytestmark = pytest.mark.django_db

HEADER = ["lopnr", "deso", "kon", "alder", "vikt", "klotter", "trygg_kvall", "oro_brott"]
ROWS = [
    ["1", "2281C1010", "Kvinna", "16-29", "1,5", "3", "2", "1"],
    ["2", "2281C1010", "Man", "30-49", "0,8", "1", "9", "2"],
    ["3", "2281C1020", "Kvinna", "50-64", "1", "4", "3", ""],
    ["4", "2281C1020", "Man", "65-84", "2", "2", "5", "4"],
]


def to_csv(header=HEADER, rows=ROWS, sep=";") -> bytes:
    return "\n".join(sep.join(r) for r in [header, *rows]).encode("utf-8")


@pytest.fixture
def wave(world):
    centrum, nacksta = world.areas["centrum"], world.areas["nacksta"]
    with acting_as(label="test setup"):
        Area.objects.filter(pk=centrum.pk).update(official_code="2281C1010")
        Area.objects.filter(pk=nacksta.pk).update(official_code="2281C1020")
        return wave_create(
            actor=world.users["coordinator"],
            municipality=world.sundsvall,
            year=2025,
            layer=centrum.layer,
        )


def run_cli(world, wave, content, name="svar.csv", **kw):
    with acting_as(world.users["coordinator"]):
        return import_survey_file(
            actor=world.users["coordinator"],
            municipality=world.sundsvall,
            year=wave.year,
            file_name=name,
            content=content,
            **kw,
        )


def problems_of(world, wave, content, name="svar.csv", **kw) -> list[str]:
    with pytest.raises(SurveyImportError) as caught:
        run_cli(world, wave, content, name, **kw)
    return caught.value.problems


def test_the_mapping_is_suggested_from_codes_and_common_names():
    columns = ["Lopnr", "DeSO", "Kön", "Ålder", "Vikt", "klotter", "Kommun", "År", "fritext"]
    mapping = suggest_mapping(columns, ["klotter", "oro_brott"])
    assert mapping == {
        "Lopnr": "id",
        "DeSO": "area_code",
        "Kön": "gender",
        "Ålder": "age_group",
        "Vikt": "weight",
        "klotter": "q:klotter",
        "Kommun": "municipality",
        "År": "year",
        "fritext": "",
    }


def test_a_good_file_imports_respondents_per_area(world, wave):
    preview, summary = run_cli(world, wave, to_csv())
    assert summary.responses == 4
    rows = SurveyResponse.objects.filter(wave=wave)
    by_area = {a: rows.filter(area_id=a).count() for a in (world.areas["centrum"].pk,)}
    assert by_area[world.areas["centrum"].pk] == 2
    first = rows.get(area=world.areas["centrum"], gender="Kvinna")
    assert first.weight == 1.5 and first.age_group == "16-29"
    assert first.answers == {"klotter": 3.0, "trygg_kvall": 2.0, "oro_brott": 1.0}
    # "9" (vet ej) and "5" (går aldrig ut) are the question's missing values: no answer
    assert rows.get(gender="Man", area=world.areas["centrum"]).answers == {
        "klotter": 1.0,
        "oro_brott": 2.0,
    }
    wave.refresh_from_db()
    assert wave.responses == 4 and wave.imported_at is not None
    job = SurveyImport.objects.get(wave=wave)
    assert job.state == SurveyImport.State.DONE and bytes(job.content) == b""


def test_answers_outside_the_scale_are_row_and_column_problems(world, wave):
    rows = [r[:] for r in ROWS]
    rows[1][5] = "7"
    problems = problems_of(world, wave, to_csv(rows=rows))
    assert len(problems) == 1
    assert "svar.csv" in problems[0] and " 3" in problems[0] and "F (klotter)" in problems[0]
    assert "7" in problems[0]
    assert not SurveyResponse.objects.filter(wave=wave).exists()


def test_text_in_a_numeric_column_is_a_problem(world, wave):
    rows = [r[:] for r in ROWS]
    rows[2][7] = "jättemycket"
    problems = problems_of(world, wave, to_csv(rows=rows))
    assert len(problems) == 1 and "jättemycket" in problems[0] and "H (oro_brott)" in problems[0]
    assert " 4" in problems[0]


def test_labels_instead_of_codes_are_mapped_to_codes(world, wave):
    rows = [r[:] for r in ROWS]
    rows[0][5] = "  ganska STORT problem "
    rows[1][7] = "Sällan"
    rows[2][6] = "Vet ej"
    run_cli(world, wave, to_csv(rows=rows))
    answers = sorted(
        (r.answers for r in SurveyResponse.objects.filter(wave=wave)),
        key=lambda a: (a.get("klotter"), a.get("oro_brott", 0)),
    )
    assert {"klotter": 3.0, "trygg_kvall": 2.0, "oro_brott": 1.0} in answers
    assert {"klotter": 1.0, "oro_brott": 2.0} in answers
    assert {"klotter": 4.0} in answers


def test_unknown_area_codes_are_listed_with_their_rows_never_guessed(world, wave):
    rows = [r[:] for r in ROWS] + [r[:] for r in ROWS]
    for n, r in enumerate(rows):
        r[0] = str(n + 1)
    rows[1][1] = "2281C9999"
    rows[5][1] = "2281C9999"
    rows[6][1] = "Centrumm"
    rows[7][1] = "1480C2590"
    problems = problems_of(world, wave, to_csv(rows=rows))
    assert len(problems) == 3
    joined = "\n".join(problems)
    assert "2281C9999" in joined and "3, 7" in joined
    assert "Centrumm" in joined and "1480" in joined
    assert not SurveyResponse.objects.filter(wave=wave).exists()


def test_area_names_are_matched_case_insensitively(world, wave):
    header = ["lopnr", "område", "klotter"]
    rows = [["1", "centrum", "2"], ["2", "NACKSTA", "3"]]
    run_cli(world, wave, to_csv(header, rows))
    assert SurveyResponse.objects.filter(wave=wave, area=world.areas["nacksta"]).count() == 1


def test_duplicate_respondent_ids_are_problems(world, wave):
    rows = [r[:] for r in ROWS]
    rows[3][0] = "2"
    problems = problems_of(world, wave, to_csv(rows=rows))
    assert len(problems) == 1 and "row 3" in problems[0].replace("rad 3", "row 3")
    assert " 5" in problems[0]


@pytest.mark.parametrize("weight", ["0", "-1", "", "tung"])
def test_weights_zero_negative_missing_or_text_are_problems(world, wave, weight):
    rows = [r[:] for r in ROWS]
    rows[2][4] = weight
    problems = problems_of(world, wave, to_csv(rows=rows))
    assert len(problems) == 1 and "E (vikt)" in problems[0] and " 4" in problems[0]


def test_a_file_for_another_municipality_gets_one_message(world, wave):
    header = [*HEADER, "kommun"]
    rows = [[*r, "2262"] for r in ROWS]
    problems = problems_of(world, wave, to_csv(header, rows))
    assert len(problems) == 1 and "2262" in problems[0] and "2281" in problems[0]


def test_a_file_for_another_year_gets_one_message(world, wave):
    header = [*HEADER, "år"]
    rows = [[*r, "2024"] for r in ROWS]
    problems = problems_of(world, wave, to_csv(header, rows))
    assert len(problems) == 1 and "2024" in problems[0] and "2025" in problems[0]
    rows = [[*r, "2025"] for r in ROWS]
    run_cli(world, wave, to_csv(header, rows))


def test_a_file_with_no_mapped_question_is_refused(world, wave):
    header = ["lopnr", "deso", "fraga_a"]
    rows = [["1", "2281C1010", "2"]]
    problems = problems_of(world, wave, to_csv(header, rows))
    assert len(problems) == 1 and "svar.csv" in problems[0]


def test_an_area_without_responses_is_a_warning_not_an_error(world, wave):
    rows = [r for r in ROWS if r[1] == "2281C1010"]
    preview, summary = run_cli(world, wave, to_csv(rows=rows))
    assert summary.responses == 2
    assert any("Nacksta" in w for w in preview.checked.warnings)


def test_one_bad_row_writes_nothing_and_keeps_the_earlier_responses(world, wave):
    run_cli(world, wave, to_csv())
    rows = [r[:] for r in ROWS] * 50
    for n, r in enumerate(rows):
        r[0] = str(n)
    rows[120] = [*rows[120][:5], "5", *rows[120][6:]]
    problems_of(world, wave, to_csv(rows=rows), replace=True)
    assert SurveyResponse.objects.filter(wave=wave).count() == 4


def test_a_reimport_needs_explicit_confirmation(world, wave):
    run_cli(world, wave, to_csv())
    problems = problems_of(world, wave, to_csv(rows=ROWS[:2]))
    assert "4" in problems[0]
    assert SurveyResponse.objects.filter(wave=wave).count() == 4
    _, summary = run_cli(world, wave, to_csv(rows=ROWS[:2]), replace=True)
    assert summary.replaced == 4 and SurveyResponse.objects.filter(wave=wave).count() == 2


def test_the_cli_mapping_overrides_the_suggestion(world, wave):
    header = ["respondent", "omr", "q7"]
    rows = [["1", "2281C1010", "2"], ["2", "2281C1020", "4"]]
    run_cli(world, wave, to_csv(header, rows), columns={"omr": "area_code", "q7": "q:klotter"})
    assert sorted(
        SurveyResponse.objects.filter(wave=wave).values_list("answers__klotter", flat=True)
    ) == [2.0, 4.0]


def test_postcodes_place_respondents_through_the_table(world, wave):
    from brygga.surveys.services.postcodes import postcode_table_replace

    with acting_as(world.users["coordinator"]):
        n = postcode_table_replace(
            actor=world.users["coordinator"],
            municipality=world.sundsvall,
            layer=wave.layer,
            content="postnummer;område\n852 30;2281C1010\n85357;Nacksta\n".encode(),
            file_name="postnr.csv",
        )
    assert n == 2
    header = ["lopnr", "postnr", "klotter"]
    rows = [["1", "85230", "2"], ["2", "853 57", "3"], ["3", "90000", "1"]]
    problems = problems_of(world, wave, to_csv(header, rows))
    assert len(problems) == 1 and "90000" in problems[0]
    run_cli(world, wave, to_csv(header, rows[:2]))
    assert SurveyResponse.objects.filter(wave=wave, area=world.areas["nacksta"]).count() == 1


def test_a_bad_postcode_table_writes_nothing(world, wave):
    from brygga.surveys.models import PostcodeArea
    from brygga.surveys.services.postcodes import postcode_table_replace

    with pytest.raises(SurveyImportError) as caught, acting_as(world.users["coordinator"]):
        postcode_table_replace(
            actor=world.users["coordinator"],
            municipality=world.sundsvall,
            layer=wave.layer,
            content=b"85230;2281C1010\n8523;Nacksta\n85231;Ingenstans\n",
            file_name="postnr.csv",
        )
    assert len(caught.value.problems) == 2 and "rad 2, kolumn A" in caught.value.problems[0]
    assert not PostcodeArea.objects.exists()


# --- the job ----------------------------------------------------------------------------------
def make_job(world, wave, content=None, actor="coordinator", name="svar.csv"):
    content = content or to_csv()
    with acting_as(world.users[actor]):
        return survey_import_preview(
            actor=world.users[actor],
            wave=wave,
            file_name=name,
            content=content,
            parsed=read_file(content, name),
        )


def test_a_job_moves_from_preview_to_done_and_drops_its_file(world, wave):
    job = make_job(world, wave)
    assert job.mapping["columns"]["deso"] == "area_code"
    assert preview_of(job).problems == []
    with acting_as(world.users["coordinator"]):
        assert survey_import_queue(actor=world.users["coordinator"], job=job)
        assert not survey_import_queue(actor=world.users["coordinator"], job=job)
    result = run_survey_import.call(job.pk)
    assert result["state"] == "done"
    job.refresh_from_db()
    assert job.state == "done" and job.done_rows == 4 and bytes(job.content) == b""
    assert job.counts["responses"] == 4
    # a second task for the same job does nothing
    assert run_survey_import.call(job.pk)["state"] == "done"
    assert SurveyResponse.objects.filter(wave=wave).count() == 4


def test_a_kept_file_stays_until_its_date(world, wave):
    job = make_job(world, wave, actor="municipal_admin")
    with acting_as(world.users["municipal_admin"]):
        survey_import_map(
            actor=world.users["municipal_admin"],
            job=job,
            columns=job.mapping["columns"],
            keep_file=True,
        )
        survey_import_queue(actor=world.users["municipal_admin"], job=job)
    run_survey_import.call(job.pk)
    job.refresh_from_db()
    assert job.state == "done" and bytes(job.content) == to_csv()
    assert (job.keep_until - timezone.localdate()).days == 90


def test_only_a_municipal_administrator_may_keep_the_file(world, wave):
    from django.core.exceptions import PermissionDenied

    job = make_job(world, wave)
    with pytest.raises(PermissionDenied), acting_as(world.users["coordinator"]):
        survey_import_map(actor=world.users["coordinator"], job=job, columns={}, keep_file=True)


def test_replacing_needs_the_confirmation_on_the_job_too(world, wave):
    run_cli(world, wave, to_csv())
    job = make_job(world, wave)
    with pytest.raises(SurveyImportError) as caught, acting_as(world.users["coordinator"]):
        survey_import_queue(actor=world.users["coordinator"], job=job)
    assert "4" in caught.value.problems[0]
    with acting_as(world.users["coordinator"]):
        assert survey_import_queue(
            actor=world.users["coordinator"], job=job, replace_confirmed=True
        )


def test_a_failed_job_says_why_and_writes_nothing(world, wave):
    job = make_job(world, wave)
    with acting_as(world.users["coordinator"]):
        survey_import_queue(actor=world.users["coordinator"], job=job)
    # the wave changes under the queued job: its question goes away
    wave.questions.filter(code="klotter").delete()
    assert run_survey_import.call(job.pk)["state"] == "failed"
    job.refresh_from_db()
    assert job.message and bytes(job.content) == b""
    assert not SurveyResponse.objects.filter(wave=wave).exists()


def test_stale_running_imports_are_failed_on_worker_start(world, wave):
    job = make_job(world, wave)
    SurveyImport.objects.filter(pk=job.pk).update(
        state="running", updated_at=timezone.now() - timezone.timedelta(hours=2)
    )
    from django.apps import apps

    lines = apps.get_app_config("surveys").worker_starting()
    assert len(lines) == 1 and str(job.pk) in lines[0]
    assert recover_stale_imports() == []  # once only
    job.refresh_from_db()
    assert job.state == "failed" and bytes(job.content) == b"" and job.message


def test_the_wave_is_found_by_year(world, wave):
    assert SurveyWave.objects.get(municipality=world.sundsvall, year=2025) == wave
