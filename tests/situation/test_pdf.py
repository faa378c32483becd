"""The lägesbild as PDF (issue #15's first Done-when): `brygga report lagesbild` writes a PDF
whose pages, rendered to PNG, hold the sections, the charts and the map, and whose text holds
the same figures as the JSON; for the public no count under k and no free text; bad input stops
with a message and writes nothing; the PDF download of a published report has the JSON's
access; the static map draws each area once and hatches a hidden one."""

from __future__ import annotations

import datetime as dt
import io
import json
import re

import pypdfium2 as pdfium
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils.translation import override
from shapely.geometry import box

from brygga.audit.context import acting_as
from brygga.core.models import Area
from brygga.incidents.services.rollups import rebuild_counts
from brygga.situation import map_svg, services
from brygga.situation.pdf import _cell, figure_title, render_pdf
from brygga.situation.scope import Period
from brygga.situation.snapshot import COUNT_COLUMNS, build_snapshot

from ..core.factories import AreaFactory
from ..incidents.factories import IncidentFactory, category
from .test_figures import counted, events, make_incidents

pytestmark = pytest.mark.django_db

YEAR = Period.parse("2025")
K = 5
BRAND, PREVIOUS = (0x0B, 0x4F, 0x71), (0x6B, 0x77, 0x85)  # the bar charts' two series


def _square(lon: float, lat: float) -> dict:
    ring = [[lon, lat], [lon + 0.03, lat], [lon + 0.03, lat + 0.012], [lon, lat + 0.012]]
    return {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}


@pytest.fixture
def town(world):
    """The world with four areas in one layer (Centrum, Nacksta, Haga with many events,
    Skönsberg with three), and the incidents of test_figures."""
    layer = world.areas["centrum"].layer
    Area.objects.filter(pk=world.areas["nacksta"].pk).update(layer=layer)
    with acting_as(label="test setup"):
        for key, name, lon, n in [("haga", "Haga", 17.29, 70), ("skons", "Skönsberg", 17.33, 3)]:
            area = AreaFactory(
                municipality=world.sundsvall, name=name, layer=layer, geometry=_square(lon, 62.40)
            )
            world.areas[key] = area
            for j in range(n):
                IncidentFactory(
                    municipality=world.sundsvall,
                    category=category("klotter"),
                    occurred_from=dt.datetime(2025, 1 + j % 12, 3 + j % 20, 12, tzinfo=dt.UTC),
                    count=1,
                    reporting_organisation=world.orgs["field"],
                    area=area,
                )
    make_incidents(world)  # rebuilds the counts
    return world


def _run(tmp_path, fmt, *extra) -> tuple:
    out = tmp_path / f"lagesbild.{fmt}"
    stdout = io.StringIO()
    call_command(
        "report",
        "lagesbild",
        "--municipality",
        "2281",
        "--from",
        "2025-01-01",
        "--to",
        "2025-12-31",
        "--format",
        fmt,
        "-o",
        str(out),
        *extra,
        stdout=stdout,
    )
    return out, stdout.getvalue()


def _page_texts(pdf) -> list[str]:
    texts = []
    for page in pdf:
        t = page.get_textpage().get_text_bounded()
        t = re.sub("[\u2010\u00ad]\\s*\\n", "", t)  # a word hyphenated at the line's end
        texts.append(re.sub(r"\s+", " ", t))
    return texts


def _pixels(page, colour) -> int:
    image = page.render(scale=1).to_pil().convert("RGB")
    return sum(n for n, c in image.getcolors(maxcolors=1 << 20) if c == colour)


def _colours(page) -> dict:
    image = page.render(scale=1).to_pil().convert("RGB")
    return {c: n for n, c in image.getcolors(maxcolors=1 << 20)}


def _rgb(hex_colour: str) -> tuple:
    return tuple(int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))


def _tables(snap) -> dict:
    return {t["key"]: t for key in snap if key != "meta" for t in snap[key]["tables"]}


def _printed_row(row) -> str:
    """The first cells of a category/area row as the PDF prints them (the id column left
    out): name, events, share, previous period."""
    return " ".join(_cell(v)["text"] for v in row[1:5])


