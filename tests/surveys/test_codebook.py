"""Codebooks: the national template written as CSV and XLSX and read back unchanged, a vendor's
hand-made codebook, and every bad input named by file, sheet, row and column."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook, load_workbook

from brygga.surveys.codebook import (
    CodebookError,
    codebook_csv,
    codebook_xlsx,
    read_codebook,
)
from brygga.surveys.services import load_template
from brygga.surveys.services.waves import check_questionnaire

HEADER = "kod;fråga;ämne;svarsalternativ;saknas;polaritet"
INDEX_HEADER = "kod;namn;regel;frågor;tröskel;minst_besvarade;beskrivning"


def _normalised(questionnaire: dict) -> dict:
    out = {"questions": [], "indices": []}
    for q in questionnaire["questions"]:
        out["questions"].append(
            {
                "code": q["code"],
                "text": q["text"],
                "topic": q.get("topic", ""),
                "scale": [(float(o["value"]), o["label"]) for o in q["scale"]],
                "missing": sorted(float(v) for v in q.get("missing") or []),
                "polarity": q["polarity"],
            }
        )
    for i in questionnaire["indices"]:
        threshold = i.get("threshold")
        out["indices"].append(
            {
                "code": i["code"],
                "name": i["name"],
                "description": i.get("description", ""),
                "rule": i["rule"],
                "question_codes": list(i["question_codes"]),
                "threshold": None if threshold is None else float(threshold),
                "min_answered": int(i.get("min_answered") or 1),
            }
        )
    return out


def _csv(*lines: str) -> bytes:
    return ("\n".join(lines) + "\n").encode("utf-8")


def _problems(content: bytes, name: str = "kodbok.csv") -> list[str]:
    with pytest.raises(CodebookError) as caught:
        read_codebook(content, name)
    return caught.value.problems


def test_the_template_round_trips_through_csv():
    template = load_template()
    back = read_codebook(codebook_csv(template), "kodbok.csv")
    assert check_questionnaire(back) == []
    assert _normalised(back) == _normalised(template)


def test_the_template_round_trips_through_xlsx():
    template = load_template()
    content = codebook_xlsx(template)
    book = load_workbook(io.BytesIO(content), read_only=True)
    assert book.sheetnames == ["Frågor", "Index"]
    back = read_codebook(content, "kodbok.xlsx")
    assert _normalised(back) == _normalised(template)


def test_texts_that_look_like_formulas_survive_the_round_trip():
    template = load_template()
    template["questions"][0]["text"] = "=SUMMA(A1) är ingen formel"
    csv_bytes = codebook_csv(template)
    assert b"'=SUMMA" in csv_bytes
    assert read_codebook(csv_bytes, "k.csv")["questions"][0]["text"].startswith("=SUMMA")


def test_a_hand_made_codebook_with_commas_and_other_spellings():
    content = _csv(
        "Kod,Fråga,Ämne,Svarsalternativ,Saknas,Polaritet",
        'trygg,Känner du dig trygg?,Trygghet,"1=Mycket otrygg; 2=Ganska otrygg; '
        '3=Ganska trygg; 4=Mycket trygg; 9=Vet ej",9,högre är bättre',
        'oro,Oroar du dig?,Trygghet,"1=Nej; 2=Ja; 8=Vill inte svara; 9=Vet ej","8, 9",',
        "",
        "Index",
        "Kod,Namn,Regel,Frågor,Tröskel,Minst besvarade,Beskrivning",
        'otrygg,Otrygghet,medel,"trygg, oro",,2,Medel av två frågor',
        "orolig,Andel oroliga,andel,oro,2,1,",
    )
    q = read_codebook(content, "leverantor.csv")
    trygg, oro = q["questions"]
    assert trygg["polarity"] == "higher_better" and trygg["missing"] == [9.0]
    assert [o["value"] for o in trygg["scale"]] == [1.0, 2.0, 3.0, 4.0, 9.0]
    assert oro["polarity"] == "higher_worse" and oro["missing"] == [8.0, 9.0]
    otrygg, orolig = q["indices"]
    assert (otrygg["rule"], otrygg["question_codes"], otrygg["min_answered"]) == (
        "mean",
        ["trygg", "oro"],
        2,
    )
    assert (orolig["rule"], orolig["threshold"]) == ("share", 2.0)


def test_an_xlsx_with_both_sheets_reads_with_its_row_numbers():
    book = Workbook()
    sheet = book.active
    sheet.title = "Frågor"
    sheet.append(["kod", "fråga", "svarsalternativ", "saknas"])
    sheet.append(["a", "Fråga A", "1=Nej; 2=Ja", None])
    sheet.append(["b", "Fråga B", "1=Nej; 2=Ja; 9=Vet ej", 9])
    index = book.create_sheet("Index")
    index.append(["kod", "namn", "regel", "frågor", "tröskel"])
    index.append(["ab", "A och B", "andel", "a, c", 2])
    out = io.BytesIO()
    book.save(out)
    problems = _problems(out.getvalue(), "kodbok.xlsx")
    assert len(problems) == 1
    assert "kodbok.xlsx" in problems[0] and "Index" in problems[0]
    assert "2" in problems[0] and "frågor" in problems[0] and "c" in problems[0]


def test_duplicate_question_codes_name_both_rows():
    problems = _problems(
        _csv(HEADER, "a;A;;1=Nej| 2=Ja;;", "b;B;;1=Nej| 2=Ja;;", "a;A igen;;1=Nej| 2=Ja;;")
    )
    assert len(problems) == 1
    assert "kodbok.csv" in problems[0] and "kod" in problems[0]
    assert " 4" in problems[0] and " 2" in problems[0]  # row 4 repeats the code of row 2


def test_a_scale_without_numbers_is_named_by_row_and_column():
    problems = _problems(_csv(HEADER, 'a;A;;"Inget problem; Stort problem";;'))
    assert any("svarsalternativ" in p and " 2" in p and "Inget problem" in p for p in problems)


def test_an_index_naming_an_unknown_question():
    problems = _problems(
        _csv(
            HEADER,
            'a;A;;"1=Nej; 2=Ja";;',
            "",
            "Index",
            INDEX_HEADER,
            'ix;Index;medel;"a, finns_inte";;1;',
        )
    )
    assert len(problems) == 1
    assert "Index" in problems[0] and "frågor" in problems[0] and " 6" in problems[0]
    assert "finns_inte" in problems[0]


def test_a_wrong_polarity_word():
    problems = _problems(_csv(HEADER, 'a;A;;"1=Nej; 2=Ja";;högre är värre'))
    assert len(problems) == 1
    assert "polaritet" in problems[0] and " 2" in problems[0] and "högre är värre" in problems[0]


@pytest.mark.parametrize(
    ("rows", "column", "found"),
    [
        (['a;A;;"1=Nej; 2=Ja";x;'], "saknas", "x"),
        (['a;A;;"1=Nej; 2=Ja";7;'], "saknas", "7"),
        (['a;A;;"1=Nej; 1=Ja";;'], "svarsalternativ", "1"),
        (['a;A;;"1=Nej; 9=Vet ej";9;'], "svarsalternativ", "a"),
        (['a;A;;"1=Nej; 2=Ja";;', "Index", INDEX_HEADER, "ix;I;summa;a;;;"], "regel", "summa"),
        (['a;A;;"1=Nej; 2=Ja";;', "Index", INDEX_HEADER, "ix;I;andel;a;;;"], "tröskel", " 5"),
        (['a;A;;"1=Nej; 2=Ja";;', "Index", INDEX_HEADER, "ix;I;medel;a;;3;"], "minst", "3"),
        (['a b;A;;"1=Nej; 2=Ja";;'], "kod", "a b"),
    ],
)
def test_other_bad_cells(rows, column, found):
    problems = _problems(_csv(HEADER, *rows))
    assert any(column in p and found in p and "kodbok.csv" in p for p in problems), problems


def test_missing_columns_and_files_that_are_no_codebook():
    problems = _problems(_csv("kod;text", "a;A"))
    assert "svarsalternativ" in problems[0]
    assert _problems(b"", "tom.csv")[0].startswith("tom.csv")
    assert "x.pdf" in _problems(b"%PDF", "x.pdf")[0]
    assert "trasig.xlsx" in _problems(b"not a zip", "trasig.xlsx")[0]


@pytest.mark.django_db
def test_the_command_writes_a_waves_codebook_and_checks_a_file(world, tmp_path, capsys):
    from django.core.management import CommandError, call_command

    from brygga.surveys.services import wave_create

    wave_create(actor=world.users["coordinator"], municipality=world.sundsvall, year=2025)
    out = tmp_path / "kodbok.xlsx"
    call_command(
        "survey-codebook",
        "--municipality",
        "2281",
        "--year",
        "2025",
        "--format",
        "xlsx",
        "--output",
        str(out),
    )
    assert _normalised(read_codebook(out.read_bytes(), "kodbok.xlsx")) == _normalised(
        load_template()
    )
    call_command("survey-codebook", "--template")
    printed = capsys.readouterr().out
    assert printed.startswith("kod;fråga;ämne;svarsalternativ;saknas;polaritet")
    call_command("survey-codebook", "--check", str(out))
    assert "16" in capsys.readouterr().out
    bad = tmp_path / "fel.csv"
    bad.write_text(HEADER + '\na;A;;"1=Nej; 2=Ja";;högre är värre\n', encoding="utf-8")
    with pytest.raises(CommandError):
        call_command("survey-codebook", "--check", str(bad))
    assert "polaritet" in capsys.readouterr().err
    with pytest.raises(CommandError):
        call_command("survey-codebook", "--municipality", "2281", "--year", "2019")
