"""The readers of response files, and the round trip: the same respondents written as CSV,
XLSX and SPSS .sav import to identical respondent rows."""

from __future__ import annotations

import io

import pytest

from brygga.surveys.models import SurveyResponse
from brygga.surveys.readers import SurveyReadError, read_file

from .test_import import problems_of, run_cli, wave  # noqa: F401 - the fixture

RESPONDENTS = [
    # lopnr, deso, kön (1 kvinna, 2 man), vikt, klotter, trygg_kvall, oro_brott (None: blank)
    (101, "2281C1010", 1, 1.25, 3, 2, 1),
    (102, "2281C1010", 2, 0.75, 1, 9, 2),
    (103, "2281C1020", 1, 1.0, 4, 3, None),
    (104, "2281C1020", 2, 2.5, 2, 5, 8),  # 8: missing by the SPSS file's definition only
    (105, "2281C1020", 1, 1.0, 9, 1, 4),
]
COLUMNS = ["lopnr", "deso", "kon", "vikt", "klotter", "trygg_kvall", "oro_brott"]
GENDER = {1: "Kvinna", 2: "Man"}


def as_csv() -> bytes:
    lines = [";".join(COLUMNS)]
    for lopnr, deso, kon, vikt, klotter, trygg, oro in RESPONDENTS:
        cells = [lopnr, deso, GENDER[kon], str(vikt).replace(".", ","), klotter, trygg, oro]
        cells = ["" if c is None or c == 8 else str(c) for c in cells]
        lines.append(";".join(cells))
    return ("\ufeff" + "\r\n".join(lines)).encode("utf-8")


def as_xlsx() -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    book.active.title = "Info"
    book.active.append(["Trygghetsmätning 2025"])
    sheet = book.create_sheet("Svar")
    sheet.append(COLUMNS)
    for lopnr, deso, kon, vikt, klotter, trygg, oro in RESPONDENTS:
        sheet.append([lopnr, deso, GENDER[kon], vikt, klotter, trygg, None if oro == 8 else oro])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def as_sav(tmp_path) -> bytes:
    import pandas as pd
    import pyreadstat

    frame = pd.DataFrame(RESPONDENTS, columns=COLUMNS).astype({"oro_brott": float})
    path = tmp_path / "svar.sav"
    pyreadstat.write_sav(
        frame,
        str(path),
        variable_value_labels={
            "kon": {1: "Kvinna", 2: "Man"},
            "klotter": {1: "Inget problem", 4: "Mycket stort problem", 9: "Vet ej"},
            "oro_brott": {1: "Aldrig", 8: "Ej svar"},
        },
        missing_ranges={"oro_brott": [8], "klotter": [9]},
    )
    return path.read_bytes()


def imported(survey_wave) -> list[tuple]:
    return sorted(
        (r.area_id, r.gender, r.weight, tuple(sorted(r.answers.items())))
        for r in SurveyResponse.objects.filter(wave=survey_wave)
    )


def test_csv_xlsx_and_sav_import_to_identical_respondents(world, wave, tmp_path):  # noqa: F811
    results = []
    for name, content, extra in [
        ("svar.csv", as_csv(), {}),
        ("svar.xlsx", as_xlsx(), {"sheet": "Svar"}),
        ("svar.sav", as_sav(tmp_path), {}),
    ]:
        _, summary = run_cli(world, wave, content, name, replace=True, **extra)
        assert summary.responses == 5, name
        results.append(imported(wave))
    assert results[0] == results[1] == results[2]
    centrum, nacksta = world.areas["centrum"].pk, world.areas["nacksta"].pk
    assert results[2] == [
        (centrum, "Kvinna", 1.25, (("klotter", 3.0), ("oro_brott", 1.0), ("trygg_kvall", 2.0))),
        (centrum, "Man", 0.75, (("klotter", 1.0), ("oro_brott", 2.0))),
        (nacksta, "Kvinna", 1.0, (("klotter", 4.0), ("trygg_kvall", 3.0))),
        (nacksta, "Kvinna", 1.0, (("oro_brott", 4.0), ("trygg_kvall", 1.0))),
        (nacksta, "Man", 2.5, (("klotter", 2.0),)),
    ]


def test_spss_value_labels_and_missing_definitions_are_read(tmp_path):
    parsed = read_file(as_sav(tmp_path), "svar.sav")
    assert parsed.columns == COLUMNS
    assert parsed.value_labels["kon"] == {1.0: "Kvinna", 2.0: "Man"}
    assert parsed.missing["oro_brott"] == [(8.0, 8.0)]
    assert parsed.is_missing("oro_brott", 8.0) and not parsed.is_missing("oro_brott", 4.0)
    assert parsed.rows[0][:3] == [101.0, "2281C1010", 1.0]


def test_an_spss_missing_value_outside_the_scale_is_a_missing_answer(world, wave, tmp_path):  # noqa: F811
    """8 is not on oro_brott's scale: as a plain CSV value it is a problem; the .sav declares it
    missing, so there it is no answer."""
    lines = ["lopnr;deso;oro_brott", "1;2281C1010;8"]
    problems = problems_of(world, wave, "\n".join(lines).encode())
    assert len(problems) == 1 and "8" in problems[0]
    run_cli(world, wave, as_sav(tmp_path), "svar.sav")
    row = SurveyResponse.objects.get(wave=wave, weight=2.5)
    assert "oro_brott" not in row.answers


def test_csv_in_windows_1252_with_commas_is_read():
    content = "lopnr,område,klotter\n1,Västermalm,2\n2,Sköns berg,3\n".encode("cp1252")
    parsed = read_file(content, "svar.csv")
    assert parsed.columns == ["lopnr", "område", "klotter"]
    assert parsed.rows[1] == ["2", "Sköns berg", "3"]


def test_a_chosen_excel_sheet_by_number_and_name():
    content = as_xlsx()
    assert read_file(content, "svar.xlsx", sheet=2).columns == COLUMNS
    assert read_file(content, "svar.xlsx", sheet="Svar").rows[0][0] == 101.0
    with pytest.raises(SurveyReadError) as caught:
        read_file(content, "svar.xlsx", sheet="Saknas")
    assert "Saknas" in str(caught.value) and "Info" in str(caught.value)


@pytest.mark.parametrize(
    ("content", "name"),
    [
        (b"", "svar.csv"),
        (b"not excel", "svar.xlsx"),
        (b"not spss", "svar.sav"),
        (b"lopnr;klotter\n", "svar.csv"),
        (b"a;a\n1;2\n", "svar.csv"),
        (b"x", "svar.pdf"),
    ],
)
def test_unreadable_files_get_a_message_naming_the_file(content, name):
    with pytest.raises(SurveyReadError) as caught:
        read_file(content, name)
    assert name in str(caught.value)


# --- any table survives CSV in either encoding and with any delimiter --------------------------
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

CELL = (
    st.text(
        alphabet='abcxyzABCXYZ0123456789 -,.;"åäöÅÄÖé',
        min_size=1,
        max_size=12,
    )
    .map(str.strip)
    .filter(bool)
)


@settings(max_examples=60, deadline=None)
@given(
    rows=st.lists(st.lists(CELL, min_size=3, max_size=3), min_size=1, max_size=8),
    delimiter=st.sampled_from([";", ",", "\t"]),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]),
)
def test_csv_round_trip(rows, delimiter, encoding):
    import csv

    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(["lopnr", "område", "klotter"])
    writer.writerows(rows)
    parsed = read_file(out.getvalue().encode(encoding), "svar.csv")
    assert parsed.columns == ["lopnr", "område", "klotter"]
    assert parsed.rows == rows
