"""The CSV/XLSX import engine (brygga/incidents/imports/tabular/): detection, Swedish formats,
every kind of bad input from the issue, atomicity, idempotent re-import, valid-only mode.

Messages are English msgids here; the tests assert rows, columns, file names and counts."""

from __future__ import annotations

import contextlib
import io
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.test import override_settings
from django.utils import timezone, translation
from hypothesis import given, settings
from hypothesis import strategies as st

from brygga.audit.models import AuditEvent
from brygga.core.access import SystemActor
from brygga.core.geo import boundary_sweref, sweref_to_wgs84, wgs84_to_sweref
from brygga.incidents.imports import tabular
from brygga.incidents.imports.tabular import validate as tabular_validate
from brygga.incidents.models import ImportJob, Incident, Source

from .factories import HEADER, P1, P2, csv_bytes, row, xlsx

pytestmark = pytest.mark.usefixtures("default_categories")
STHLM = ZoneInfo("Europe/Stockholm")
SYSTEM = SystemActor("test import")  # work no person starts (the services refuse None)
P3 = ("62.45", "17.10")  # inside Sundsvall, outside the test area "Centrum" (unlike P1, P2)


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def mapping(**columns) -> tabular.Mapping:
    base = {
        "source_id": "Id",
        "occurred_at": "Tidpunkt",
        "category": "Kategori",
        "lat": "Lat",
        "lon": "Lon",
        "description": "Beskrivning",
    }
    base.update(columns)
    return tabular.Mapping(columns={k: v for k, v in base.items() if v})


def run(world, data: bytes, name="handelser.csv", m=None, *, actor="analyst", **kw):
    f = io.BytesIO(data)
    user = world.users[actor] if actor else None
    m = m or mapping()
    detected = tabular.detect(f, name, has_header=m.has_header)
    job = tabular.import_job_create(
        actor=user, municipality=world.sundsvall, file_name=name, detected=detected
    )
    result = tabular.run_import(
        source=f,
        file_name=name,
        municipality=world.sundsvall,
        mapping=m,
        job=job,
        actor=user,
        detected=detected,
        **kw,
    )
    job.refresh_from_db()
    return result, job


def errors_of(result) -> list[tuple]:
    return [(e["row"], e["column"]) for e in result.errors]


def detect(data: bytes, name="f.csv", **kw) -> tabular.Detected:
    return tabular.detect(io.BytesIO(data), name, **kw)


def fails(data: bytes, name="f.csv") -> str:
    with pytest.raises(tabular.TabularError) as exc:
        detect(data, name)
    assert name in exc.value.message
    return exc.value.message


# --- detection --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("encoding", "prefix", "expected"),
    [("utf-8", b"", "utf-8"), ("utf-8", b"\xef\xbb\xbf", "utf-8-sig"), ("cp1252", b"", "cp1252")],
)
@pytest.mark.parametrize("delimiter", [";", ",", "\t"])
def test_detects_encoding_delimiter_and_header(encoding, prefix, expected, delimiter):
    data = prefix + csv_bytes(
        [row(text="Klotter på vägg, Österängen", point=P2), row("A2", point=P2)],
        delimiter=delimiter,
        encoding=encoding,
    )
    if delimiter == ",":  # the text holds a comma: quote it as Excel does
        data = data.replace(b"Klotter p", b'"Klotter p').replace(b"ngen\n", b'ngen"\n')
    det = detect(data)
    assert (det.kind, det.encoding, det.delimiter) == ("csv", expected, delimiter)
    assert det.has_header and det.header_row == 0
    table = tabular.open_table(io.BytesIO(data), "f.csv", det)
    assert table.columns == HEADER
    assert tabular.preview(table)[0][1][5] == "Klotter på vägg, Österängen"


def test_latin1_when_windows_1252_cannot_decode():
    data = csv_bytes([row(text="Östra \x81 gatan")], encoding="latin-1")
    assert detect(data).encoding == "latin_1"


def test_title_rows_above_header_are_skipped_and_rows_keep_their_numbers(world):
    data = b"Export fr\xc3\xa5n systemet X\n\n" + csv_bytes([row(), row("A2", cat="Krossad ruta")])
    det = detect(data)
    assert det.header_row == 2 and det.has_header
    result, job = run(world, data)
    assert result.created == 2 and job.state == ImportJob.State.DONE
    bad = b"Export\n\n" + csv_bytes([row(), row("A2", when="2024-02-30")])
    result, _ = run(world, bad)
    assert errors_of(result) == [(5, "Tidpunkt")]


