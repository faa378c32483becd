"""Exports of the current filter: CSV (Swedish Excel), XLSX and GeoJSON; formula injection
escaped; personal data withheld; every export logged."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.utils import translation

from brygga.audit.models import AuditEvent
from brygga.core.cells import escape_cell

from .factories import CENTRE, category, make_incident

pytestmark = pytest.mark.django_db
BASE = "/kommuner/2281/handelser"


def _body(response) -> bytes:
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content if hasattr(response, "content") else b"".join(response)


def _csv_rows(response) -> list[list[str]]:
    text = _body(response).decode("utf-8")
    assert text.startswith("\ufeff"), "UTF-8 with BOM for Excel"
    return list(csv.reader(io.StringIO(text[1:]), delimiter=";"))


@pytest.mark.parametrize(
    "value, expected",
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+46 70 123", "'+46 70 123"),
        ("-1+1", "'-1+1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tTAB", "'\tTAB"),
        ("Vanlig text", "Vanlig text"),
        ("a=b", "a=b"),
        (-5, -5),
        (3.5, 3.5),
        (None, None),
    ],
)
def test_escape_cell(value, expected):
    assert escape_cell(value) == expected


@pytest.fixture
def incidents(world):
    return {
        "evil": make_incident(
            world,
            lat=CENTRE[0],
            lon=CENTRE[1],
            area=world.areas["centrum"],
            description='=HYPERLINK("http://evil.example","klicka")',
            place_description="-Busshållplatsen",
        ),
        "area_only": make_incident(
            world, area=world.areas["nacksta"], category=category("klotter"), description="@x"
        ),
        "secret": make_incident(
            world, has_personal_data=True, description="Namn Efternamn", place_description="Hem"
        ),
    }


def test_csv_escapes_formulas_and_withholds_personal_data(world, incidents, client_for):
    c = client_for("coordinator")
    with translation.override("en"):
        r = c.get(f"{BASE}/export/csv/")
    assert r.status_code == 200 and r.streaming
    assert r["Content-Type"].startswith("text/csv")
    assert "attachment" in r["Content-Disposition"] and ".csv" in r["Content-Disposition"]
    rows = _csv_rows(r)
    header, data = rows[0], rows[1:]
    assert len(data) == 3
    by_id = {int(row[0]): dict(zip(header, row, strict=True)) for row in data}
    evil = by_id[incidents["evil"].pk]
    description = header[13]
    assert evil[description] == '\'=HYPERLINK("http://evil.example","klicka")'
    assert evil[header[12]] == "'-Busshållplatsen"
    assert evil[header[8]] == str(CENTRE[0])  # numbers keep a decimal point
    assert by_id[incidents["area_only"].pk][description] == "'@x"
    secret = by_id[incidents["secret"].pk]
    assert "Namn" not in secret[description] and secret[header[12]] == ""
    event = AuditEvent.objects.get(event_type="incidents_exported")
    assert event.changes == {"format": "csv", "filters": {}, "rows": 3}
    assert event.actor_id == world.users["coordinator"].pk
    assert event.municipality_id == world.sundsvall.pk


def test_export_uses_the_filter_and_the_resolver(world, incidents, client_for):
    main = category("klotter")
    r = client_for("coordinator").get(f"{BASE}/export/csv/?category={main.pk}")
    rows = _csv_rows(r)
    assert [int(row[0]) for row in rows[1:]] == [incidents["area_only"].pk]
    event = AuditEvent.objects.get(event_type="incidents_exported")
    assert event.changes["filters"] == {"category": str(main.pk)} and event.changes["rows"] == 1
    # a viewer's export has only what the viewer may see (no personal-data report)
    viewer_rows = _csv_rows(client_for("viewer").get(f"{BASE}/export/csv/"))
    assert incidents["secret"].pk not in {int(row[0]) for row in viewer_rows[1:]}
    assert len(viewer_rows) == 3


def test_xlsx(world, incidents, client_for):
    from openpyxl import load_workbook

    r = client_for("coordinator").get(f"{BASE}/export/xlsx/")
    assert r.status_code == 200
    assert r["Content-Type"].startswith("application/vnd.openxmlformats")
    wb = load_workbook(io.BytesIO(_body(r)))
    ws = wb.active
    rows = list(ws.iter_rows(values_only=True))
    assert len(rows) == 4
    by_id = {row[0]: row for row in rows[1:]}
    evil = by_id[incidents["evil"].pk]
    assert evil[13] == '\'=HYPERLINK("http://evil.example","klicka")'
    assert evil[12] == "'-Busshållplatsen"
    assert evil[8] == pytest.approx(CENTRE[0])
    assert hasattr(evil[1], "year")  # a real date-time cell
    # no cell is a formula
    for row in ws.iter_rows():
        for cell in row:
            assert cell.data_type != "f"
    assert "Namn" not in str(by_id[incidents["secret"].pk][13])


def test_geojson(world, incidents, client_for):
    r = client_for("coordinator").get(f"{BASE}/export/geojson/")
    assert r.status_code == 200 and r["Content-Type"].startswith("application/geo+json")
    fc = json.loads(_body(r))
    assert fc["type"] == "FeatureCollection" and len(fc["features"]) == 3
    by_id = {f["id"]: f for f in fc["features"]}
    assert by_id[incidents["evil"].pk]["geometry"] == {
        "type": "Point",
        "coordinates": [CENTRE[1], CENTRE[0]],
    }
    assert by_id[incidents["area_only"].pk]["geometry"] is None
    assert by_id[incidents["area_only"].pk]["properties"]["area"] == "Nacksta"


def test_export_of_many_rows_streams(world, client_for):
    for _ in range(30):
        make_incident(world, lat=CENTRE[0], lon=CENTRE[1])
    r = client_for("viewer").get(f"{BASE}/export/geojson/")
    chunks = list(r.streaming_content)
    assert len(chunks) > 30  # one chunk per row, not one big string
    assert len(json.loads(b"".join(chunks))["features"]) == 30


def test_outsider_cannot_export(world, incidents, client_for):
    assert client_for("outsider").get(f"{BASE}/export/csv/").status_code == 404
    assert not AuditEvent.objects.filter(event_type="incidents_exported").exists()