def test_the_command_writes_a_pdf_with_the_sections_charts_map_and_the_jsons_figures(
    town, tmp_path
):
    world = town
    pdf_path, said = _run(tmp_path, "pdf")
    json_path, _said = _run(tmp_path, "json")
    html_path, _said = _run(tmp_path, "html")
    snap = json.loads(json_path.read_text(encoding="utf-8"))
    # the JSON holds the figures: the headline is a direct count of the incidents
    assert snap["meta"]["headline"]["events"] == events(counted(world, YEAR))

    pdf = pdfium.PdfDocument(str(pdf_path))
    assert len(pdf) >= 4
    # the summary line names the pages and the bytes written
    assert re.search(rf"\b{len(pdf)}\b", said) and str(pdf_path.stat().st_size) in said
    pages = _page_texts(pdf)
    text = " ".join(pages)
    for key in snap:
        if key != "meta":
            assert snap[key]["title"] in text, key
    crime = snap["crime"]
    chart_titles = [figure_title(c) for c in crime["charts"]]
    assert len(chart_titles) >= 5  # categories, areas, sources, months, weeks
    for title in chart_titles:
        assert title in text, title
    (area_map,) = crime["maps"]
    map_title = figure_title(area_map)
    assert map_title and map_title in text
    # the JSON's headline and category and area counts are the PDF's
    h = snap["meta"]["headline"]
    assert f"{YEAR.start.isoformat()} {YEAR.end.isoformat()} {h['events']} " in text
    tables = _tables(snap)
    for key in ("kategorier", "omraden"):
        assert tables[key]["rows"]
        for row in tables[key]["rows"]:
            assert _printed_row(row) in text, (key, row)

    # rendered: the map's page shows several choropleth colours, the charts' pages their bars
    map_page = next(i for i, t in enumerate(pages) if map_title in t)
    colours = _colours(pdf[map_page])
    shades = [c for c in map_svg.AREA_COLOURS if colours.get(_rgb(c), 0) > 200]
    assert len(shades) >= 2, colours
    for title in chart_titles[:3]:  # the bar charts: this period and the previous one
        page = pdf[next(i for i, t in enumerate(pages) if title in t)]
        assert _pixels(page, BRAND) > 100 and _pixels(page, PREVIOUS) > 100, title

    html = html_path.read_text(encoding="utf-8")
    assert '<html lang="sv">' in html and map_title in html and 'data-area="' in html
    assert "http://" not in html.replace("http://www.w3.org/2000/svg", "")


def test_for_the_public_the_pdf_shows_no_count_under_k_and_no_free_text(town, tmp_path, settings):
    settings.BRYGGA_SITUATION_MIN_COUNT = K
    world = town
    pdf_path, _said = _run(tmp_path, "pdf", "--audience", "public")
    json_path, _said = _run(tmp_path, "json", "--audience", "public")
    snap = json.loads(json_path.read_text(encoding="utf-8"))
    text = " ".join(_page_texts(pdfium.PdfDocument(str(pdf_path))))
    tables = _tables(snap)
    hidden = 0
    for key in ("kategorier", "omraden"):
        t = tables[key]
        for row in t["rows"]:
            for col in COUNT_COLUMNS:
                if col in t["columns"]:
                    v = row[t["columns"].index(col)]
                    assert not (isinstance(v, int) and v < K), (key, row)
                    hidden += v == f"<{K}"
            # the PDF prints the protected row
            assert _printed_row(row) in text, (key, row)
    assert hidden, "the fixture has small counts to hide"
    areas = {r[1]: r[2] for r in tables["omraden"]["rows"]}
    assert areas["Skönsberg"] == f"<{K}"
    assert "Skönsberg 3" not in text
    # the map hatches the hidden areas and gives them no number
    (area_map,) = snap["crime"]["maps"]
    assert "url(#report-map-hidden)" in area_map
    assert not re.search(r"Skönsberg: \d", area_map)

    # free text of the "other" section stays with the partners; the summary's text is printed
    report = services.report_create(
        actor=world.users["coordinator"],
        municipality=world.sundsvall,
        title="Lägesbild 2025",
        period_start=YEAR.start,
        period_end=YEAR.end,
        scope={"period": "2025", "lager": str(world.areas["centrum"].layer_id)},
        forum=world.forums["safety"],
        audience="public",
        texts={"other": "Polisen ser mer langning vid skolan.", "summary": "Ett lugnare år."},
    )
    pdf = pdfium.PdfDocument(render_pdf(build_snapshot(world.users["coordinator"], report)))
    text = " ".join(_page_texts(pdf))
    assert "Ett lugnare år." in text
    assert "langning" not in text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--municipality", "9999"], "9999"),
        (["--from", "2025-12-31", "--to", "2025-01-01"], "2025-01-01"),
        (["--from", "2025-13-01"], "2025-13-01"),
        (["--format", "docx"], "docx"),
        (["--layer", "999999"], "999999"),
    ],
)
def test_bad_input_stops_with_a_message_and_writes_no_file(world, tmp_path, args, message):
    out = tmp_path / "lagesbild.pdf"
    given = {"--municipality": "2281", "--from": "2025-01-01", "--to": "2025-12-31"}
    given |= {"--format": "pdf", "-o": str(out)}
    given |= dict(zip(args[::2], args[1::2], strict=True))
    argv = [x for kv in given.items() for x in kv]
    with pytest.raises(CommandError, match=re.escape(message)):
        call_command("report", "lagesbild", *argv)
    assert not out.exists()


