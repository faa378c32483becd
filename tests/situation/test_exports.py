"""The dashboard's exports: CSV of one table (``?tabell=``) and XLSX with a sheet per table,
for the scope in the query string, holding the page's figures."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from brygga.situation.scope import Period

from .test_figures import counted, events, make_incidents

CSV = reverse("situation:export_csv", kwargs={"code": "2281"})
XLSX = reverse("situation:export_xlsx", kwargs={"code": "2281"})


@pytest.fixture
def data(world):
    make_incidents(world, n=120)
    return world


def rows(response) -> list[dict]:
    body = response.content.decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(body), delimiter=";"))


def test_csv_of_the_area_table_for_the_scope(data, client_for):
    w = data
    response = client_for("viewer").get(
        CSV, {"period": "2025", "kalla": "police", "tabell": "omraden"}
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="lagesbild-2281-2025-omraden.csv"' in response["Content-Disposition"]
    by_name = {r["name"]: r for r in rows(response)}
    for key in ("centrum", "nacksta"):
        area = w.areas[key]
        assert by_name[area.name]["events"] == str(
            events(counted(w, Period.parse("2025"), area=[area], streams=["police"]))
        )


def test_csv_of_the_heat_table_and_an_unknown_table(data, client_for):
    w = data
    c = client_for("viewer")
    heat = rows(c.get(CSV, {"period": "2024", "tabell": "veckodag-timme"}))
    assert [r["weekday"] for r in heat][0] == "måndag" and len(heat) == 7
    assert sum(int(r["total"]) for r in heat) == events(counted(w, Period.parse("2024")))
    response = c.get(CSV, {"period": "2024", "tabell": "nej"})
    assert response.status_code == 400 and "nej" in response.content.decode()
    assert c.get(CSV, {"period": "fel"}).status_code == 400


def test_xlsx_has_a_sheet_per_table(data, client_for):
    w = data
    response = client_for("analyst").get(XLSX, {"period": "2025"})
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames[:7] == [
        "sammanfattning",
        "kategorier",
        "omraden",
        "kallor",
        "veckodag-timme",
        "manader",
        "omradesfakta",
    ]
    summary = list(book["sammanfattning"].iter_rows(values_only=True))
    assert summary[0][:4] == ("period", "start", "end", "events")
    assert summary[1][3] == events(counted(w, Period.parse("2025")))
    assert summary[2][3] == events(counted(w, Period.parse("2024")))


def test_the_outsider_gets_nothing(world, client_for):
    assert client_for("outsider").get(XLSX).status_code == 404
