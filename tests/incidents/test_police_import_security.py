"""Issue #10, items 1 and 9: forged police events and the limits of reading police files and
workbooks.

1. Only the installation-wide feed (``brygga import-police``, a system administrator's upload
   for all municipalities) brings shared police events; a municipality's own upload writes
   only its own events, under ``"<code>:<police id>"``, and links only to polisen.se.
9. Police files are read a chunk at a time with the unpacked size and the number of records
   bounded; XLSX files are parsed with defusedxml and their shared strings bounded before
   openpyxl loads them (on the upload page, in the web request).
"""

from __future__ import annotations

import gzip
import importlib
import io
import json
import tracemalloc
import zipfile
import zlib
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse
from django.utils import translation

from brygga.core.models import Municipality
from brygga.incidents.imports.police import (
    PoliceImportError,
    import_records,
    own_source_id,
    police_url,
    read_police_file,
)
from brygga.incidents.models import ImportJob, Incident, Source
from brygga.incidents.selectors import police_incidents_for
from brygga.incidents.services import IncidentBulkWriter

from .factories import xlsx
from .importing import upload as tabular_upload

# the module (``tabular.detect`` is also the name of its function)
tabular_detect = importlib.import_module("brygga.incidents.imports.tabular.detect")
SAMPLE = Path(__file__).parent / "fixtures" / "police_sample.jsonl"
FUTURE_IDS = ("900000001", "900000002", "900000003")  # ids the police have not used yet


def sample() -> list[dict]:
    with open(SAMPLE, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def jsonl(records) -> bytes:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records).encode()


def event(police_id: str, place: str, title_place: str | None = None, **extra) -> dict:
    return {
        "id": police_id,
        "datetime": "2024-11-20 21:15:00 +01:00",
        "name": f"20 november 21:10, Brand, {title_place or place}",
        "summary": "Brand i flerfamiljshus.",
        "url": "/aktuellt/handelser/2024/november/20/brand-x/",
        "type": "Brand",
        "location": {"name": place, "gps": "62.39,17.30"},
        **extra,
    }


def police_upload(client, world, name: str, content: bytes, **data):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # the job's messages in English
    url = reverse("incidents:police_upload", kwargs={"code": world.sundsvall.code})
    f = SimpleUploadedFile(name, content, content_type="application/octet-stream")
    return client.post(url, {"file": f, **data})


def what_timra_sees(client, world) -> tuple:
    """Timrå's police events as its coordinator sees them: the rows, the summary page and
    the list of incidents (which holds the county-level events of Västernorrland)."""
    user = world.users["outsider"]
    rows = sorted(
        police_incidents_for(user, world.timra).values_list(
            "source_id", "municipality_id", "county_id", "source_url", "description"
        )
    )
    code = {"code": world.timra.code}
    summary = client.get(reverse("incidents:police_summary", kwargs=code)).content.decode()
    listing = client.get(reverse("incidents:index", kwargs=code)).content.decode()
    # the pages carry a CSRF token that changes per request
    strip = lambda page: page.split("<main", 1)[-1].split("</main>", 1)[0]  # noqa: E731
    return rows, strip(summary), strip(listing)