def test_file_without_header_uses_column_numbers(world):
    data = csv_bytes([row(), row("A2")], header=None)
    det = detect(data)
    assert not det.has_header
    m = tabular.Mapping(
        columns={
            "source_id": "#1",
            "occurred_at": "#2",
            "category": "#3",
            "lat": "#4",
            "lon": "#5",
        },
        has_header=False,
    )
    result, _ = run(world, data, m=m)
    assert result.created == 2
    bad = csv_bytes([row(), row("A2", cat="Okänt")], header=None)
    result, _ = run(world, bad, m=m)
    assert errors_of(result) == [(2, "Column 3 (C)")]


# --- Swedish formats --------------------------------------------------------------------------
def local(*a) -> datetime:
    return datetime(*a, tzinfo=STHLM)


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("2024-03-05 21:30", local(2024, 3, 5, 21, 30), None),
        ("2024-03-05 kl. 21.30", local(2024, 3, 5, 21, 30), None),
        ("2024-03-05T21:30:00+01:00", local(2024, 3, 5, 21, 30), None),
        ("2024-07-05T21:30:00Z", datetime(2024, 7, 5, 21, 30, tzinfo=UTC), None),
        ("2024-03-05", local(2024, 3, 5), local(2024, 3, 5, 23, 59, 59)),
        ("05/03/2024", local(2024, 3, 5), local(2024, 3, 5, 23, 59, 59)),
        ("5.3.2024", local(2024, 3, 5), local(2024, 3, 5, 23, 59, 59)),
        ("5.3.2024 07:05", local(2024, 3, 5, 7, 5), None),
        ("20240305", local(2024, 3, 5), local(2024, 3, 5, 23, 59, 59)),
        ("2024-7-1 8:00", local(2024, 7, 1, 8, 0), None),
    ],
)
def test_swedish_date_formats(world, text, start, end):
    result, job = run(world, csv_bytes([row(when=text)]))
    assert result.created == 1, result.errors
    incident = Incident.objects.get(import_job=job)
    assert incident.occurred_from == start
    assert incident.occurred_to == end


def test_date_only_column_is_the_whole_day_and_time_of_day_column_narrows_it(world):
    header = ["Datum", "Klockslag", "Kategori", "Område"]
    data = csv_bytes(
        [["2024-03-30", "", "Klotter", "Centrum"], ["2024-03-31", "02:30", "Klotter", "Centrum"]],
        header=header,
    )
    m = tabular.Mapping(
        columns={
            "date": "Datum",
            "time_of_day": "Klockslag",
            "category": "Kategori",
            "area": "Område",
        }
    )
    result, job = run(world, data, m=m)
    assert result.created == 2, result.errors
    whole, timed = Incident.objects.filter(import_job=job).order_by("occurred_from")
    assert (whole.occurred_from, whole.occurred_to) == (
        local(2024, 3, 30),
        local(2024, 3, 30, 23, 59, 59),
    )
    assert timed.occurred_to is None
    assert timed.area == world.areas["centrum"] and timed.lat is None


def test_decimal_comma_and_sweref_coordinates(world):
    e, n = wgs84_to_sweref(17.3069, 62.3908)
    header = ["Tid", "Kategori", "E", "N", "Antal"]
    data = csv_bytes(
        [["2024-03-05 21:30", "klotter", f"{e:.1f}".replace(".", ","), f"{n:.1f}", "3"]],
        header=header,
    )
    m = tabular.Mapping(
        columns={
            "occurred_at": "Tid",
            "category": "Kategori",
            "sweref_e": "E",
            "sweref_n": "N",
            "count": "Antal",
        }
    )
    result, job = run(world, data, m=m)
    assert result.created == 1, result.errors
    i = Incident.objects.get(import_job=job)
    assert abs(i.lat - 62.3908) < 1e-5 and abs(i.lon - 17.3069) < 1e-5
    assert i.count == 3 and i.area == world.areas["centrum"]
    assert i.category.code == "klotter" and i.source == Source.IMPORT


