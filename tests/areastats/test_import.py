"""Importing statistics: the population export per DeSO creates the DeSO areas by code and
stores every figure; importing it again changes nothing; a changed figure is replaced with its
history kept; other municipalities' rows are skipped; unknown codes stop the import with the
file, row and column; and `brygga area-stats` prints the same numbers the file holds."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from brygga.areastats.models import StatValue
from brygga.areastats.readers import read_file
from brygga.areastats.selectors import (
    context_indicators,
    context_indicators_by_area,
    population_for,
)
from brygga.areastats.services import StatsImportError, import_area_stats
from brygga.audit.models import AuditEvent
from brygga.core.models import Area, LayerKind

FIXTURES = Path(__file__).parent / "fixtures"
POPULATION = FIXTURES / "folkmangd_deso_sundsvall.csv"
REGSO = FIXTURES / "folkmangd_regso.json"


def _import(world, path=POPULATION, content=None, actor="coordinator"):
    parsed = read_file(content if content is not None else path.read_bytes(), path.name)
    return import_area_stats(actor=world.users[actor], municipality=world.sundsvall, parsed=parsed)


def test_population_export_creates_deso_areas_and_stores_every_figure(world):
    summary = _import(world)
    assert summary.created == 59 and summary.missing == 1
    deso = Area.objects.filter(municipality=world.sundsvall, layer__kind=LayerKind.DESO)
    assert sorted(deso.values_list("official_code", flat=True)) == [
        "2281A0010",
        "2281A0020",
        "2281B1010",
        "2281C1010",
        "2281C1020",
        "2281C1030",
    ]
    centrum = deso.get(official_code="2281C1010")
    assert centrum.name == "Sundsvall Centrum" and centrum.geometry is None  # named by the file
    value = StatValue.objects.get(area=centrum, year=2023, series="Folkmängd, totalt")
    assert value.value == 2178 and value.table_id == "BE0101Y"
    assert value.source == "SCB Statistikdatabasen" and value.unit == "antal"


def test_importing_again_changes_nothing(world):
    _import(world)
    newest = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first()
    again = _import(world)
    assert (again.created, again.changed, again.unchanged) == (0, 0, 59)
    assert StatValue.objects.count() == 59
    written = AuditEvent.objects.filter(seq__gt=newest, object_type="areastats.statvalue")
    assert not written.exists()


def test_a_changed_figure_is_replaced_and_its_history_kept(world):
    _import(world)
    text = POPULATION.read_bytes().decode("utf-8-sig").replace(";2178\r\n", ";2200\r\n")
    summary = _import(world, content=text.encode())
    assert (summary.changed, summary.created) == (1, 0)
    value = StatValue.objects.get(
        area__official_code="2281C1010", year=2023, series="Folkmängd, totalt"
    )
    assert value.value == 2200
    history = AuditEvent.objects.filter(object_type="areastats.statvalue", object_id=str(value.pk))
    assert history.count() == 2  # created, then changed from 2178 to 2200


def test_other_municipalities_rows_are_skipped_and_counted(world):
    summary = _import(world, path=REGSO)
    assert summary.other_municipalities == 2
    assert summary.created == 3 and summary.missing == 1
    assert not Area.objects.filter(official_code__startswith="2262").exists()


def test_municipality_level_values_have_no_area(world):
    text = '"Folkmängd"\n\n"region";"år";"Folkmängd, totalt"\n"2281 Sundsvall";"2023";"99 870"\n'
    _import(world, content=text.encode())
    value = StatValue.objects.get(municipality=world.sundsvall)
    assert value.area is None and value.value == 99870
    assert population_for(world.sundsvall)[None].value == 99870


def test_an_unknown_code_stops_the_import_naming_file_row_and_column(world):
    text = (
        '"Folkmängd"\n\n"region";"år";"Folkmängd, totalt"\n'
        '"2281C1010";"2023";"100"\n"Okänd plats";"2023";"5"\n"XY99";"2023";"7"\n'
    )
    with pytest.raises(StatsImportError) as exc:
        _import(world, content=text.encode())
    where = [(p.file, p.row, p.column) for p in exc.value.problems]
    assert where == [
        ("folkmangd_deso_sundsvall.csv", 5, "A"),
        ("folkmangd_deso_sundsvall.csv", 6, "A"),
    ]
    assert StatValue.objects.count() == 0
    assert not Area.objects.filter(official_code="2281C1010").exists()  # all or nothing


def test_population_for_uses_the_latest_year_up_to_the_one_asked(world):
    _import(world)
    centrum = Area.objects.get(official_code="2281C1010")
    assert population_for(world.sundsvall, [centrum], 2030)[centrum.pk].year == 2023
    figure = population_for(world.sundsvall, [centrum], 2022)[centrum.pk]
    assert (figure.value, figure.year) == (2174, 2022)
    assert population_for(world.sundsvall, [centrum], 2021) == {}
    indicators = context_indicators(world.sundsvall, centrum)
    assert [i.series for i in indicators][:2] == ["Folkmängd, 0-4 år", "Folkmängd, 20-64 år"]
    assert all(i.year == 2023 for i in indicators)
    # several areas from one query give each area's own figures, and [] for one without
    areas = list(
        Area.objects.filter(municipality=world.sundsvall, official_code__startswith="2281")
    )
    areas.append(world.areas["nacksta"])
    by_area = context_indicators_by_area(world.sundsvall, areas, 2022)
    assert set(by_area) == {a.pk for a in areas}
    for a in areas:
        assert by_area[a.pk] == context_indicators(world.sundsvall, a, 2022)
    assert any(by_area.values()) and by_area[world.areas["nacksta"].pk] == []


def test_a_viewer_may_not_import(world):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        _import(world, actor="viewer")


def _area_stats(capsys, *args):
    call_command("area-stats", "--municipality", "2281", *args)
    return capsys.readouterr().out


def test_cli_round_trip_prints_the_numbers_of_the_export(world, capsys):
    call_command("import-area-stats", str(POPULATION), "--municipality", "2281")
    out = capsys.readouterr().out
    assert "59" in out
    printed = list(csv.DictReader(io.StringIO(_area_stats(capsys, "--year", "2023"))))
    parsed = read_file(POPULATION.read_bytes(), POPULATION.name)
    expected = {
        (r.code, r.series): str(r.value)
        for r in parsed.rows
        if r.year == 2023 and r.value is not None
    }
    assert {(r["area_code"], r["series"]): r["value"] for r in printed} == expected
    assert {r["table"] for r in printed} == {"BE0101Y"}
    as_json = json.loads(
        _area_stats(capsys, "--year", "2022", "--series", "Folkmängd, totalt", "--format", "json")
    )
    assert {r["area_code"]: r["value"] for r in as_json}["2281C1010"] == "2174"
    assert as_json[0]["source"] == "SCB Statistikdatabasen" and as_json[0]["year"] == 2022


def test_cli_dry_run_saves_nothing(world, capsys):
    call_command("import-area-stats", str(POPULATION), "--municipality", "2281", "--dry-run")
    assert StatValue.objects.count() == 0
    assert not Area.objects.filter(official_code="2281C1010").exists()


def test_cli_bad_file_is_a_clear_error(world, tmp_path):
    bad = tmp_path / "tom.csv"
    bad.write_bytes(b"")
    with pytest.raises(CommandError, match="tom.csv"):
        call_command("import-area-stats", str(bad), "--municipality", "2281")


def test_scheduled_fetch_imports_the_json_stat_response(world, monkeypatch, capsys):
    from brygga.areastats import fetch
    from brygga.areastats.models import StatFeed
    from brygga.areastats.services import stat_feed_save

    requests = []

    class Response(io.BytesIO):
        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

    def fake_urlopen(request, timeout):
        requests.append((request.get_method(), request.full_url, request.data))
        return Response(REGSO.read_bytes())

    monkeypatch.setattr(fetch, "urlopen", fake_urlopen)
    stat_feed_save(
        actor=world.users["coordinator"],
        municipality=world.sundsvall,
        name="Folkmängd RegSO",
        url="https://api.scb.se/OV0104/v1/doris/sv/ssd/BE/BE0101/BE0101A/FolkmRegsoAldKon",
        query={"query": []},
    )
    call_command("fetch-area-stats")
    method, url, body = requests[0]
    assert method == "POST" and json.loads(body)["response"] == {"format": "json-stat2"}
    assert StatValue.objects.filter(area__official_code="2281R001").count() == 2
    feed = StatFeed.objects.get()
    assert feed.last_fetched_at is not None and "3" in feed.last_status
    call_command("fetch-area-stats")
    assert StatValue.objects.count() == 3


def test_a_failed_fetch_is_reported_and_kept_on_the_feed(world, monkeypatch):
    from urllib.error import URLError

    from brygga.areastats import fetch
    from brygga.areastats.models import StatFeed
    from brygga.areastats.services import stat_feed_save

    def down(request, timeout):
        raise URLError("no route")

    monkeypatch.setattr(fetch, "urlopen", down)
    stat_feed_save(
        actor=world.users["coordinator"],
        municipality=world.sundsvall,
        name="SCB",
        url="https://api.scb.se/x",
    )
    with pytest.raises(CommandError):
        call_command("fetch-area-stats")
    assert "no route" in StatFeed.objects.get().last_status
    assert StatValue.objects.count() == 0


def test_feeds_are_configured_from_the_command_line(world, tmp_path, capsys):
    query = tmp_path / "fraga.json"
    query.write_text('{"query": [{"code": "Region", "selection": {"filter": "vs:DeSO2018"}}]}')
    call_command(
        "area-stats-feed",
        "--municipality",
        "2281",
        "--name",
        "Folkmängd DeSO",
        "--url",
        "https://api.scb.se/OV0104/v1/doris/sv/ssd/BE/BE0101/BE0101Y/FolkmDesoAldKonN",
        "--query",
        str(query),
    )
    out = capsys.readouterr().out
    assert "Folkmängd DeSO" in out and "POST https://api.scb.se" in out
    with pytest.raises(CommandError):
        call_command(
            "area-stats-feed", "--municipality", "2281", "--name", "x", "--url", "not a url"
        )


def test_county_and_country_rows_are_skipped_not_errors(world):
    """Regression: an export that also holds the county and the whole country (as one often
    chooses in Statistikdatabasen, for comparison) stopped the import with a row error."""
    text = (
        '"Folkmängd"\n\n"region";"år";"Folkmängd, totalt"\n'
        '"00 Riket";"2023";"10551707"\n"22 Västernorrlands län";"2023";"243606"\n'
        '"2281 Sundsvall";"2023";"99 870"\n'
    )
    summary = _import(world, content=text.encode())
    assert summary.other_municipalities == 2 and summary.created == 1
    assert StatValue.objects.get(municipality=world.sundsvall).value == 99870