# --- 1. forged police events ----------------------------------------------------------------
def test_forged_upload_in_sundsvall_changes_nothing_timra_sees(world, client_for):
    # some genuine events first, from the feed
    genuine = [r for r in sample() if r["location"]["name"] in ("Timrå", "Västernorrlands län")]
    import_records(genuine, file_name="feed-1.jsonl")
    timra = client_for("outsider")
    before = what_timra_sees(timra, world)
    county_id = world.sundsvall.county_id

    forged = [
        event(FUTURE_IDS[0], "Västernorrlands län", "Västernorrlands län"),  # county-level
        event(FUTURE_IDS[1], "Timrå"),  # another municipality's
        event(FUTURE_IDS[2], "Sundsvall"),  # its own, claiming a future police id
    ]
    analyst = client_for("analyst")
    police_upload(analyst, world, "forged.jsonl", jsonl(forged))
    job = ImportJob.objects.get(file_name="forged.jsonl")
    assert job.state == "done" and job.created_count == 1
    assert job.options["result"]["out_of_scope"] == 2

    assert what_timra_sees(timra, world) == before, "Timrå sees nothing of the forged file"
    assert (
        not Incident.objects.filter(county_event=True, county_id=county_id)
        .filter(source_id__in=FUTURE_IDS)
        .exists()
    )
    own = Incident.objects.get(source=Source.POLICE, source_id__endswith=FUTURE_IDS[2])
    assert own.municipality == world.sundsvall
    assert own.source_id == own_source_id(world.sundsvall, FUTURE_IDS[2]) == "2281:900000003"

    # uploading the same file again adds nothing (idempotent)
    police_upload(analyst, world, "forged-again.jsonl", jsonl(forged))
    again = ImportJob.objects.get(file_name="forged-again.jsonl")
    assert (again.created_count, again.unchanged_count) == (0, 1)

    # the genuine feed later brings the same police ids: every one is imported
    real = [
        event(FUTURE_IDS[0], "Västernorrlands län", summary="Äkta"),
        event(FUTURE_IDS[1], "Timrå", summary="Äkta"),
        event(FUTURE_IDS[2], "Sundsvall", summary="Äkta"),
    ]
    result = import_records(real, file_name="feed-2.jsonl")
    assert (result.created, result.unchanged, result.superseded) == (3, 0, 1)
    for police_id in FUTURE_IDS:
        descriptions = Incident.objects.filter(source_id=police_id).values_list("description")
        assert set(descriptions) == {("Äkta",)}
    own.refresh_from_db()
    assert own.deleted_at is not None, "the feed's event replaces Sundsvall's own copy"
    sundsvall_ids = police_incidents_for(world.users["analyst"], world.sundsvall).values_list(
        "source_id", flat=True
    )
    assert list(sundsvall_ids.filter(source_id__endswith=FUTURE_IDS[2])) == [FUTURE_IDS[2]]
    # Timrå now sees the genuine county-level and Timrå events, and nothing forged
    rows = what_timra_sees(timra, world)[0]
    assert {r[0] for r in rows} - {r[0] for r in before[0]} == set(FUTURE_IDS[:2])

    # a later own upload of an id the feed brought adds nothing
    police_upload(analyst, world, "late.jsonl", jsonl(forged[2:]))
    late = ImportJob.objects.get(file_name="late.jsonl")
    assert (late.created_count, late.unchanged_count) == (0, 1)


def test_system_admin_upload_for_all_municipalities_is_the_feed(world, client_for):
    events = [event(FUTURE_IDS[0], "Västernorrlands län", "Västernorrlands län")]
    police_upload(
        client_for("system_admin"), world, "all.jsonl", jsonl(events), all_municipalities="on"
    )
    copies = Incident.objects.filter(source_id=FUTURE_IDS[0])
    assert {c.county_event for c in copies} == {True}
    assert copies.count() == Municipality.objects.filter(county=world.sundsvall.county).count()
    # a system administrator's upload for one municipality is that municipality's own
    police_upload(client_for("system_admin"), world, "one.jsonl", jsonl([event("5", "Timrå")]))
    assert ImportJob.objects.get(file_name="one.jsonl").created_count == 0


def test_only_the_feed_may_write_shared_events(world):
    analyst = world.users["analyst"]
    with pytest.raises(PermissionDenied):
        import_records([event("7", "Sundsvall")], file_name="x.jsonl", actor=analyst, feed=True)
    writer = IncidentBulkWriter(
        actor=analyst,
        municipality=world.sundsvall,
        columns=("municipality_id", "county_id", "category_id", "occurred_from"),
        constants={"source": Source.POLICE.value, "source_id": "8"},
    )
    from brygga.incidents.imports.police import fallback_category, parse_police_datetime

    when = parse_police_datetime("2024-11-20 21:15:00 +01:00")
    row = (None, world.sundsvall.county_id, fallback_category().pk, when)
    with pytest.raises(PermissionDenied):
        writer.write([row])
    assert not Incident.objects.exists()


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("/aktuellt/handelser/2024/x/", "https://polisen.se/aktuellt/handelser/2024/x/"),
        ("https://polisen.se/aktuellt/x/", "https://polisen.se/aktuellt/x/"),
        ("https://www.polisen.se/x", "https://www.polisen.se/x"),
        ("", ""),
        ("https://evil.example/phish", None),
        ("http://polisen.se/x", None),
        ("https://polisen.se.evil.example/x", None),
        ("https://polisen.se@evil.example/x", None),
        ("https://polisen.se:8443/x", None),
        ("//evil.example/x", None),
        ("javascript:alert(1)", None),
        ("/\\evil.example", None),
    ],
)
def test_links_only_to_the_police_website(given, stored):
    assert police_url(given) == stored