def test_point_is_placed_in_the_smallest_area(world):
    from shapely.geometry import shape

    from brygga.core.models import Area

    small = {
        "type": "Polygon",
        "coordinates": [
            [[17.30, 62.389], [17.31, 62.389], [17.31, 62.393], [17.30, 62.393], [17.30, 62.389]]
        ],
    }
    a = Area(
        municipality=world.sundsvall,
        layer=world.areas["centrum"].layer,
        name="Torget",
        geometry=small,
    )
    a.set_bounds_from(shape(small))
    a.save()
    result, job = run(world, csv_bytes([row(point=P1), row("A2", point=P3)]))
    assert result.created == 2
    got = dict(Incident.objects.filter(import_job=job).values_list("source_id", "area__name"))
    assert got == {"A1": "Torget", "A2": None}


def test_point_on_the_boundary_is_accepted(world):
    boundary = boundary_sweref(world.sundsvall)
    poly = max(getattr(boundary, "geoms", [boundary]), key=lambda g: g.area)
    e, n = poly.exterior.coords[0]
    lon, lat = sweref_to_wgs84(e, n)
    result, _ = run(world, csv_bytes([row(point=(f"{lat:.7f}", f"{lon:.7f}"))]))
    assert result.created == 1, result.errors


# --- bad input: the whole file ----------------------------------------------------------------
def test_empty_file():
    assert "empty" in fails(b"")
    assert "empty" in fails(b"\xef\xbb\xbf\n\n")


def test_header_only(world):
    result, job = run(world, csv_bytes([]))
    assert job.state == ImportJob.State.FAILED
    assert "no data rows" in job.message and "handelser.csv" in job.message
    assert not Incident.objects.exists()


def test_utf16_and_binary_files_are_refused():
    text = "Id;Tidpunkt\nA1;2024-03-05\n"
    assert "UTF-16" in fails(text.encode("utf-16"))
    assert "NUL" in fails(text.encode("utf-16-le"))


def test_mixed_encodings_name_the_row():
    data = csv_bytes([row(text="Västra"), row("A2", text="Östra")])
    data += "A3;2024-03-05;Klotter;62,39;17,30;Södra\n".encode("cp1252")
    message = fails(data)
    assert "row 4" in message


def test_old_excel_and_damaged_xlsx():
    assert ".xls" in fails(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "gammal.xls")
    assert "damaged" in fails(b"not a zip at all", "trasig.xlsx")


def test_no_delimiter():
    assert "comma, semicolon or tab" in fails(b"bara en kolumn\nrad\nrad\n")


def test_missing_required_column(world):
    data = csv_bytes([row()], header=["Id", "Datum", "Kategori", "Lat", "Lon", "Text"])
    result, job = run(world, data)
    assert job.state == ImportJob.State.FAILED
    assert result.errors[0]["row"] is None
    assert "handelser.csv" in job.message and "“Tidpunkt”" in job.message
    assert not Incident.objects.exists()


def test_mapping_without_required_fields_has_problems():
    problems = tabular.Mapping(columns={"lat": "Lat"}).problems()
    assert len(problems) == 4  # time, category, both lat and lon, a place


@override_settings(BRYGGA_IMPORT_MAX_MB=0.001)  # 1 KB: the 50 MB case, scaled down
def test_file_over_the_size_limit_is_refused():
    data = csv_bytes([row(f"A{i}") for i in range(40)])
    assert len(data) > 1100
    assert "the largest file" in fails(data)


# --- bad input: rows --------------------------------------------------------------------------
def test_truncated_file_names_the_last_row(world):
    data = csv_bytes([row(), row("A2"), row("A3")])
    result, job = run(world, data[:-25])
    assert job.state == ImportJob.State.FAILED
    assert errors_of(result) == [(4, "")]
    assert "cut off" in result.errors[0]["message"]
    assert not Incident.objects.exists()


def test_unclosed_quote_at_the_end(world):
    data = csv_bytes([row(), row("A2")]) + b'A3;2024-03-05;Klotter;62,39;17,30;"Texten slutar\n'
    result, _ = run(world, data)
    assert errors_of(result) == [(4, "")]


def test_mixed_delimiters_name_the_row(world):
    data = csv_bytes([row(), row("A2")]) + b"A3,2024-03-05,Klotter,62.39,17.30,\n"
    result, _ = run(world, data)
    assert errors_of(result) == [(4, "")]
    assert "comma" in result.errors[0]["message"] and "semicolon" in result.errors[0]["message"]
    data = csv_bytes([row(), ["A2", "2024-03-05", "Klotter", "62,39", "17,30", "a;b"]])
    result, _ = run(world, data)
    assert errors_of(result) == [(3, "")]


