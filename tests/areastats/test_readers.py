"""The readers of statistics files, on files in the layouts SCB's Statistikdatabasen writes:
the population per DeSO as CSV (UTF-8 with BOM, ``;``, the year once per block), the same in
Windows-1252 with ``,``, an income table as XLSX (years across the top, decimal values, ".."),
and a PxWebApi JSON-stat2 response."""

from __future__ import annotations

import io
import json
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import Workbook

from brygga.areastats.readers import (
    StatsReadError,
    parse_number,
    read_file,
    split_region,
)

FIXTURES = Path(__file__).parent / "fixtures"
POPULATION_CSV = FIXTURES / "folkmangd_deso_sundsvall.csv"
REGSO_JSON = FIXTURES / "folkmangd_regso.json"


def income_xlsx() -> bytes:
    """Sammanräknad förvärvsinkomst as PX-Web saves it to Excel: title, blank row, a header
    row with the content across the top (one merged cell), a header row with the years, one
    row per region (municipality, DeSO, another municipality's DeSO)."""
    book = Workbook()
    sheet = book.active
    sheet.append(
        ["Sammanräknad förvärvsinkomst för boende i Sverige hela året efter region och år"]
    )
    sheet.append([])
    sheet.append(["", "Medianinkomst, tkr", None])
    sheet.append(["region", "2021", "2022"])
    sheet.append(["2281 Sundsvall", 281.4, 290.2])
    sheet.append(["2281C1010 Sundsvall Centrum", 262.1, 270.35])
    sheet.append(["2281A0020 Sundsvall Stöde", "..", 255.0])
    sheet.append(["2262C1020 Timrå centrum", 270.0, 275.5])
    sheet.append([])
    sheet.append(["Källa: SCB, tabell HE0110A7"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_population_csv_per_deso_with_the_year_once_per_block():
    parsed = read_file(POPULATION_CSV.read_bytes(), POPULATION_CSV.name)
    assert parsed.title == "Folkmängden per region efter region, ålder och år"
    assert parsed.table_id == "BE0101Y"
    assert parsed.years == [2022, 2023]
    assert "Folkmängd, totalt" in parsed.series and "Folkmängd, 0-4 år" in parsed.series
    assert len(parsed.codes) == 6 and "2281C1010" in parsed.codes
    centrum_2023 = next(
        r
        for r in parsed.rows
        if (r.code, r.year, r.series) == ("2281C1010", 2023, "Folkmängd, totalt")
    )
    assert centrum_2023.value == Decimal(2178) and centrum_2023.region_name == "Sundsvall Centrum"
    missing = [r for r in parsed.rows if r.value is None]
    assert [(m.code, m.series, m.row, m.column) for m in missing] == [
        ("2281A0020", "Folkmängd, 65+ år", 13, "D")
    ]
    assert parsed.problems == []


def test_the_same_export_in_windows_1252_with_commas():
    text = POPULATION_CSV.read_bytes().decode("utf-8-sig").replace(";", ",")
    parsed = read_file(text.encode("cp1252"), "folkmangd.csv")
    utf8 = read_file(POPULATION_CSV.read_bytes(), POPULATION_CSV.name)
    assert parsed.rows == utf8.rows


def test_income_xlsx_with_years_across_the_top():
    parsed = read_file(income_xlsx(), "inkomst.xlsx")
    assert parsed.table_id == "HE0110A7"
    assert parsed.series == ["Medianinkomst, tkr"]
    assert parsed.years == [2021, 2022]
    values = {(r.code, r.year): r.value for r in parsed.rows}
    assert values[("2281", 2021)] == Decimal("281.4")
    assert values[("2281C1010", 2022)] == Decimal("270.35")
    assert values[("2281A0020", 2021)] is None
    assert {r.unit for r in parsed.rows} == {"tkr"}


def test_jsonstat2_response():
    parsed = read_file(REGSO_JSON.read_bytes(), REGSO_JSON.name)
    assert parsed.table_id == "TAB6574"
    assert parsed.series == ["Folkmängd, totalt"]
    values = {(r.code, r.year): r.value for r in parsed.rows}
    assert values == {
        ("2281R001", 2022): Decimal(4000),
        ("2281R001", 2023): Decimal(4017),
        ("2281R002", 2022): None,
        ("2281R002", 2023): Decimal(5017),
        ("2262R001", 2022): Decimal(6000),
        ("2262R001", 2023): Decimal(6017),
    }
    assert parsed.rows[0].region_name == "Sundsvall Centrum RegSO"
    assert {r.unit for r in parsed.rows} == {"antal"}


def test_decimal_comma_in_a_csv():
    text = (
        '"Medianinkomst per region"\n\n"region";"år";"Medianinkomst, tkr"\n'
        '"2281C1010";"2022";"270,4"\n"2281C1020";"";"1 234,5"\n'
    )
    parsed = read_file(text.encode(), "inkomst.csv")
    assert [r.value for r in parsed.rows] == [Decimal("270.4"), Decimal("1234.5")]
    assert [r.year for r in parsed.rows] == [2022, 2022]


def test_text_where_a_number_should_be_names_file_row_and_column():
    text = '"Folkmängd per region"\n\n"region";"år";"Folkmängd"\n"2281C1010";"2022";"många"\n'
    parsed = read_file(text.encode(), "fel.csv")
    assert [(p.file, p.row, p.column) for p in parsed.problems] == [("fel.csv", 4, "C")]
    assert "många" in str(parsed.problems[0]) and "fel.csv" in str(parsed.problems[0])


@pytest.mark.parametrize(
    "content, name, words",
    [
        (b"", "tom.csv", "tom"),
        (b"   \n", "tom.csv", "tom"),
        (b"namn;adress\nAnna;Storgatan 1\n", "lista.csv", "Statistikdatabasen"),
        (b'"Folkm\xc3\xa4ngd"\n\n"region";"Folkm\xc3\xa4ngd"\n"2281C1010";"12"\n', "x.csv", "år"),
        (b'{"class": "collection"}', "x.json", "JSON-stat2"),
        (b"{not json", "x.json", "JSON"),
        (b"PK\x03\x04broken", "x.xlsx", "Excel"),
    ],
)
def test_bad_input_gets_a_swedish_message_naming_the_file(content, name, words):
    from django.utils import translation

    with translation.override("sv"), pytest.raises(StatsReadError) as exc:
        read_file(content, name)
    assert name in str(exc.value)


@given(st.integers(min_value=-(10**9), max_value=10**9), st.integers(min_value=0, max_value=99))
def test_numbers_with_decimal_comma_and_thousands_spaces(whole, fraction):
    text = f"{whole:,}".replace(",", " ") + f",{fraction:02d}"
    expected = Decimal(f"{abs(whole)}.{fraction:02d}") * (-1 if whole < 0 else 1)
    assert parse_number(text) == expected


@given(st.sampled_from(["..", ".", "…"]))
def test_missing_markers(marker):
    assert parse_number(marker) is None


@given(
    st.from_regex(r"\A22[0-9]{2}[ABC][0-9]{4}\Z"),
    st.text(alphabet=st.characters(whitelist_categories=("L",)), min_size=1, max_size=20),
)
def test_region_code_and_name(code, name):
    assert split_region(f"{code} {name}") == (code, name)
    assert split_region(code) == (code, "")


def test_a_json_stat_response_as_a_dict_round_trips():
    from brygga.areastats.readers import read_jsonstat

    doc = json.loads(REGSO_JSON.read_text())
    assert len(read_jsonstat(doc, "svar").rows) == 6


def test_which_series_is_the_population():
    from brygga.areastats.selectors import is_population_series

    for name in ("Folkmängd, totalt", "Folkmängd", "totalt, totalt, Folkmängd", "Befolkning"):
        assert is_population_series(name), name
    for name in ("Folkmängd, 0-4 år", "Medianinkomst, tkr", "Folkmängd, kvinnor"):
        assert not is_population_series(name), name


@st.composite
def px_tables(draw):
    """A table as PX-Web writes it: the year and the region once per block (blank below),
    the age group, one value column; values with a decimal comma or "..","""
    codes = draw(
        st.lists(st.from_regex(r"\A2281[ABC][0-9]{4}\Z"), min_size=1, max_size=4, unique=True)
    )
    years = draw(st.lists(st.integers(1990, 2030), min_size=1, max_size=3, unique=True))
    groups = draw(
        st.lists(
            st.sampled_from(["totalt", "0-4 år", "5-19 år", "20-64 år", "65+ år", "kvinnor"]),
            min_size=1,
            max_size=4,
            unique=True,
        )
    )
    number = st.decimals(min_value=0, max_value=10**7, places=2, allow_nan=False)
    values = {
        (c, y, g): draw(st.one_of(st.none(), number)) for y in years for c in codes for g in groups
    }
    return codes, sorted(years), groups, values


def _write(table, delimiter: str, encoding: str) -> bytes:
    codes, years, groups, values = table
    quote = '"{}"'.format
    lines = [quote("Folkmängden per region efter region, ålder och år"), ""]
    lines.append(delimiter.join(map(quote, ["år", "region", "ålder", "Folkmängd"])))
    for y in years:
        for ci, c in enumerate(codes):
            for gi, g in enumerate(groups):
                v = values[(c, y, g)]
                cell = ".." if v is None else format(v, "f").replace(".", ",")
                lines.append(
                    delimiter.join(
                        [
                            quote(y if ci == 0 and gi == 0 else ""),
                            quote(f"{c} Område {ci}" if gi == 0 else ""),
                            quote(g),
                            quote(cell),
                        ]
                    )
                )
    lines += ["", quote("Källa: SCB")]
    return "\r\n".join(lines).encode(encoding)


@given(px_tables(), st.sampled_from([";", ",", "\t"]), st.sampled_from(["utf-8-sig", "cp1252"]))
def test_any_px_table_reads_back_its_values(table, delimiter, encoding):
    codes, years, groups, values = table
    parsed = read_file(_write(table, delimiter, encoding), "tabell.csv")
    assert parsed.problems == []
    got = {(r.code, r.year, r.series): r.value for r in parsed.rows}
    assert got == {(c, y, f"Folkmängd, {g}"): v for (c, y, g), v in values.items()}


@given(st.binary(max_size=400), st.sampled_from(["x.csv", "x.xlsx", "x.json", "x.txt"]))
def test_any_bytes_give_a_table_or_a_clear_error(data, name):
    try:
        read_file(data, name)
    except StatsReadError as exc:
        assert name in str(exc)


@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=5),
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
        max_leaves=12,
    )
)
def test_any_json_gives_a_table_or_a_clear_error(doc):
    base = json.loads(REGSO_JSON.read_text())
    for key in ("id", "size", "dimension", "value", "role"):
        broken = {**base, key: doc}
        try:
            read_file(json.dumps(broken).encode(), "svar.json")
        except StatsReadError as exc:
            assert "svar.json" in str(exc)