def test_upload_with_a_foreign_link_is_refused_naming_file_record_and_field(world, client_for):
    events = [event("11", "Sundsvall"), event("12", "Sundsvall", url="https://evil.example/")]
    with translation.override("en"):
        police_upload(client_for("analyst"), world, "links.jsonl", jsonl(events))
    job = ImportJob.objects.get()
    assert job.state == "failed" and not Incident.objects.exists()
    assert [(e["record"], e["field"]) for e in job.errors] == [(2, "url")]
    assert "links.jsonl, record 2 (line 2), field “url”" in job.errors[0]["message"]
    assert "polisen.se" in job.errors[0]["message"]


# --- 9. limits ------------------------------------------------------------------------------
def gzip_bomb(unpacked_mb: int) -> bytes:
    """A valid police file start and then ``unpacked_mb`` MB of spaces, gzip-compressed (a few
    hundred kB)."""
    z = zlib.compressobj(9, zlib.DEFLATED, 31)
    parts = [z.compress(b"[" + json.dumps(event("1", "Sundsvall")).encode() + b",")]
    block = b" " * (1024 * 1024)
    parts += [z.compress(block) for _ in range(unpacked_mb)]
    parts.append(z.flush())
    return b"".join(parts)


@override_settings(BRYGGA_POLICE_UPLOAD_MAX_MB=2)  # at most 40 MB unpacked
def test_gzip_bomb_is_refused_with_bounded_memory(db, tmp_path):
    path = tmp_path / "bomb.json.gz"
    path.write_bytes(gzip_bomb(200))
    assert path.stat().st_size < 2 * 1024 * 1024
    tracemalloc.start()
    try:
        with translation.override("en"), pytest.raises(PoliceImportError) as info:
            import_records(read_police_file(path, path.name), file_name=path.name)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert str(info.value) == "bomb.json.gz: The file is larger than 40 MB when uncompressed."
    assert peak < 8 * 1024 * 1024, f"peak {peak / 1048576:.1f} MB"
    assert not Incident.objects.exists()


@override_settings(BRYGGA_POLICE_UPLOAD_MAX_MB=1)
def test_gzip_bomb_upload_fails_the_job_with_the_message(world, client_for):
    with translation.override("en"):
        police_upload(client_for("analyst"), world, "bomb.json.gz", gzip_bomb(60))
    job = ImportJob.objects.get()
    assert job.state == "failed"
    assert "bomb.json.gz: The file is larger than 20 MB when uncompressed." in job.message


@pytest.mark.parametrize("fmt", ["jsonl", "json", "json.gz"])
@override_settings(BRYGGA_POLICE_MAX_RECORDS=5)
def test_too_many_records_are_refused(db, tmp_path, fmt):
    records = [event(str(i), "Sundsvall") for i in range(1, 8)]
    data = jsonl(records) if fmt == "jsonl" else json.dumps(records, indent=1).encode()
    if fmt.endswith(".gz"):
        data = gzip.compress(data)
    path = tmp_path / f"many.{fmt}"
    path.write_bytes(data)
    with translation.override("en"), pytest.raises(PoliceImportError) as info:
        import_records(read_police_file(path, path.name), file_name=path.name)
    problem = info.value.problems[0]
    assert problem.record == 6
    assert "more than 5 events" in str(problem) and "BRYGGA_POLICE_MAX_RECORDS" in str(problem)
    assert not Incident.objects.exists()
    # also when the records are given as a list
    with pytest.raises(PoliceImportError):
        import_records(records, file_name="list")


def test_an_overlong_record_is_refused(db, tmp_path):
    path = tmp_path / "long.jsonl"
    path.write_bytes(jsonl([event("1", "Sundsvall", summary="x" * (2 * 1024 * 1024))]))
    with translation.override("en"), pytest.raises(PoliceImportError) as info:
        import_records(read_police_file(path, path.name), file_name=path.name)
    assert "long.jsonl, line 1: The record is longer than 1 MB" in str(info.value)