@pytest.mark.parametrize(
    ("when", "fragment"),
    [
        ("2024-02-30", "does not exist"),
        ("31.4.2024", "does not exist"),
        ("2024-03-05 25:10", "does not exist"),
        ("igår", "is not a date"),
        ("", "missing"),
    ],
)
def test_bad_dates(world, when, fragment):
    result, job = run(world, csv_bytes([row(), row("A2", when=when)]))
    assert errors_of(result) == [(3, "Tidpunkt")]
    assert fragment in result.errors[0]["message"]
    assert job.state == ImportJob.State.FAILED and not Incident.objects.exists()


def test_future_dates_beyond_a_day(world):
    soon = timezone.localtime() + timedelta(hours=20)
    later = timezone.localtime() + timedelta(days=2)
    data = csv_bytes(
        [row(when=soon.strftime("%Y-%m-%d %H:%M")), row("A2", when=later.strftime("%Y-%m-%d"))]
    )
    result, _ = run(world, data)
    assert errors_of(result) == [(3, "Tidpunkt")]
    assert "future" in result.errors[0]["message"]


@pytest.mark.parametrize(
    ("point", "fragment"),
    [
        (("17,3069", "62,3908"), "swapped"),
        (("48.85", "2.35"), "outside Sweden"),
        (("59.3293", "18.0686"), "outside the municipality Sundsvall"),
        (("6919000", "619000"), "SWEREF 99 TM"),
        (("62,39", ""), "both latitude and longitude"),
        (("62,39", "sjutton"), "not a number"),
    ],
)
def test_bad_coordinates(world, point, fragment):
    result, _ = run(world, csv_bytes([row(), row("A2", point=point)]))
    assert errors_of(result) == [(3, "Lat, Lon")]
    assert fragment in result.errors[0]["message"]


def test_wgs84_given_as_sweref(world):
    header = ["Tid", "Kategori", "E", "N"]
    data = csv_bytes([["2024-03-05", "Klotter", "17,3", "62,39"]], header=header)
    m = tabular.Mapping(
        columns={"occurred_at": "Tid", "category": "Kategori", "sweref_e": "E", "sweref_n": "N"}
    )
    result, _ = run(world, data, m=m)
    assert errors_of(result) == [(2, "E, N")]
    assert "WGS84" in result.errors[0]["message"]


def test_many_points_outside_the_municipality_are_fast_and_all_reported(world):
    rows = [row(f"S{i}", point=("59.3293", "18.0686")) for i in range(3000)]
    result, _ = run(world, csv_bytes(rows), batch_size=500)
    assert result.error_count == 3000
    assert {m["message"] for m in result.errors} == {
        "The point lies outside the municipality Sundsvall."
    }


def test_unknown_category_and_value_mapping(world):
    data = csv_bytes([row(cat="Tags"), row("A2", cat="Krossad ruta"), row("A3", cat="klotter")])
    result, _ = run(world, data)
    assert errors_of(result) == [(2, "Kategori")]
    assert "“Tags”" in result.errors[0]["message"]
    m = mapping()
    m.categories = {"tags": "klotter"}
    result, job = run(world, data, m=m)
    assert result.created == 3
    codes = sorted(Incident.objects.filter(import_job=job).values_list("category__code", flat=True))
    assert codes == ["klotter", "klotter", "skadegorelse-fonster"]
    assert Incident.objects.get(import_job=job, source_id="A1").source_type == "Tags"


def test_area_by_name_or_official_code(world):
    world.areas["nacksta"].official_code = "2281C1010"
    world.areas["nacksta"].save()
    header = ["Tid", "Kategori", "Område"]
    data = csv_bytes(
        [
            ["2024-03-05", "Klotter", "2281c1010"],
            ["2024-03-05", "Klotter", "centrum"],
            ["2024-03-05", "Klotter", "Timrå centrum"],
            ["2024-03-05", "Klotter", ""],
        ],
        header=header,
    )
    m = tabular.Mapping(columns={"occurred_at": "Tid", "category": "Kategori", "area": "Område"})
    result, _ = run(world, data, m=m)
    # a name of another municipality's area is unknown; an empty area is municipality level
    assert errors_of(result) == [(4, "Område")]
    kept = data.replace(b"2024-03-05;Klotter;Timr\xc3\xa5 centrum\n", b"")
    result, job = run(world, kept, m=m)
    assert result.municipality_level == 1
    assert sorted(
        Incident.objects.filter(import_job=job).values_list("area__name", flat=True),
        key=str,
    ) == ["Centrum", "Nacksta", None]


