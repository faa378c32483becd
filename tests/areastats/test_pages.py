"""The statistics pages as a user meets them: upload, preview of what the file holds, confirm;
a file with problems says what and where, and saves nothing; the stored series per year with
their exports; and on an area's page its population, other figures and the incident rates per
1,000 inhabitants."""

from __future__ import annotations

import csv
import html
import io
import re
from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from brygga.areastats.models import StatImport, StatValue
from brygga.areastats.readers import read_file
from brygga.areastats.services import import_area_stats
from brygga.core.models import Area

from ..incidents.factories import IncidentFactory

FIXTURES = Path(__file__).parent / "fixtures"
POPULATION = FIXTURES / "folkmangd_deso_sundsvall.csv"


def url(name, world, **kw):
    return reverse(f"areastats:{name}", kwargs={"code": world.sundsvall.code, **kw})


def upload(client, world, name, content):
    return client.post(url("upload", world), {"file": SimpleUploadedFile(name, content)})


def text(response) -> str:
    return html.unescape(response.content.decode())


def test_upload_preview_confirm(world, client_for):
    client = client_for("coordinator")
    response = upload(client, world, POPULATION.name, POPULATION.read_bytes())
    assert response.status_code == 302
    job = StatImport.objects.get(state=StatImport.State.PREVIEW)
    page = text(client.get(response["Location"]))
    assert "Folkmängd, totalt" in page and "Folkmängd, 0-4 år" in page
    assert "2022, 2023" in page and "2281C1010" in page  # new areas by code
    assert StatValue.objects.count() == 0  # nothing saved before the confirmation
    confirmed = client.post(response["Location"], {"confirm": "1"})
    assert confirmed.status_code == 302 and confirmed["Location"] == response["Location"]
    assert StatValue.objects.count() == 59  # the task ran (inline in tests)
    job.refresh_from_db()
    assert job.state == StatImport.State.DONE and bytes(job.content) == b""
    result = text(client.get(response["Location"]))
    assert re.search(r'data-count="created">59<', result)
    # a second confirmation (another click, another tab) imports nothing more
    client.post(response["Location"], {"confirm": "1"})
    assert StatImport.objects.filter(state=StatImport.State.DONE).count() == 1
    listing = text(client.get(url("index", world)))
    assert "Folkmängd, totalt" in listing and "BE0101Y" in listing
    assert POPULATION.name in listing


def test_a_file_with_unknown_codes_lists_them_and_saves_nothing(world, client_for):
    client = client_for("coordinator")
    content = '"Folkmängd"\n\n"region";"år";"Folkmängd, totalt"\n"Okänd plats";"2023";"5"\n'
    response = upload(client, world, "fel.csv", content.encode())
    page = text(client.get(response["Location"]))
    assert "fel.csv" in page and "Okänd plats" in page
    assert client.post(response["Location"], {"confirm": "1"}).status_code == 400
    assert StatValue.objects.count() == 0


def test_a_file_that_is_not_an_export_is_refused_on_the_form(world, client_for):
    client = client_for("coordinator")
    for name, content in [
        ("lista.csv", b"namn;adress\nAnna;Storgatan 1\n"),
        ("tom.csv", b""),
        ("svar.json", b'{"class": "collection"}'),
        ("bild.png", b"\x89PNG"),
    ]:
        response = upload(client, world, name, content)
        assert response.status_code == 200, name
        assert name in text(response)
    assert not StatImport.objects.exists()


def test_the_preview_can_be_cancelled(world, client_for):
    client = client_for("coordinator")
    response = upload(client, world, POPULATION.name, POPULATION.read_bytes())
    client.post(response["Location"], {"discard": "1"})
    assert not StatImport.objects.exists() and not StatValue.objects.exists()


def _imported(world):
    parsed = read_file(POPULATION.read_bytes(), POPULATION.name)
    import_area_stats(actor=world.users["coordinator"], municipality=world.sundsvall, parsed=parsed)


