"""The result pages, exports, API and the area panel of the safety survey."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from brygga.audit.context import acting_as
from brygga.core.models import Area

from ..core.factories import AreaFactory
from .factories import make_wave

pytestmark = pytest.mark.django_db
BASE = "/kommuner/2281/trygghetsmatning"


@pytest.fixture
def waves(world):
    c, a = world.users["coordinator"], world.areas
    earlier = make_wave(c, world.sundsvall, 2024, {a["centrum"]: 120, a["nacksta"]: 90}, seed=3)
    later = make_wave(
        c,
        world.sundsvall,
        2025,
        {a["centrum"]: {"n": 140, "level": 0.6}, a["nacksta"]: 100},
        seed=4,
    )
    return earlier, later


def test_index_lists_the_waves_and_the_latest_indices(world, waves, client_for):
    response = client_for("viewer").get(f"{BASE}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert f"{BASE}/2025/" in html and f"{BASE}/2024/" in html
    assert 'id="survey-latest"' in html and "Centrum" in html and "Nacksta" in html
    assert "Problemindex" in html


def test_wave_page_has_chart_table_change_and_filters(world, waves, client_for):
    client = client_for("analyst")
    html = client.get(f"{BASE}/2025/").content.decode()
    assert html.count('role="img"') == 4  # one chart per index
    assert 'id="table-problemindex"' in html and "<circle" in html
    assert "2024" in html  # compared with
    html = client.get(f"{BASE}/2025/?index=utsatthet&grupp=alder").content.decode()
    assert 'id="table-utsatthet"' in html and 'id="table-problemindex"' not in html
    assert 'id="groups-utsatthet"' in html and "16–29" in html
    html = client.get(f"{BASE}/2025/?grupp=kon").content.decode()
    assert 'id="groups-problemindex"' in html and "Kvinna" in html
    assert client.get(f"{BASE}/2023/").status_code == 404
    assert client.get(f"{BASE}/2025/?index=finns-inte&grupp=x").status_code == 200


def test_area_page_profile_and_trend(world, waves, client_for):
    centrum = world.areas["centrum"]
    client = client_for("viewer")
    html = client.get(f"{BASE}/2025/omrade/{centrum.pk}/").content.decode()
    assert 'id="area-items"' in html and "Klotter" in html
    assert 'id="trend-problemindex-title"' in html and "2024" in html
    timra = world.areas["timra"]
    assert client.get(f"{BASE}/2025/omrade/{timra.pk}/").status_code == 404


def test_exports_are_aggregates_and_safe_for_spreadsheets(world, waves, client_for):
    with acting_as(label="test"):
        Area.objects.filter(pk=world.areas["nacksta"].pk).update(name="=HYPERLINK(1)")
    client = client_for("viewer")
    response = client.get(f"{BASE}/2025/export/csv/")
    assert response["Content-Disposition"].endswith('2025.csv"')
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert {r["level"] for r in rows} == {"municipality", "area"}
    assert {r["index"] for r in rows} == {
        "problemindex",
        "otrygghetsindex",
        "otrygga_kvall",
        "utsatthet",
    }
    assert "'=HYPERLINK(1)" in {r["area"] for r in rows}
    assert not any(r["area"].startswith("=") for r in rows)
    # never respondent rows: a few hundred respondents, but one row per index and cell
    assert len(rows) < 4 * (3 + 2 * 6 + 3 * 6)
    book = load_workbook(io.BytesIO(client.get(f"{BASE}/2025/export/xlsx/").content))
    values = list(book.active.iter_rows(values_only=True))
    assert values[0][0] == "year" and "'=HYPERLINK(1)" in {r[5] for r in values}


def test_api_lists_waves_with_questionnaire_and_results(world, waves, client_for):
    client = client_for("viewer")
    data = client.get("/api/v1/survey-waves/?municipality=2281").json()
    assert [w["year"] for w in data["results"]] == [2025, 2024]
    wave = data["results"][0]
    assert wave["municipality"] == "2281" and len(wave["questions"]) == 16
    assert {i["code"] for i in wave["indices"]} >= {"problemindex", "utsatthet"}
    results = client.get(f"/api/v1/survey-waves/{wave['id']}/results/").json()
    assert results["previous_year"] == 2024 and results["municipality_code"] == "2281"
    assert {a["name"] for a in results["areas"]} == {"Centrum", "Nacksta"}
    assert results["municipality"]["problemindex"]["change"]["previous_year"] == 2024
    assert (
        client_for("outsider").get(f"/api/v1/survey-waves/{wave['id']}/results/").status_code == 404
    )


def test_area_panel_on_the_area_page(world, waves, client_for):
    centrum = world.areas["centrum"]
    html = client_for("viewer").get(f"/kommuner/2281/omraden/{centrum.pk}/").content.decode()
    assert 'id="panel-survey"' in html and f"{BASE}/2025/omrade/{centrum.pk}/" in html
    with acting_as(label="test"):
        lonely = AreaFactory(municipality=world.sundsvall, name="Ensam")
    html = client_for("viewer").get(f"/kommuner/2281/omraden/{lonely.pk}/").content.decode()
    assert 'id="panel-survey"' not in html  # no respondents there: no panel
    overview = client_for("viewer").get("/kommuner/2281/").content.decode()
    assert f"{BASE}/2025/" in overview


def test_wave_without_responses(world, client_for):
    from brygga.surveys.services import wave_create

    with acting_as(label="test"):
        wave_create(actor=world.users["coordinator"], municipality=world.sundsvall, year=2026)
    client = client_for("coordinator")
    assert client.get(f"{BASE}/").status_code == 200
    assert client.get(f"{BASE}/2026/").status_code == 200
    assert client.get(f"{BASE}/2026/export/csv/").status_code == 200


def test_the_definition_links_only_for_those_who_may_define_waves(world, client_for):
    html = client_for("coordinator").get(f"{BASE}/").content.decode()
    assert "/trygghetsmatning/ny/" in html
    html = client_for("viewer").get(f"{BASE}/").content.decode()
    assert "/trygghetsmatning/ny/" not in html  # a viewer may not define waves


def test_area_page_breakdown(world, waves, client_for):
    centrum = world.areas["centrum"]
    html = client_for("viewer").get(f"{BASE}/2025/omrade/{centrum.pk}/").content.decode()
    assert 'id="area-groups-problemindex"' in html and "Kvinna" in html and "16–29" in html