def test_duplicate_ids_within_the_file_name_both_rows(world):
    data = csv_bytes([row("A1"), row("A2"), row("A1"), row("A3"), row("A1")])
    result, job = run(world, data)
    assert errors_of(result) == [(4, "Id"), (6, "Id")]
    assert "row 2 and row 4" in result.errors[0]["message"]
    assert job.state == ImportJob.State.FAILED
    result, job = run(world, data, valid_only=True)
    assert result.created == 3
    assert sorted(Incident.objects.values_list("source_id", flat=True)) == ["A1", "A2", "A3"]


@pytest.mark.parametrize(
    ("count", "ok"), [("0", False), ("1,5", False), ("x", False), ("12", True)]
)
def test_counts(world, count, ok):
    header = [*HEADER, "Antal"]
    data = csv_bytes([[*row(), count]], header=header)
    result, _ = run(world, data, m=mapping(count="Antal"))
    assert (result.created == 1) == ok
    if not ok:
        assert errors_of(result) == [(2, "Antal")]


def test_every_error_of_a_row_is_reported(world):
    data = csv_bytes([row(when="2024-02-30", cat="Okänt", point=("17,3", "62,39"))])
    result, _ = run(world, data)
    assert sorted(errors_of(result)) == [(2, "Kategori"), (2, "Lat, Lon"), (2, "Tidpunkt")]
    assert result.invalid_rows == 1 and result.total_rows == 1


# --- XLSX -------------------------------------------------------------------------------------
XHEAD = ["Id", "Tidpunkt", "Kategori", "Lat", "Lon", "Beskrivning"]


def test_xlsx_with_native_values(world):
    data = xlsx(
        {
            "Händelser": [
                XHEAD,
                ["X1", datetime(2024, 3, 5, 21, 30), "Klotter", 62.3908, 17.3069, "a"],
                [17, datetime(2024, 3, 6), "Krossad ruta", 62.391, 17.305, None],
            ]
        }
    )
    det = detect(data, "h.xlsx")
    assert det.kind == "xlsx" and det.sheet == "Händelser" and det.has_header
    result, job = run(world, data, "h.xlsx")
    assert result.created == 2, result.errors
    second = Incident.objects.get(import_job=job, source_id="17")
    assert second.occurred_to == local(2024, 3, 6, 23, 59, 59)


def test_xlsx_formulas_without_values_name_the_cell(world):
    data = xlsx(
        {
            "Blad1": [
                XHEAD,
                ["X1", "2024-03-05", "Klotter", 62.39, 17.30, "a"],
                ["X2", "2024-03-05", "Klotter", "=D2+0", 17.30, "b"],
            ]
        }
    )
    result, job = run(world, data, "f.xlsx")
    assert errors_of(result) == [(3, "Lat")]
    assert "formula" in result.errors[0]["message"]
    assert not Incident.objects.exists()


def test_xlsx_merged_cells_are_named(world):
    rows = [
        XHEAD,
        ["X1", "2024-03-05", "Klotter", 62.39, 17.30, "a"],
        ["X2", "2024-03-05", None, 62.39, 17.30, "b"],
    ]
    result, job = run(world, xlsx({"Blad1": rows}, merge="C2:C3"), "m.xlsx")
    assert (2, "Kategori") in errors_of(result)
    assert "C2:C3" in result.errors[0]["message"]
    assert job.state == ImportJob.State.FAILED


def test_xlsx_with_several_sheets(world):
    data = xlsx(
        {
            "Info": [["Export från systemet"], ["Skapad 2024-04-01"]],
            "Data": [XHEAD, ["X1", "2024-03-05", "Klotter", 62.39, 17.30, ""]],
        }
    )
    det = detect(data, "s.xlsx")
    assert det.sheets == ["Info", "Data"] and det.sheet == "Info" and det.notices
    det = detect(data, "s.xlsx", sheet="Data")
    f = io.BytesIO(data)
    job = tabular.import_job_create(
        actor=SYSTEM, municipality=world.sundsvall, file_name="s.xlsx", detected=det
    )
    result = tabular.run_import(
        source=f,
        file_name="s.xlsx",
        municipality=world.sundsvall,
        mapping=mapping(),
        job=job,
        actor=SYSTEM,
        detected=det,
    )
    assert result.created == 1