def test_exports_hold_the_stored_numbers(world, client_for):
    _imported(world)
    client = client_for("viewer")
    response = client.get(url("export_csv", world), {"ar": "2023", "serie": "Folkmängd, totalt"})
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert {r["area_code"]: r["value"] for r in rows}["2281C1010"] == "2178"
    assert len(rows) == 6
    book = load_workbook(io.BytesIO(client.get(url("export_xlsx", world)).content))
    sheet = book.active
    assert sheet.max_row == 60 and [c.value for c in sheet[1]][:3] == [
        "area_code",
        "area_name",
        "series",
    ]


def test_the_area_page_shows_population_figures_and_rates(world, client_for):
    _imported(world)
    centrum = Area.objects.get(official_code="2281C1010")
    for _ in range(3):
        IncidentFactory(municipality=world.sundsvall, area=centrum)
    page = text(
        client_for("analyst").get(
            reverse("core:area_detail", kwargs={"code": "2281", "pk": centrum.pk})
        )
    )
    assert re.search(r"Population \(2023\)|Folkmängd \(2023\)", page)
    assert re.search(r"2[\s,\xa0]?178", page)
    assert "SCB Statistikdatabasen" in page
    assert "Folkmängd, 65+ år" in page  # a context figure
    # 3 reports this year (and in the last 30 days) among 2,178 inhabitants: 1.4 per 1,000
    rates = re.findall(r'<span class="rate">\((\d+[,.]\d) ', page)
    assert [r.replace(",", ".") for r in rates] == ["1.4", "1.4"]


def test_an_area_without_population_shows_no_rate(world, client_for):
    area = world.areas["centrum"]
    page = text(
        client_for("analyst").get(
            reverse("core:area_detail", kwargs={"code": "2281", "pk": area.pk})
        )
    )
    assert "1,000 inhabitants" not in page and "1 000 invånare" not in page


def test_a_failed_import_says_why_and_saves_nothing(world, client_for, monkeypatch):
    from brygga.areastats import tasks

    def refuse(**kwargs):
        raise tasks.StatsImportError([])

    client = client_for("coordinator")
    response = upload(client, world, POPULATION.name, POPULATION.read_bytes())
    monkeypatch.setattr(tasks, "import_area_stats", refuse)
    client.post(response["Location"], {"confirm": "1"})
    job = StatImport.objects.get()
    assert job.state == StatImport.State.FAILED and bytes(job.content) == b""
    assert StatValue.objects.count() == 0
    page = client.get(response["Location"], headers={"HX-Request": "true"})
    assert 'data-state="failed"' in text(page) and "hx-get" not in text(page)


def test_an_interrupted_import_is_failed_when_the_worker_starts(world):
    import datetime as dt

    from django.apps import apps
    from django.utils import timezone

    job = StatImport.objects.create(
        municipality=world.sundsvall,
        file_name="x.csv",
        origin=StatImport.Origin.UPLOAD,
        state=StatImport.State.RUNNING,
    )
    StatImport.objects.filter(pk=job.pk).update(updated_at=timezone.now() - dt.timedelta(hours=2))
    lines = apps.get_app_config("areastats").worker_starting()
    job.refresh_from_db()
    assert job.state == StatImport.State.FAILED and str(job.pk) in lines[0]


def test_unconfirmed_previews_are_dropped_after_a_day(world, client_for):
    import datetime as dt

    from django.utils import timezone

    client = client_for("coordinator")
    upload(client, world, POPULATION.name, POPULATION.read_bytes())
    StatImport.objects.update(created_at=timezone.now() - dt.timedelta(days=2))
    upload(client, world, POPULATION.name, POPULATION.read_bytes())
    assert StatImport.objects.count() == 1


def test_the_overview_links_to_the_statistics_once_there_are_figures(world, client_for):
    client = client_for("viewer")
    overview = reverse("core:municipality_detail", kwargs={"code": "2281"})

    def main(response) -> str:  # the page's content: the menu always links to statistics
        return text(response).split("<main", 1)[1]

    assert url("index", world) not in main(client.get(overview))
    _imported(world)
    assert url("index", world) in main(client.get(overview))