def test_a_long_file_is_read_in_chunks_with_the_right_lines(db, tmp_path):
    """A pretty-printed list across many read chunks: the records and their lines are right,
    and an error far into the file names its record, line and column."""
    records = [event(str(i), "Sundsvall") for i in range(1, 1501)]
    text = json.dumps(records, indent=2, ensure_ascii=False)
    read = list(read_police_file(io.BytesIO(text.encode()), "long.json"))
    assert [r["id"] for r in read] == [r["id"] for r in records]
    assert read[1000].line == text[: text.index('"id": "1001"')].count("\n")
    bad = text.replace('"id": "1400"', '"id": 1400 x', 1)
    with translation.override("en"), pytest.raises(PoliceImportError) as info:
        list(read_police_file(io.BytesIO(bad.encode()), "bad.json"))
    line = bad[: bad.index("1400 x")].count("\n") + 1
    col = bad.index("1400 x") - bad.rfind("\n", 0, bad.index("1400 x")) + 5
    assert info.value.problems[0].record == 1400
    assert f"at line {line}, column {col})" in str(info.value)


# --- 9. workbooks ---------------------------------------------------------------------------
LAUGHS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1"
 uniqueCount="1"><si><t>&lol9;</t></si></sst>"""


STRINGS_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"


def with_shared_strings(data: bytes, content: bytes, part="xl/sharedStrings.xml") -> bytes:
    """The workbook ``data`` (openpyxl writes inline strings) with a shared strings part
    ``content``, declared in the package's content types as Excel does."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            body = src.read(info)
            if info.filename == "[Content_Types].xml":
                override = f'<Override PartName="/{part}" ContentType="{STRINGS_TYPE}" />'
                body = body.replace(b"</Types>", override.encode() + b"</Types>")
            dst.writestr(info, body, compress_type=zipfile.ZIP_DEFLATED)
        dst.writestr(part, content, compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


def workbook() -> bytes:
    return xlsx({"Blad1": [["Id", "Tidpunkt", "Kategori"], ["A1", "2024-01-01 10:00", "Brand"]]})


def test_openpyxl_parses_with_defusedxml():
    import defusedxml.ElementTree
    from openpyxl import DEFUSEDXML
    from openpyxl.reader import strings

    assert DEFUSEDXML is True
    assert strings.iterparse is defusedxml.ElementTree.iterparse


def test_billion_laughs_workbook_is_refused(world, client_for):
    data = with_shared_strings(workbook(), LAUGHS.encode())
    client = client_for("analyst")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = tabular_upload(client, data, name="lol.xlsx")
    assert response.status_code == 400
    assert "“lol.xlsx” is not a readable Excel file" in response.content.decode()
    assert not ImportJob.objects.exists()
    # refused by defusedxml (entity declarations), not only by expat's amplification limit
    import openpyxl
    from defusedxml import DTDForbidden, EntitiesForbidden

    with pytest.raises(ValueError) as info:
        openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    assert isinstance(info.value.__cause__, (EntitiesForbidden, DTDForbidden))


def test_oversized_shared_strings_are_refused_in_the_request(world, client_for, monkeypatch):
    monkeypatch.setattr(tabular_detect, "SHARED_STRINGS_MAX_BYTES", 1024 * 1024, raising=False)
    strings = "".join(f"<si><t>{i:07d} {'x' * 40}</t></si>" for i in range(30000))
    content = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<sst xmlns='
        '"http://schemas.openxmlformats.org/spreadsheetml/2006/main">' + strings + "</sst>"
    ).encode()
    assert len(content) > 1024 * 1024
    data = with_shared_strings(workbook(), content, part="xl/texts.xml")
    loaded = []
    import openpyxl.reader.excel as excel

    real = excel.read_string_table
    monkeypatch.setattr(excel, "read_string_table", lambda src: loaded.append(1) or real(src))
    client = client_for("analyst")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = tabular_upload(client, data, name="stor.xlsx")
    assert response.status_code == 400
    page = response.content.decode()
    assert "“stor.xlsx”: the text of its cells (the shared strings) unpacks to more" in page
    assert "than 1 MB" in page and "CSV" in page
    assert not loaded, "refused before openpyxl reads the strings"
    assert not ImportJob.objects.exists()