def test_the_import_services_refuse_a_missing_actor(world):
    """Work that no person starts names itself (``SystemActor``); ``None`` is refused."""
    from django.core.exceptions import PermissionDenied

    det = detect(csv_bytes([row()]), "n.csv")
    with pytest.raises(PermissionDenied):
        tabular.import_job_create(
            actor=None, municipality=world.sundsvall, file_name="n.csv", detected=det
        )
    job = tabular.import_job_create(
        actor=SYSTEM, municipality=world.sundsvall, file_name="n.csv", detected=det
    )
    with pytest.raises(PermissionDenied):
        tabular.run_import(
            source=io.BytesIO(csv_bytes([row()])),
            file_name="n.csv",
            municipality=world.sundsvall,
            mapping=mapping(),
            job=job,
            actor=None,
        )
    assert not Incident.objects.exists()


def test_truncated_xlsx():
    data = xlsx({"Blad1": [XHEAD, ["X1", "2024-03-05", "Klotter", 62.39, 17.30, ""]]})
    assert "damaged" in fails(data[: len(data) // 2], "halv.xlsx")


# --- atomicity, re-import, modes, audit -------------------------------------------------------
def test_nothing_is_half_written(world):
    rows = [row(f"A{i}") for i in range(60)] + [row("B1", when="2024-02-30")]
    result, job = run(world, csv_bytes(rows), batch_size=7)
    assert result.error_count == 1 and result.valid_rows == 60
    assert job.state == ImportJob.State.FAILED and job.created_count == 0
    assert not Incident.objects.exists()
    result, job = run(world, csv_bytes(rows), batch_size=7, valid_only=True)
    assert job.state == ImportJob.State.DONE
    assert result.created == 60 == Incident.objects.filter(import_job=job).count()
    assert job.error_count == 1 and job.errors == [
        {"row": 62, "column": "Tidpunkt", "message": "The date “2024-02-30” does not exist."}
    ]


def test_reimport_changes_nothing_but_rows_without_id_are_always_added(world):
    data = csv_bytes([row("A1"), row("A2"), row("", text="utan id")])
    result, job = run(world, data, batch_size=2)
    assert (result.created, result.unchanged) == (3, 0)
    before = list(Incident.objects.order_by("pk").values())
    result, job2 = run(world, data, batch_size=2)
    assert (result.created, result.unchanged) == (1, 2)
    assert list(Incident.objects.filter(import_job=job).order_by("pk").values()) == before
    assert Incident.objects.filter(source_id="").count() == 2
    assert job2.message.startswith("1 incidents imported, 2 already imported")


def test_reimport_in_another_municipality_is_independent(world):
    data = csv_bytes([row("A1")])
    run(world, data)
    # the same row as Timrå's (a row never moves to another municipality: copy it there)
    values = Incident.objects.values().get()
    Incident.objects.all().delete()
    values.update(id=None, municipality_id=world.timra.pk, area_id=None, import_job_id=None)
    values["reporting_organisation_id"] = world.orgs["timra"].pk
    Incident.objects.create(**values)
    result, _ = run(world, data)
    assert result.created == 1
    assert Incident.objects.filter(municipality=world.sundsvall).count() == 1


def test_fields_of_an_imported_incident_and_one_audit_row(world):
    from django.db.models import Max

    before = AuditEvent.objects.aggregate(newest=Max("seq"))["newest"] or 0  # seq has gaps
    org = world.orgs["police"]
    result, job = run(
        world,
        csv_bytes([row(text="  Tags på busskur ")]),
        reporting_organisation=org,
        has_personal_data=True,
    )
    i = Incident.objects.get()
    assert i.municipality == world.sundsvall and i.county_id == world.sundsvall.county_id
    assert i.reporting_organisation == org and i.reported_by == world.users["analyst"]
    assert i.import_job == job and i.source == Source.IMPORT and i.source_id == "A1"
    assert i.description == "Tags på busskur" and i.has_personal_data
    assert i.status == "new" and i.visibility == "shared" and i.count == 1
    assert i.created_at is not None and i.sweref_e and i.sweref_n
    events = AuditEvent.objects.filter(seq__gt=before, event_type="incident_import")
    assert events.count() == 1
    assert events.get().changes["created"] == 1 and events.get().actor_label == "analyst"
    assert not AuditEvent.objects.filter(seq__gt=before, object_type="incidents.incident").exists()


def test_reporting_organisation_must_be_allowed(world):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        run(world, csv_bytes([row()]), reporting_organisation=world.orgs["timra"])
    with pytest.raises(PermissionDenied):
        run(world, csv_bytes([row()]), actor="reporter")


def test_errors_are_capped_but_counted(world, monkeypatch):
    monkeypatch.setattr(tabular_validate, "MAX_STORED_ERRORS", 5)
    rows = [row(f"A{i}", cat="Okänt") for i in range(30)]
    result, job = run(world, csv_bytes(rows), batch_size=4)
    assert job.error_count == 30 and len(job.errors) == 5
    assert job.errors[0]["row"] == 2


def test_progress_is_reported(world, monkeypatch):
    monkeypatch.setattr(tabular_validate.time, "monotonic", iter(range(0, 10_000, 10)).__next__)
    calls = []
    rows = [row(f"A{i}") for i in range(50)]
    result, _ = run(world, csv_bytes(rows), batch_size=10, progress=lambda *a: calls.append(a))
    assert result.created == 50
    phases = [c[0] for c in calls]
    assert "validate" in phases and "write" in phases
    assert [c for c in calls if c[0] == "validate"][-1][1:] == (50, 1.0)


def test_errors_csv_escapes_formulas():
    lines = list(
        tabular.errors_csv(
            "f.csv", [{"row": 3, "column": "=cmd", "message": "+SUM(A1)"}, {"row": None}]
        )
    )
    assert lines[0] == "File;Row;Column;Error\r\n"
    assert lines[1] == "f.csv;3;'=cmd;'+SUM(A1)\r\n"
    assert tabular.csv_safe("@x") == "'@x" and tabular.csv_safe("-1") == "'-1"
    assert tabular.csv_safe("ok") == "ok"


def test_format_error_names_file_row_and_column():
    e = {"row": 7, "column": "Datum", "message": "x"}
    assert tabular.format_error("a.csv", e) == "a.csv, row 7, column “Datum”: x"
    assert tabular.format_error("a.csv", {"row": None, "message": "y"}) == "a.csv: y"


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=30))
def test_parsers_only_ever_raise_value_error(text):
    for parse in (tabular.parse_number, tabular.parse_when, tabular.parse_time_of_day):
        with contextlib.suppress(ValueError):
            parse(text)