def test_the_pdf_download_of_a_published_report(town, client_for):
    world = town
    coordinator = world.users["coordinator"]
    report = services.report_create(
        actor=coordinator,
        municipality=world.sundsvall,
        title="Lägesbild 2025",
        period_start=YEAR.start,
        period_end=YEAR.end,
        scope={"period": "2025", "lager": str(world.areas["centrum"].layer_id)},
        forum=world.forums["safety"],
        audience="partners",
    )
    kwargs = {"code": world.sundsvall.code, "pk": report.pk}
    url = reverse("situation:report_pdf", kwargs=kwargs)
    client = client_for("coordinator")
    assert client.get(url).status_code == 404  # a draft has no frozen figures
    published = services.report_publish(
        actor=coordinator, report=report, snapshot=build_snapshot(coordinator, report)
    )
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert response["Content-Disposition"] == (
        f'attachment; filename="lagesbild-2281-{report.pk}-v{published.version}.pdf"'
    )
    text = " ".join(_page_texts(pdfium.PdfDocument(response.content)))
    assert published.snapshot["crime"]["title"] in text
    # the published page links to it
    page = client.get(reverse("situation:report_detail", kwargs=kwargs)).content.decode()
    assert f'href="{url}"' in page and 'id="report-pdf"' in page
    # another municipality's coordinator does not see it
    assert client_for("outsider").get(url).status_code == 404
    # the figures are frozen: new incidents change nothing in the PDF's headline
    with acting_as(label="test setup"):
        IncidentFactory(
            municipality=world.sundsvall,
            category=category("klotter"),
            occurred_from=dt.datetime(2025, 6, 10, 12, tzinfo=dt.UTC),
            count=9,
            reporting_organisation=world.orgs["field"],
            area=world.areas["centrum"],
        )
    rebuild_counts(municipality_id=world.sundsvall.pk)
    again = " ".join(_page_texts(pdfium.PdfDocument(client.get(url).content)))
    h = published.snapshot["meta"]["headline"]["events"]
    assert f"{YEAR.start.isoformat()} {YEAR.end.isoformat()} {h} " in again


def _map(events: dict, k=None, unbounded=4) -> str:
    areas = [
        map_svg.MapArea(pk=i, name=name, geometry=box(x, 0, x + 900, 700), events=n)
        for i, (name, (x, n)) in enumerate(events.items(), start=1)
    ]
    areas.append(map_svg.MapArea(pk=99, name="Utan gräns", geometry=None, events=unbounded))
    hot = {3: box(100, 100, 350, 350), -2: box(2000, 0, 2250, 250)}
    with override("en"):  # the legend's and titles' msgids
        return map_svg.render(map_svg.MapData(title="Karta", areas=areas, hot=hot, k=k))


def test_the_map_draws_each_area_once_and_hatches_a_hidden_one():
    markup = _map({"A": (0, 40), "B": (1000, 12), "C": (2000, 3), "D": (3000, 25)})
    for pk in (1, 2, 3, 4):
        assert markup.count(f'data-area="{pk}"') == 1
    assert 'data-area="99"' not in markup  # no boundary: listed, not drawn
    assert "Utan gräns: 4" in markup
    assert "hidden)" not in markup.split("</defs>", 1)[1]  # partners: nothing hatched
    fills = set(re.findall(r'data-area="\d" d="[^"]*" fill="(#[0-9a-f]{6})"', markup))
    assert len(fills) >= 3 and fills <= set(map_svg.AREA_COLOURS)
    assert 'data-hotspot="3"' in markup and 'data-hotspot="-2"' in markup
    assert len(re.findall(r"<title", markup)) == 1 + 4 + 2  # the map, each area, each class
    assert "events" not in re.search(r'data-hotspot="3".*?</path>', markup).group(0)

    hidden = _map(
        {"A": (0, 40), "B": (1000, "<5"), "C": (2000, "<5"), "D": (3000, 25)}, k=5, unbounded="<5"
    )
    for pk in (2, 3):
        path = re.search(rf'<path data-area="{pk}"[^>]*>.*?</path>', hidden).group(0)
        assert 'fill="url(#report-map-hidden)"' in path
        assert not re.search(r": \d+ events", path)
    assert "fewer than 5" in hidden
    # the classes come from the shown counts alone (one class for 25 and 40)
    assert ">25–40<" in hidden
