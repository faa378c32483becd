"""Register extracts through the import pages: every municipality at once for system
administrators, other municipalities' rows counted on the result page, conflicts listed or
updated, the source's other columns on the incident page and in the exports, and a profile
downloaded as a file."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.conf import settings
from django.utils import translation

from brygga.incidents.models import ImportJob, ImportProfile, Incident

from .importing import BASE, upload
from .test_register_extracts import expected, extract

pytestmark = pytest.mark.usefixtures("default_categories")
H = "/kommuner/2281/handelser/"


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def en(client_for):
    def make(actor: str):
        c = client_for(actor)
        c.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        return c

    return make


def start(c, job, **fields):
    data = {
        "has_header": "on",
        "category_column": "Brottskod",
        "col_source_id": "Id",
        "col_date": "Brottsdatum",
        "col_category": "Brottskod",
        "col_municipality": "Kommun",
        "col_area": "DeSO.område",
        "col_count": "Antal",
        "action": "start",
    }
    data.update(fields)
    # the category values of the mapping page for the Brottskod column: map both codes
    url = f"{BASE}{job.pk}/kolumner/"
    refreshed = c.post(url, {**{k: v for k, v in data.items() if v}, "action": "refresh"})
    for i, (value, _n) in enumerate(refreshed.context["form"].category_values):
        data[f"cat_{i}"] = {"0893": "skadegorelse", "0894": "klotter"}.get(value, "")
    return c.post(url, {k: v for k, v in data.items() if v is not None})


def test_only_system_administrators_are_offered_every_municipality(world, en):
    assert "all_municipalities" not in en("analyst").get(f"{BASE}ny/").content.decode()
    assert "all_municipalities" in en("system_admin").get(f"{BASE}ny/").content.decode()
    # posted anyway by someone else: ignored, the import stays in the municipality
    upload(en("analyst"), extract(5), name="extrakt.csv", all_municipalities="on")
    assert "scope" not in ImportJob.objects.get().options


def test_system_administrator_imports_every_municipality_from_the_upload_page(world, en):
    from tests.conftest import ensure_reference

    ensure_reference(("2281", "2262", "0180"))
    c = en("system_admin")
    upload(c, extract(20), name="extrakt.csv", all_municipalities="on")
    job = ImportJob.objects.get()
    assert job.options["scope"] == "all"
    response = start(c, job, register="Polisens registerutdrag")
    assert response.status_code == 302, response.content.decode()[:2000]
    job.refresh_from_db()
    assert job.state == "done" and job.created_count == 20
    assert Incident.objects.filter(municipality=world.timra).count() == len(expected(20, "2262"))
    assert set(Incident.objects.values_list("source_register", flat=True)) == {
        "Polisens registerutdrag"
    }


def test_every_municipality_needs_the_municipality_column(world, en):
    c = en("system_admin")
    upload(c, extract(5), name="extrakt.csv", all_municipalities="on")
    job = ImportJob.objects.get()
    response = start(c, job, col_municipality="")
    assert response.status_code == 400
    assert "Choose the column with the municipality" in response.content.decode()


def test_result_page_counts_other_municipalities_rows_and_lists_conflicts(world, en):
    c = en("coordinator")
    upload(c, extract(10), name="extrakt.csv")
    start(c, ImportJob.objects.get())
    job = ImportJob.objects.get()
    html = c.get(f"{BASE}{job.pk}/").content.decode()
    assert "Other municipalities' rows (skipped)" in html
    other = 10 - len(expected(10, "2281"))
    assert f'data-count="other_municipality_rows">{other}<' in html
    # the same ids with other content: conflicts, listed; then updated on request
    upload(c, extract(10, override={0: {"Antal": "9"}}), name="extrakt.csv")
    second = ImportJob.objects.latest("pk")
    start(c, second)
    html = c.get(f"{BASE}{second.pk}/").content.decode()
    assert 'id="import-conflicts"' in html and "number of events" in html
    assert Incident.objects.get(source_id="1").count == 2
    upload(c, extract(10, override={0: {"Antal": "9"}}), name="extrakt.csv")
    third = ImportJob.objects.latest("pk")
    start(c, third, on_conflict="update")
    third.refresh_from_db()
    assert third.options["counts"]["updated"] == 1
    assert Incident.objects.get(source_id="1").count == 9


def exported(c) -> dict[str, dict]:
    """The CSV export's rows by source id (the export's language is the municipality's)."""
    text = c.get(f"{H}export/csv/").getvalue().decode("utf-8-sig")
    reader = csv.reader(io.StringIO(text), delimiter=";")
    header = next(reader)
    sid, details = header.index("Käll-id"), header.index("Uppgifter från källan")
    return {r[sid]: r[details] for r in reader}


def test_source_details_on_the_incident_page_and_in_exports(world, en):
    c = en("coordinator")
    upload(c, extract(5), name="extrakt.csv")
    start(c, ImportJob.objects.get())
    i = Incident.objects.get(source_id="1")
    html = c.get(f"{H}{i.pk}/").content.decode()
    assert 'id="source-attributes"' in html
    assert '<th scope="row">Brottskod.klartext</th><td>Skadegörelse</td>' in html
    assert json.loads(exported(c)["1"])["Län"] == "Västernorrlands län"
    geo = json.loads(b"".join(c.get(f"{H}export/geojson/").streaming_content))
    props = {f["properties"]["source_id"]: f["properties"] for f in geo["features"]}
    assert props["1"]["attributes"]["Inskrivningsdatum"] == "2024-03-06"
    # with personal data the details are withheld like the description
    Incident.objects.filter(pk=i.pk).update(has_personal_data=True)
    assert exported(c)["1"] == ""


def test_a_profile_is_downloaded_as_a_file(world, en, tmp_path):
    c = en("analyst")
    upload(c, extract(5), name="extrakt.csv")
    start(c, ImportJob.objects.get(), save_profile="on", profile_name="Registerutdrag")
    profile = ImportProfile.objects.get()
    assert "importer/profiler/" in c.get(f"{BASE}profiler/").content.decode()
    response = c.get(f"{BASE}profiler/{profile.pk}/fil/")
    assert response["Content-Disposition"] == (
        'attachment; filename="importprofil-Registerutdrag.json"'
    )
    doc = json.loads(response.content)
    assert doc["register"] == "Registerutdrag" and doc["columns"]["municipality"] == "Kommun"
    assert doc["categories"] == {"0893": "skadegorelse", "0894": "klotter"}
    # the file imports the next extract with the command
    from .test_register_extracts import command

    (tmp_path / "p.json").write_bytes(response.content)
    (tmp_path / "nasta.csv").write_bytes(extract(5, first_id=100))
    with translation.override("en"):  # the pages above switched the thread's language
        out, _ = command(
            str(tmp_path / "nasta.csv"),
            "--municipality",
            "2281",
            "--profile-file",
            str(tmp_path / "p.json"),
        )
    assert f"{len(expected(5, '2281'))} incidents imported" in out
    # another municipality's users do not get it
    assert en("outsider").get(f"{BASE}profiler/{profile.pk}/fil/").status_code == 404