@settings(max_examples=40, deadline=None)
@given(st.binary(max_size=400))
def test_detect_never_fails_with_anything_but_a_message(data):
    try:
        det = tabular.detect(io.BytesIO(data), "slump.csv")
        table = tabular.open_table(io.BytesIO(data), "slump.csv", det)
        list(table.rows([]))
    except tabular.TabularError as exc:
        assert "slump.csv" in exc.message


def test_a_deleted_row_removed_by_gallring_is_not_imported_again(world):
    """Regression: once gallring removed a deleted incident for good, a re-import of the same
    file brought it back; its source id is now remembered and skipped."""
    from brygga.core import retention
    from brygga.incidents.models import DisposedSource
    from brygga.incidents.services import incident_delete

    data = csv_bytes([row("A1"), row("A2")])
    run(world, data)
    gone = Incident.objects.get(source_id="A1")
    incident_delete(actor=world.users["coordinator"], incident=gone)
    report = retention.run(
        municipalities=[world.sundsvall],
        installation=False,
        now=timezone.now() + timedelta(days=31),
    )
    assert [
        (i.rule, i.object_id) for i in report.items if i.object_type == "incidents.incident"
    ] == [("incidents.deleted", str(gone.pk))]
    assert not Incident.objects.filter(pk=gone.pk).exists()
    assert DisposedSource.objects.filter(
        municipality=world.sundsvall, source=Source.IMPORT, source_id="A1"
    ).exists()
    result, _ = run(world, data)
    assert (result.created, result.unchanged) == (0, 2)
    assert not Incident.objects.filter(source_id="A1").exists()
